/**
 * `npm start` as a newcomer runs it, on non-default ports: the CLIs find it by themselves (and refuse a stale
 * record rather than reach another server), a local development start lets tasks call this machine back while a
 * start against a cluster (TEMPORAL_ADDRESS) keeps the SSRF guard strict, the sample agents run and a missing agent
 * is a 400, every log line is JSON, a bodiless trigger works, and Temporal shows what each task is. Every task
 * that runs here calls 127.0.0.1; the public URLs named are of tasks that are never due during the test.
 */
import { Client, Connection } from '@temporalio/client';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/project-root.js';
import { freePort, startService, stopService, type ServiceProcess } from './helpers/service.js';

const exec = promisify(execFile);
const shellEnv = (extra: Record<string, string>) => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  NPM_CONFIG_UPDATE_NOTIFIER: 'false',
  ...extra,
});

async function run(command: string, args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await exec(command, args, { cwd: PROJECT_ROOT, env: shellEnv(env) });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

let dataDir: string;
let service: ServiceProcess;
let api: string;
let temporalAddress: string;
const received: Array<{ url: string; body: string }> = [];
let receiver: http.Server;
let receiverUrl: string;

async function post(pathname: string, body?: unknown, base = api) {
  const response = await fetch(`${base}${pathname}`, {
    method: 'POST',
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'pulse-discovery-'));
  const [port, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
  service = await startService({
    PORT: String(port),
    TEMPORAL_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(uiPort),
    PULSE_DATA_DIR: dataDir,
    PULSE_WORKER_METRICS_PORT: '0',
    TEMPORAL_ADDRESS: '',
    PULSE_ALLOW_PRIVATE_NETWORKS: '',
    LOCAL_AGENT_PATH: '',
    PULSE_URL: '',
  });
  api = `http://127.0.0.1:${port}`;
  temporalAddress = `127.0.0.1:${temporalPort}`;
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ url: req.url ?? '', body });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
}, 120_000);

afterAll(async () => {
  if (service) await stopService(service);
  receiver?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('local development: npm start on non-default ports', () => {
  it('says so at start-up, and lets tasks call back to loopback: the sample agent runs end to end', async () => {
    const output = service.output.join('');
    expect(output).toContain('[pulse] LOCAL DEVELOPMENT: tasks may call back to this machine');
    expect(output).toMatch(/local agents from .*examples\/agents/);
    const scheduled = await post('/tasks/schedule', {
      schedule_type: 'run_agent',
      when: 'now',
      payload: { agent_id: 'hello', entrypoint_tag: 'greet', params: { name: 'Ada' } },
      callback_url: `${receiverUrl}/callback`,
    });
    expect(scheduled.status).toBe(200);
    const deadline = Date.now() + 30_000;
    while (!received.some((r) => r.url === '/callback') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const callback = JSON.parse(received.find((r) => r.url === '/callback')!.body) as Record<string, unknown>;
    expect(callback).toMatchObject({ status: 'success', result: { greeting: 'Hello, Ada!' } });
  });

  it('refuses an agent it cannot find when it is scheduled, with a 400 naming LOCAL_AGENT_PATH', async () => {
    const missing = await post('/tasks/schedule', {
      schedule_type: 'run_agent',
      when: 'in 1 hour',
      payload: { agent_id: 'my-agent', entrypoint_tag: 'main' },
    });
    expect(missing.status).toBe(400);
    expect(String(missing.body.detail)).toMatch(/names no agent under LOCAL_AGENT_PATH .*no my-agent\.js/);
    const python = await post('/tasks/schedule', {
      schedule_type: 'run_agent',
      when: 'in 1 hour',
      payload: { agent_id: 'word_stats', entrypoint_tag: 'count', params: { text: 'a b a' } },
    });
    expect(python.status).toBe(200);
  });

  it('still refuses private and metadata addresses', async () => {
    const refused = await post('/tasks/schedule', {
      schedule_type: 'http_request',
      when: 'in 1 hour',
      payload: { url: 'http://169.254.169.254/latest/meta-data/' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('DESTINATION_REFUSED');
  });

  it('a start against a cluster (TEMPORAL_ADDRESS) keeps loopback refused and says nothing of local development', async () => {
    const otherData = mkdtempSync(path.join(os.tmpdir(), 'pulse-discovery-cluster-'));
    const port = await freePort();
    const strict = await startService({
      PORT: String(port),
      TEMPORAL_ADDRESS: temporalAddress,
      PULSE_DATA_DIR: otherData,
      PULSE_WORKER_METRICS_PORT: '0',
      PULSE_ALLOW_PRIVATE_NETWORKS: '',
      PULSE_TASK_QUEUE: 'pulse-strict',
    });
    try {
      expect(strict.output.join('')).not.toContain('LOCAL DEVELOPMENT');
      const refused = await post(
        '/tasks/schedule',
        { schedule_type: 'http_request', when: 'in 1 hour', payload: { url: `${receiverUrl}/x` } },
        `http://127.0.0.1:${port}`,
      );
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe('DESTINATION_REFUSED');
    } finally {
      await stopService(strict);
      rmSync(otherData, { recursive: true, force: true });
    }
  }, 120_000);

  it('a POST trigger without a body is accepted, says when its run was dropped; Temporal shows what the task is and when', async () => {
    const scheduled = await post('/tasks/schedule', {
      schedule_type: 'http_request',
      when: 'every day at 9am',
      timezone: 'Europe/Berlin',
      payload: { url: `${receiverUrl}/report`, method: 'GET' },
    });
    const taskId = String(scheduled.body.task_id);
    const triggered = await post(`/tasks/${taskId}/trigger`);
    expect(triggered).toEqual({ status: 200, body: { status: 'triggered', task_id: taskId } });
    // A run triggered in the same second as the previous one would reuse its workflow id, and the schedule drops
    // it: the API says so instead of "triggered".
    const external = await post('/tasks/schedule', {
      schedule_type: 'crawl',
      when: 'every 2 hours',
      payload: {},
    });
    const crawlId = String(external.body.task_id);
    // Two triggers just after a second turns. Under load the first can take past the turn of the next second; then
    // the second starts a run of its own and is rightly "triggered", so the pair is tried again (at most five times).
    let dropped: Awaited<ReturnType<typeof post>> | undefined;
    for (let attempt = 0; attempt < 5 && !dropped; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 1050 - (Date.now() % 1000)));
      expect((await post(`/tasks/${crawlId}/trigger`)).status).toBe(200);
      const second = await post(`/tasks/${crawlId}/trigger`);
      if (second.status !== 200) dropped = second;
    }
    expect(dropped?.status).toBe(409);
    expect(dropped?.body.code).toBe('TRIGGER_NOT_STARTED');

    const once = await post('/tasks/schedule', {
      schedule_type: 'http_request',
      when: '2030-12-02T09:00:00+01:00',
      timezone: 'Europe/Berlin',
      payload: { url: 'https://example.com/y' },
      callback_url: 'https://example.com/cb',
    });
    const connection = await Connection.connect({ address: temporalAddress });
    try {
      const client = new Client({ connection });
      const workflow = await client.workflow.getHandle(String(once.body.task_id)).describe();
      expect(await workflow.staticSummary()).toBe(
        'POST https://example.com/y · due 2030-12-02 09:00 Europe/Berlin',
      );
      expect(await workflow.staticDetails()).toContain('**callback**: https://example.com/cb');
      const schedule = await client.schedule.getHandle(taskId).describe();
      expect(schedule.action).toMatchObject({
        staticSummary: `GET ${receiverUrl}/report · every day at 9am (Europe/Berlin)`,
      });
    } finally {
      await connection.close();
    }
  });

  it('writes every log line as JSON besides its [pulse] narrative and the dev server banner', () => {
    const lines = service.output.join('').split('\n').filter(Boolean);
    const other = lines.filter((line) => !/^\[(pulse|temporal)\] /.test(line));
    for (const line of other) expect(() => JSON.parse(line), line).not.toThrow();
    expect(lines.filter((line) => /^\[temporal\] time=/.test(line))).toEqual([]);
  });
});

describe('the CLIs find the running service', () => {
  it('pulse and npm run temporal reach this instance through .pulse-data/service.json', async () => {
    const recurring = await post('/tasks/schedule', {
      schedule_type: 'crawl',
      when: 'every 2 hours',
      payload: { site: 'https://example.org' },
    });
    const taskId = String(recurring.body.task_id);
    const listed = await run('npx', ['pulse', 'list', '--json'], { PULSE_DATA_DIR: dataDir });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(taskId);
    const temporal = await run('npm', ['run', '--silent', 'temporal', '--', 'schedule', 'list'], {
      PULSE_DATA_DIR: dataDir,
    });
    expect(temporal.code, temporal.stderr).toBe(0);
    expect(temporal.stdout).toContain(taskId);
  }, 120_000);

  it('a record whose service has stopped is an error, never a fall-back to the default ports', async () => {
    const stale = mkdtempSync(path.join(os.tmpdir(), 'pulse-stale-'));
    try {
      mkdirSync(stale, { recursive: true });
      writeFileSync(
        path.join(stale, 'service.json'),
        JSON.stringify({
          pid: 2 ** 22 + 7,
          api_url: 'http://127.0.0.1:1',
          temporal_address: '127.0.0.1:1',
          namespace: 'default',
          task_queue: 'pulse',
          ui_url: 'http://localhost:1',
          auth: false,
          started_at: new Date().toISOString(),
        }),
      );
      const cli = await run('npx', ['pulse', 'list'], { PULSE_DATA_DIR: stale });
      expect(cli.code).toBe(5);
      expect(cli.stderr).toMatch(/no longer running/);
      const temporal = await run('npm', ['run', '--silent', 'temporal', '--', 'workflow', 'list'], {
        PULSE_DATA_DIR: stale,
      });
      expect(temporal.code).not.toBe(0);
      expect(temporal.stderr).toMatch(/no longer running/);
    } finally {
      rmSync(stale, { recursive: true, force: true });
    }
  }, 120_000);

  it('the record goes away with the service, and the shutdown is quiet', async () => {
    expect(existsSync(path.join(dataDir, 'service.json'))).toBe(true);
    const before = service.output.join('').length;
    expect(await stopService(service)).toBe(0);
    expect(existsSync(path.join(dataDir, 'service.json'))).toBe(false);
    const shutdown = service.output.join('').slice(before).split('\n').filter(Boolean);
    expect(
      shutdown.filter((line) => !line.startsWith('[pulse] ')),
      shutdown.join('\n'),
    ).toEqual([]);
  }, 60_000);
});
