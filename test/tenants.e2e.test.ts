/**
 * Tenants (issue 18) on a real Temporal dev server: two tenants and an admin key from a tenants file. Every route,
 * tool and MCP call of tenant B's tasks made with tenant A's key answers exactly as for an id that does not exist;
 * listings, polls, the ledger and calendar feeds never show the other tenant's tasks; idempotency keys of two
 * tenants never collide; limits answer 429 and 403; the file is read again on change.
 */
import fc from 'fast-check';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection } from '@temporalio/worker';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../src/security/webhook-signature.js';
import { hashKey, loadTenantRegistry } from '../src/tenants/tenant-registry.js';
import type { Page } from 'playwright-core';
import { launchBrowser, openPage } from './helpers/browser.js';
import { PulseClient } from '../src/client/pulse-client.js';
import { runCliInProcess } from './helpers/cli.js';
import { createInProcessWorker, startPulse, type PulseUnderTest } from './helpers/pulse.js';
import { freePort, startService, stopService } from './helpers/service.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createDevServerEnv } from './helpers/temporal.js';
import { until } from './helpers/wait.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const KEY_A = 'pulse_tenant-a-key-0123456789';
const KEY_B = 'pulse_tenant-b-key-0123456789';
const KEY_C = 'pulse_tenant-c-key-0123456789';
const KEY_S = 'pulse_tenant-s-key-0123456789';
const ADMIN = 'pulse_admin-key-0123456789';
const ACME_SECRET = `whsec_${Buffer.from('acme-signing-secret-0123456789ab').toString('base64')}`;
const GLOBAL_SECRET = `whsec_${Buffer.from('global-signing-secret-0123456789').toString('base64')}`;

const dir = mkdtempSync(path.join(os.tmpdir(), 'pulse-tenants-'));
const file = path.join(dir, 'tenants.json');
const registry = (extra: Json[] = []) => ({
  admin_keys: [hashKey(ADMIN)],
  tenants: [
    { id: 'acme', keys: [hashKey(KEY_A)], webhook_secret: ACME_SECRET, weight: 2 },
    { id: 'bravo', keys: [hashKey(KEY_B)] },
    { id: 'capped', keys: [hashKey(KEY_C)], limits: { requests_per_minute: 1000, active_tasks: 1 } },
    { id: 'serial', keys: [hashKey(KEY_S)], limits: { concurrent_runs: 1 } },
    ...extra,
  ],
});

let env: TestWorkflowEnvironment;
let receiver: Receiver;
let pulse: PulseUnderTest;
/** Tenant B's tasks, by kind. */
const bravo: Record<string, string> = {};

const as = (key: string, extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${key}`,
  ...extra,
});

async function schedule(key: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await pulse.call('POST', '/tasks/schedule', body, as(key, headers));
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.task_id as string;
}

beforeAll(async () => {
  writeFileSync(file, JSON.stringify(registry()));
  [env, receiver] = await Promise.all([createDevServerEnv(), startReceiver()]);
  // The worker reads the same file as the API (as npm start does): signing secrets and concurrent runs.
  const worker = loadTenantRegistry({ file });
  pulse = await startPulse(env, { tenantsFile: file }, undefined, {
    webhookSecret: GLOBAL_SECRET,
    secretFor: (tenant) => (tenant ? worker.tenant(tenant)?.webhook_secret : undefined),
    runLimitFor: (tenant) => worker.tenant(tenant)?.limits?.concurrent_runs,
  });
  bravo.once = await schedule(KEY_B, {
    schedule_type: 'http_request',
    when: 'in 1 hour',
    payload: { url: `${receiver.url}/b-once`, method: 'POST' },
  });
  bravo.recurring = await schedule(KEY_B, {
    schedule_type: 'http_request',
    when: 'every 1 hour',
    payload: { url: `${receiver.url}/b-every`, method: 'POST' },
  });
  bravo.external = await schedule(KEY_B, { schedule_type: 'crawl', when: 'now', payload: { site: 'b' } });
});

afterAll(async () => {
  await pulse?.stop();
  await receiver?.close();
  await env?.teardown();
});

/** Every route that names a task, as [method, path, body]. */
function taskRoutes(id: string): Array<[string, string, unknown?]> {
  return [
    ['GET', `/tasks/${id}`],
    ['PATCH', `/tasks/${id}`, { metadata: { x: 1 } }],
    ['PATCH', `/tasks/${id}`, { status: 'paused' }],
    ['POST', `/tasks/${id}/trigger`],
    ['POST', `/tasks/${id}/trigger`, { payload: { url: `${receiver.url}/x` } }],
    ['GET', `/tasks/${id}/preview`],
    ['GET', `/tasks/${id}/history`],
    ['GET', `/tasks/${id}/results`],
    ['GET', `/tasks/${id}/result`],
    ['GET', `/tasks/${id}/occurrences`],
    ['POST', `/tasks/${id}/claim`, { worker_id: 'w1' }],
    ['POST', `/tasks/${id}/ack`, { worker_id: 'w1', status: 'success', result: {} }],
    ['POST', `/tools/get_task_details`, { task_id: id }],
    ['POST', `/tools/cancel_task`, { task_id: id }],
    ['POST', `/tools/pause_task`, { task_id: id }],
    ['POST', `/tools/trigger_task`, { task_id: id }],
    ['DELETE', `/tasks/${id}`],
  ];
}

/** A 404 with the id taken out: what must be the same for a task of another tenant and one that never was. */
const shape = (response: { status: number; body: Json }, id: string) => ({
  status: response.status,
  body: JSON.parse(JSON.stringify(response.body).split(id).join('<id>')),
});

describe('isolation', () => {
  it("every route and tool of tenant B's task, used with tenant A's key, answers as for an unknown id", async () => {
    const unknown = 'task_00000000000000000000000000000000';
    for (const id of Object.values(bravo)) {
      for (const [method, route, body] of taskRoutes(id)) {
        const theirs = await pulse.call(method, route, body, as(KEY_A));
        const swap = (value: unknown) =>
          value === undefined ? undefined : JSON.parse(JSON.stringify(value).split(id).join(unknown));
        const none = await pulse.call(method, route.split(id).join(unknown), swap(body), as(KEY_A));
        expect(shape(theirs, id), `${method} ${route}`).toEqual(shape(none, unknown));
        expect(theirs.status, `${method} ${route}: ${JSON.stringify(theirs.body)}`).toBe(404);
      }
    }
    // B's tasks are untouched and still B's.
    for (const id of [bravo.once!, bravo.recurring!]) {
      const task = (await pulse.call('GET', `/tasks/${id}`, undefined, as(KEY_B))).body;
      expect(task.status).toBe('active');
      expect(task.metadata).toEqual({});
    }
  });

  it('listing, polling, the ledger, MCP and calendar feeds show a tenant its own tasks only', async () => {
    const mine = await schedule(KEY_A, {
      schedule_type: 'crawl',
      when: 'now',
      payload: { site: 'a' },
    });
    const ids = (tasks: Json[]) => tasks.map((t) => t.id ?? t.task_id);
    // Listings read visibility, which the server writes a moment after the start.
    const listedA = await until('the new task listed', async () => {
      const tasks = (await pulse.call('GET', '/tasks?limit=1000', undefined, as(KEY_A))).body.tasks as Json[];
      return ids(tasks).includes(mine) ? tasks : undefined;
    });
    for (const id of Object.values(bravo)) expect(ids(listedA)).not.toContain(id);
    const listedB = (await pulse.call('GET', '/tasks?limit=1000', undefined, as(KEY_B))).body.tasks;
    expect(ids(listedB).sort()).toEqual(Object.values(bravo).sort());

    const pollA = (await pulse.call('GET', '/tasks/poll?types=crawl', undefined, as(KEY_A))).body.tasks;
    expect(ids(pollA)).toEqual([mine]);
    const pollB = (await pulse.call('GET', '/tasks/poll?types=crawl', undefined, as(KEY_B))).body.tasks;
    expect(ids(pollB)).toEqual([bravo.external]);

    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 7_200_000).toISOString();
    const ledgerA = (await pulse.call('GET', `/occurrences?from=${from}&to=${to}`, undefined, as(KEY_A)))
      .body;
    expect(new Set(ledgerA.occurrences.map((o: Json) => o.task_id))).toEqual(new Set([mine]));
    const ledgerB = (await pulse.call('GET', `/occurrences?from=${from}&to=${to}`, undefined, as(KEY_B)))
      .body;
    expect(new Set(ledgerB.occurrences.map((o: Json) => o.task_id))).toEqual(new Set(Object.values(bravo)));

    const tool = await pulse.call('POST', '/tools/list_tasks', {}, as(KEY_A));
    expect(ids(tool.body.tasks)).toEqual([mine]);
    const mcp = await fetch(`${pulse.baseUrl}/mcp`, {
      method: 'POST',
      headers: {
        ...as(KEY_A),
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'get_task_details', arguments: { task_id: bravo.once } },
      }),
    });
    const text = await mcp.text();
    expect(text).toContain('isError');
    expect(text).toContain('TASK_NOT_FOUND');
    expect(text).not.toContain('b-once');

    const feed = await pulse.call('POST', '/calendar/tokens', { label: 'acme' }, as(KEY_A));
    expect(feed.status).toBe(201);
    const tokensB = (await pulse.call('GET', '/calendar/tokens', undefined, as(KEY_B))).body.tokens;
    expect(tokensB.map((t: Json) => t.id)).not.toContain(feed.body.id);
    expect(
      (await pulse.call('DELETE', `/calendar/tokens/${feed.body.id}`, undefined, as(KEY_B))).status,
    ).toBe(404);
    const ics = await fetch(feed.body.url).then((r) => r.text());
    for (const id of Object.values(bravo)) expect(ics).not.toContain(id);
  });

  it('the same Idempotency-Key from two tenants makes two tasks', async () => {
    const body = { schedule_type: 'crawl', when: 'in 1 hour', payload: {} };
    const a = await schedule(KEY_A, body, { 'idempotency-key': 'same-key' });
    const b = await schedule(KEY_B, body, { 'idempotency-key': 'same-key' });
    expect(a).not.toBe(b);
    expect((await pulse.call('GET', `/tasks/${b}`, undefined, as(KEY_A))).status).toBe(404);
    expect(await schedule(KEY_A, body, { 'idempotency-key': 'same-key' })).toBe(a);
  });

  it('random ids and routes with the wrong key never reach a task (property)', async () => {
    const target = Object.values(bravo);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constantFrom(...target),
          fc.stringMatching(/^[A-Za-z0-9_.:-]{1,60}$/),
          fc.constantFrom(...target).map((id) => `${id}x`),
        ),
        fc.nat({ max: 16 }),
        async (id, routeIndex) => {
          const [method, route, body] = taskRoutes(id)[routeIndex]!;
          const answer = await pulse.call(method, route, body, as(KEY_A));
          // A wrong-tenant or made-up id is a 404 (a made-up id that is not an id at all may be a 400/422).
          expect(
            [400, 404, 422],
            `${method} ${route}: ${answer.status} ${JSON.stringify(answer.body)}`,
          ).toContain(answer.status);
        },
      ),
      { numRuns: 60 },
    );
    for (const id of [bravo.once!, bravo.recurring!]) {
      expect((await pulse.call('GET', `/tasks/${id}`, undefined, as(KEY_B))).body.status).toBe('active');
    }
  });
});

describe('keys, admin and limits', () => {
  it('an unknown key is 401; a tenant key naming another tenant is 403; admin sees all and schedules for a named tenant', async () => {
    expect((await pulse.call('GET', '/tasks', undefined, as('pulse_nobody'))).status).toBe(401);
    expect((await pulse.call('GET', '/tasks', undefined)).status).toBe(401);
    const crossed = await pulse.call('GET', '/tasks', undefined, as(KEY_A, { 'x-pulse-tenant': 'bravo' }));
    expect(crossed.status).toBe(403);
    const all = (await pulse.call('GET', '/tasks?limit=1000', undefined, as(ADMIN))).body.tasks.map(
      (t: Json) => t.id,
    );
    for (const id of Object.values(bravo)) expect(all).toContain(id);
    const unnamed = await pulse.call(
      'POST',
      '/tasks/schedule',
      { schedule_type: 'crawl', when: 'in 1 hour', payload: {} },
      as(ADMIN),
    );
    expect(unnamed.status).toBe(400);
    expect(unnamed.body.code).toBe('TENANT_REQUIRED');
    const forBravo = await schedule(
      ADMIN,
      { schedule_type: 'crawl', when: 'in 1 hour', payload: {} },
      { 'x-pulse-tenant': 'bravo' },
    );
    expect((await pulse.call('GET', `/tasks/${forBravo}`, undefined, as(KEY_B))).status).toBe(200);
    expect((await pulse.call('GET', `/tasks/${forBravo}`, undefined, as(KEY_A))).status).toBe(404);
    const nobody = await pulse.call('GET', '/tasks', undefined, as(ADMIN, { 'x-pulse-tenant': 'zulu' }));
    expect(nobody.status).toBe(400);
  });

  it('the CLI (--tenant, PULSE_TENANT) and the typed client (tenant) act for a tenant with an admin key', async () => {
    const env = { PULSE_URL: pulse.baseUrl, PULSE_API_KEY: ADMIN };
    const args = ['schedule', 'http', 'https://example.com/hook', '--when', 'in 1 hour', '--json'];
    const byFlag = await runCliInProcess([...args, '--tenant', 'bravo'], env);
    const byEnv = await runCliInProcess(args, { ...env, PULSE_TENANT: 'acme' });
    const unnamed = await runCliInProcess(args, env);
    expect([byFlag.code, byEnv.code, unnamed.code], byFlag.stderr + byEnv.stderr).toEqual([0, 0, 4]);
    expect(unnamed.stderr).toContain('TENANT_REQUIRED');
    const viaClient = await new PulseClient({
      baseUrl: pulse.baseUrl,
      apiKey: ADMIN,
      tenant: 'bravo',
    }).scheduleHttp({ url: 'https://example.com/hook', when: 'in 1 hour' });
    const owners = {
      bravo: [JSON.parse(byFlag.stdout).task_id, viaClient.task_id],
      acme: [JSON.parse(byEnv.stdout).task_id],
    };
    for (const [tenant, ids] of Object.entries(owners)) {
      for (const id of ids) {
        expect(
          (await pulse.call('GET', `/tasks/${id}`, undefined, as(tenant === 'bravo' ? KEY_B : KEY_A))).status,
        ).toBe(200);
        expect(
          (await pulse.call('GET', `/tasks/${id}`, undefined, as(tenant === 'bravo' ? KEY_A : KEY_B))).status,
        ).toBe(404);
        await pulse.call('DELETE', `/tasks/${id}`, undefined, as(ADMIN));
      }
    }
  });

  it('active_tasks answers 403 with the count, to requests at once and in a row; requests_per_minute answers 429', async () => {
    const crawl = { schedule_type: 'crawl', when: 'in 1 hour', payload: {} };
    // Three at once, then one right after: visibility may not show the first task yet; the limit holds all the same.
    const atOnce = await Promise.all(
      [1, 2, 3].map(() => pulse.call('POST', '/tasks/schedule', crawl, as(KEY_C))),
    );
    expect(atOnce.map((a) => a.status).sort(), JSON.stringify(atOnce.map((a) => a.body))).toEqual([
      200, 403, 403,
    ]);
    const second = await pulse.call('POST', '/tasks/schedule', crawl, as(KEY_C));
    expect(second.status).toBe(403);
    expect(second.body).toMatchObject({
      code: 'ACTIVE_TASK_LIMIT',
      detail:
        "Tenant 'capped' has 1 active tasks, its limit (active_tasks: 1); cancel one or wait for one to finish.",
    });
    // As the answer says: cancel one, and the next request, right after the cancel, makes a task.
    const made = atOnce.find((a) => a.status === 200)!.body.task_id as string;
    expect((await pulse.call('DELETE', `/tasks/${made}`, undefined, as(KEY_C))).status).toBe(200);
    const after = await pulse.call('POST', '/tasks/schedule', crawl, as(KEY_C));
    expect(after.status, JSON.stringify(after.body)).toBe(200);

    // A new tenant, added to the file while Pulse runs: read again on the change.
    const KEY_D = 'pulse_tenant-d-key-0123456789';
    writeFileSync(
      file,
      JSON.stringify(registry([{ id: 'delta', keys: [hashKey(KEY_D)], limits: { requests_per_minute: 2 } }])),
    );
    await expect
      .poll(async () => (await pulse.call('GET', '/tasks', undefined, as(KEY_D))).status, { timeout: 5000 })
      .toBe(200);
    let limited: { status: number; body: Json } | undefined;
    for (let i = 0; i < 3 && !limited; i++) {
      const answer = await pulse.call('GET', '/tasks', undefined, as(KEY_D));
      if (answer.status === 429) limited = answer;
    }
    expect(limited?.body.detail).toMatch(
      /^Too many requests: the limit of tenant 'delta' is 2 a minute; retry in \d+ s\.$/,
    );
    // Other tenants are not slowed by it.
    expect((await pulse.call('GET', '/tasks', undefined, as(KEY_A))).status).toBe(200);
  });
});

describe('per tenant on the worker', () => {
  it("a tenant's callbacks are signed with its own secret; its runs carry its fairness key and weight", async () => {
    const taskId = await schedule(KEY_A, {
      schedule_type: 'http_request',
      when: 'now',
      payload: { url: `${receiver.url}/a-target`, method: 'GET' },
      callback_url: `${receiver.url}/a-callback`,
    });
    const [delivery] = await receiver.waitFor('/a-callback', 1, 20_000);
    const request = { headers: delivery!.headers as Record<string, string>, body: delivery!.body };
    expect(verifyWebhook({ secret: ACME_SECRET, ...request })).toMatchObject({ task_id: taskId });
    expect(() => verifyWebhook({ secret: GLOBAL_SECRET, ...request })).toThrow();
    const metrics = await fetch(`${pulse.baseUrl}/metrics`, { headers: as(ADMIN) }).then((r) => r.text());
    expect(metrics).toMatch(/pulse_tasks_scheduled_total\{[^}]*tenant="acme"[^}]*\} \d+/);
    expect(metrics).toMatch(/pulse_runs_total\{[^}]*tenant="acme"[^}]*\} \d+/);
    expect((await fetch(`${pulse.baseUrl}/metrics`, { headers: as(KEY_A) })).status).toBe(403);
    const description = await env.client.workflow.getHandle(taskId).describe();
    expect(description.priority).toMatchObject({ fairnessKey: 'acme', fairnessWeight: 2 });

    // A tenant without a secret of its own: the global one.
    const other = await schedule(KEY_B, {
      schedule_type: 'http_request',
      when: 'now',
      payload: { url: `${receiver.url}/b-target`, method: 'GET' },
      callback_url: `${receiver.url}/b-callback`,
    });
    const [b] = await receiver.waitFor('/b-callback', 1, 20_000);
    const signed = { headers: b!.headers as Record<string, string>, body: b!.body };
    expect(verifyWebhook({ secret: GLOBAL_SECRET, ...signed })).toMatchObject({ task_id: other });
  });

  it("concurrent_runs: 1 runs a tenant's due runs one after another, across two workers", async () => {
    // A second worker on the same queue, reading the same file: the limit is the tenant's, not each worker's.
    const worker = loadTenantRegistry({ file });
    const connection = await NativeConnection.connect({ address: env.address });
    const second = await createInProcessWorker({
      connection,
      namespace: env.namespace ?? 'default',
      taskQueue: pulse.taskQueue,
      executors: pulse.executors,
      activities: { runLimitFor: (tenant) => worker.tenant(tenant)?.limits?.concurrent_runs },
    });
    const secondRunning = second.run();
    try {
      receiver.respond('/serial', 200, { ok: true }, 1500);
      const ids = await Promise.all(
        [1, 2, 3].map(() =>
          schedule(KEY_S, {
            schedule_type: 'http_request',
            when: 'now',
            payload: { url: `${receiver.url}/serial`, method: 'GET' },
          }),
        ),
      );
      const runs = await Promise.all(
        ids.map(async (id) => {
          await expect
            .poll(async () => (await pulse.call('GET', `/tasks/${id}`, undefined, as(KEY_S))).body.status, {
              timeout: 30_000,
            })
            .toBe('completed');
          return (await pulse.call('GET', `/tasks/${id}`, undefined, as(KEY_S))).body.runs[0];
        }),
      );
      const calls = receiver
        .at('/serial')
        .map((r) => r.receivedAt)
        .sort((a, b) => a - b);
      expect(calls).toHaveLength(3);
      // Each call began only after the one before answered (1.5 s later).
      expect(calls[1]! - calls[0]!).toBeGreaterThanOrEqual(1400);
      expect(calls[2]! - calls[1]!).toBeGreaterThanOrEqual(1400);
      expect(runs.every((r: Json) => r.status === 'success')).toBe(true);
    } finally {
      second.shutdown();
      await secondRunning;
      await connection.close();
    }
  });
});

describe("a tenant's allowed_hosts", () => {
  it("are its own, in the API and in the worker: another tenant's host is refused in every field", async () => {
    // Pulse as `npm start` runs it (API and worker in one process) on this server, with the SSRF guard as
    // deployments have it (private addresses refused) and a tenants file in which only bravo may reach 127.0.0.1,
    // where the receiver is.
    const hostsFile = path.join(dir, 'hosts-tenants.json');
    writeFileSync(
      hostsFile,
      JSON.stringify({
        admin_keys: [],
        tenants: [
          { id: 'acme', keys: [hashKey(KEY_A)] },
          { id: 'bravo', keys: [hashKey(KEY_B)], allowed_hosts: ['127.0.0.1'] },
        ],
      }),
    );
    const port = await freePort();
    const service = await startService({
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: env.namespace ?? 'default',
      PULSE_TASK_QUEUE: `pulse-hosts-${Date.now()}`,
      HOST: '127.0.0.1',
      PORT: String(port),
      PULSE_WORKER_METRICS_PORT: '0',
      PULSE_ALLOW_PRIVATE_NETWORKS: 'false',
      PULSE_TENANTS_FILE: hostsFile,
      PULSE_API_KEY: '',
    });
    // It says auth is on (a tenants file is auth), never the warning that it is off.
    const started = service.output.join('');
    expect(started).toContain(`[pulse] authentication on: tenants from ${hostsFile} (2 tenants)`);
    expect(started).not.toContain('authentication is OFF');
    const call = async (method: string, route: string, key: string, body?: unknown) => {
      const response = await fetch(`http://127.0.0.1:${port}${route}`, {
        method,
        headers: { ...as(key), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as Json };
    };
    try {
      // Bravo's own host: accepted, and its run's connection is allowed by the worker too.
      const own = await call('POST', '/tasks/schedule', KEY_B, {
        schedule_type: 'http_request',
        when: 'now',
        payload: { url: `${receiver.url}/bravo-own-host` },
      });
      expect(own.status, JSON.stringify(own.body)).toBe(200);
      await receiver.waitFor('/bravo-own-host', 1, 30_000);

      const body = {
        schedule_type: 'http_request',
        when: 'in 1 hour',
        payload: { url: `${receiver.url}/x` },
      };
      const elsewhere = { ...body, payload: { url: 'https://example.com/x' } };
      const acme = await call('POST', '/tasks/schedule', KEY_A, elsewhere);
      expect(acme.status, JSON.stringify(acme.body)).toBe(200);
      const refusals = [
        await call('POST', '/tasks/schedule', KEY_A, body),
        await call('POST', '/tasks/schedule', KEY_A, { ...elsewhere, callback_url: `${receiver.url}/cb` }),
        await call('POST', '/tools/schedule_task', KEY_A, body),
        await call('PATCH', `/tasks/${acme.body.task_id}`, KEY_A, { payload: { url: `${receiver.url}/x` } }),
      ];
      for (const refused of refusals) {
        expect(refused.status, JSON.stringify(refused.body)).toBe(400);
        expect(refused.body.code).toBe('DESTINATION_REFUSED');
        expect(refused.body.detail).toContain('127.0.0.1');
      }
      expect(receiver.at('/x')).toEqual([]);
    } finally {
      expect(await stopService(service)).toBe(0);
    }
  });
});

describe('the dashboard with tenants (Chromium)', () => {
  it("a tenant's key shows its own tasks and no picker; an admin key picks a tenant", async () => {
    const browser = await launchBrowser();
    try {
      const open = async (key: string) => {
        const { page } = await openPage(browser);
        await page.goto(`${pulse.baseUrl}/dashboard?timezone=UTC`);
        await page.waitForSelector('#key-dialog[open]');
        await page.fill('#key-input', key);
        await page.click('#key-form button[type="submit"]');
        await page.waitForSelector('body[data-ready="true"] .fc-view');
        return page;
      };
      const events = (page: Page) =>
        page.$$eval('.fc-event[data-task-id]', (nodes) => nodes.map((n) => n.getAttribute('data-task-id')));
      const bravoPage = await open(KEY_B);
      await bravoPage.waitForSelector(`.fc-event[data-task-id="${bravo.once}"]`);
      expect(await bravoPage.isHidden('#tenant-picker')).toBe(true);
      const own = (await pulse.call('GET', '/tasks?limit=1000', undefined, as(KEY_B))).body.tasks.map(
        (t: Json) => t.id,
      );
      for (const id of new Set(await events(bravoPage))) expect(own).toContain(id);

      const adminPage = await open(ADMIN);
      await adminPage.waitForSelector('#tenant-picker:not([hidden])');
      const options = await adminPage.$$eval('#tenant option', (nodes) =>
        nodes.map((n) => n.getAttribute('value')),
      );
      // Every tenant of the file (the limits test may have added one), after "all tenants".
      expect(options[0]).toBe('');
      expect(options).toEqual(expect.arrayContaining(['acme', 'bravo', 'capped', 'serial']));
      await adminPage.selectOption('#tenant', 'acme');
      await until("the agenda without bravo's tasks", async () =>
        (await events(adminPage)).includes(bravo.once!) ? undefined : true,
      );
      expect(await adminPage.evaluate("sessionStorage.getItem('pulse.tenant')")).toBe('acme');
      await adminPage.selectOption('#tenant', 'bravo');
      await adminPage.waitForSelector(`.fc-event[data-task-id="${bravo.once}"]`);
    } finally {
      await browser.close();
    }
  });
});
