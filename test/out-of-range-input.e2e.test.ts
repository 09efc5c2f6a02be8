/**
 * Issue 12, point 5: inputs that once got a 500 get a precise 400 on every route that takes them, against the dev
 * server. A `when` or a repeat interval beyond the supported range (10 years), and a body nested deeper than
 * `MAX_JSON_DEPTH`, at POST /tasks/schedule, PATCH /tasks/{id}, GET /preview, the tool routes and MCP.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../src/api/schemas.js';
import { startPulse, type ApiResponse, type PulseUnderTest } from './helpers/pulse.js';
import { createDevServerEnv } from './helpers/temporal.js';

let env: TestWorkflowEnvironment;
let pulse: PulseUnderTest;
let taskId: string;

const VALID = {
  schedule_type: 'http_request',
  when: 'in 30 days',
  payload: { url: 'http://127.0.0.1:9/never', method: 'POST' },
};

beforeAll(async () => {
  env = await createDevServerEnv();
  pulse = await startPulse(env);
  const created = await pulse.call('POST', '/tasks/schedule', VALID);
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  taskId = created.body.task_id;
});

afterAll(async () => {
  await pulse?.stop();
  await env?.teardown();
});

/** `{"a": {"a": ... 1}}`, `levels` objects deep, as JSON text: `JSON.stringify` itself overflows at 10,000. */
function nested(levels: number): string {
  return '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
}

/** `body` as JSON text with `deep` (JSON text) in place of the string "DEEP". */
function withDeep(body: unknown, deep: string): string {
  return JSON.stringify(body).replace('"DEEP"', deep);
}

/** A JSON-RPC message to the MCP route, answered as plain JSON (the server is stateless). */
function callMcp(message: unknown): Promise<ApiResponse> {
  return pulse.call('POST', '/mcp', message, { accept: 'application/json, text/event-stream' });
}

function callMcpTool(name: string, args: unknown): Promise<ApiResponse> {
  return callMcp({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } });
}

const BEYOND_RANGE = /more than 10 years ahead; Pulse schedules up to 10 years \(3660 days\) from now/;
const INTERVAL_BEYOND_RANGE = /is longer than 10 years \(3660 days\), the longest interval Pulse schedules/;

function expectBadWhen(response: ApiResponse, reason: RegExp): void {
  expect(response.status, JSON.stringify(response.body)).toBe(400);
  expect(response.body.code).toBe('INVALID_WHEN');
  expect(response.body.detail).toMatch(reason);
}

describe('a `when` beyond the supported range', () => {
  it.each<[string, unknown]>([
    ['in 300000 years', 'in 300000 years'],
    ['99999999999w', '99999999999w'],
    ['in 9007199254740993 ms', 'in 9007199254740993 ms'],
    ['{"type":"once","delay":"99999999999w"}', { type: 'once', delay: '99999999999w' }],
  ])('%s: 400 INVALID_WHEN at schedule, PATCH and schedule_task', async (_name, when) => {
    expectBadWhen(await pulse.call('POST', '/tasks/schedule', { ...VALID, when }), BEYOND_RANGE);
    expectBadWhen(await pulse.call('PATCH', `/tasks/${taskId}`, { when }), BEYOND_RANGE);
    expectBadWhen(await pulse.call('POST', '/tools/schedule_task', { ...VALID, when }), BEYOND_RANGE);
  });

  it.each(['in 300000 years', '99999999999w', 'in 99999999999 weeks'])(
    '%s: 400 INVALID_WHEN at GET /preview, preview_schedule and over MCP',
    async (when) => {
      expectBadWhen(await pulse.call('GET', `/preview?when=${encodeURIComponent(when)}`), BEYOND_RANGE);
      expectBadWhen(await pulse.call('POST', '/tools/preview_schedule', { when }), BEYOND_RANGE);
      const mcp = await callMcpTool('preview_schedule', { when });
      expect(mcp.status).toBe(200);
      expect(mcp.body.result.isError).toBe(true);
      expect(mcp.body.result._meta['pulse/error']).toMatchObject({ status: 400, code: 'INVALID_WHEN' });
      expect(mcp.body.result.content[0].text).toMatch(BEYOND_RANGE);
    },
  );

  it('a repeat interval of 99999999999 weeks is refused as out of range, not as a fraction of a second', async () => {
    const repeat = { interval: '99999999999 weeks' };
    for (const response of [
      await pulse.call('POST', '/tasks/schedule', { ...VALID, when: 'now', repeat }),
      await pulse.call('POST', '/tasks/schedule', { ...VALID, when: { type: 'recurring', repeat } }),
      await pulse.call('POST', '/tools/schedule_task', { ...VALID, when: 'now', repeat }),
      await pulse.call('GET', `/preview?when=${encodeURIComponent('every 99999999999 weeks')}`),
    ]) {
      expectBadWhen(response, INTERVAL_BEYOND_RANGE);
      expect(response.body.detail).not.toMatch(/whole number of seconds/);
    }
  });

  it('durations in policy, retry and callback_window beyond the range are a 422 naming the field', async () => {
    for (const [field, body, message] of [
      [
        'policy.jitter',
        { repeat: { interval: '1h' }, policy: { jitter: '99999999999w' } },
        /at most 10 years/,
      ],
      [
        'policy.catchup_window',
        { repeat: { interval: '1h' }, policy: { catchup_window: '9999999999999999999s' } },
        /at most 10 years/,
      ],
      ['callback_window', { callback_window: '99999999999w' }, /between 1s and 30d/],
      ['retry.max_interval', { retry: { max_interval: '99999999999w' } }, /at most 24h/],
    ] as const) {
      const response = await pulse.call('POST', '/tasks/schedule', { ...VALID, when: 'now', ...body });
      // The schema states these bounds (and /openapi.json shows them), so a value out of them is a 422.
      expect(response.status, JSON.stringify(response.body)).toBe(422);
      const errors = response.body.errors as Array<{ field: string; message: string }>;
      expect(errors.find((e) => e.field === field)?.message, JSON.stringify(errors)).toMatch(message);
    }
  });
});

describe(`a body nested deeper than ${MAX_JSON_DEPTH} levels`, () => {
  function expectTooDeep(response: ApiResponse, field: string): void {
    expect(response.status, JSON.stringify(response.body).slice(0, 500)).toBe(400);
    expect(response.body.code).toBe('JSON_TOO_DEEP');
    expect(response.body.detail).toMatch(/more than 64 levels deep \(at .+\); Pulse accepts at most 64/);
    expect(response.body.errors[0].field).toBe(field);
  }

  it.each([MAX_JSON_DEPTH + 1, 10_000])(
    'a payload or metadata taking the body %i levels deep: 400 JSON_TOO_DEEP at schedule, PATCH, schedule_task and MCP',
    async (levels) => {
      // The body is level 1 and payload (or metadata) level 2, so the value inside adds `levels - 2`.
      const deep = nested(levels - 2);
      const payload = { ...VALID.payload, body: 'DEEP' };
      const schedule = withDeep({ ...VALID, payload }, deep);
      expectTooDeep(await pulse.call('POST', '/tasks/schedule', schedule), 'payload');
      const withMetadata = withDeep({ ...VALID, metadata: { deep: 'DEEP' } }, deep);
      expectTooDeep(await pulse.call('POST', '/tasks/schedule', withMetadata), 'metadata');
      expectTooDeep(await pulse.call('PATCH', `/tasks/${taskId}`, withDeep({ payload }, deep)), 'payload');
      const patchMetadata = withDeep({ metadata: { deep: 'DEEP' } }, deep);
      expectTooDeep(await pulse.call('PATCH', `/tasks/${taskId}`, patchMetadata), 'metadata');
      expectTooDeep(await pulse.call('POST', '/tools/schedule_task', schedule), 'payload');
      const rpc = { jsonrpc: '2.0', id: 1, method: 'tools/call' };
      const mcp = withDeep(
        { ...rpc, params: { name: 'schedule_task', arguments: { ...VALID, payload } } },
        deep,
      );
      expectTooDeep(await callMcp(mcp), 'params');
    },
  );

  it('a body exactly 64 levels deep is accepted, and the task keeps its payload', async () => {
    // The body (1), payload (2), then 62 levels of {"a": ...}: 64 in all.
    const payload = { ...VALID.payload, body: 'DEEP' };
    const deep = nested(MAX_JSON_DEPTH - 2);
    const created = await pulse.call('POST', '/tasks/schedule', withDeep({ ...VALID, payload }, deep));
    expect(created.status, JSON.stringify(created.body).slice(0, 500)).toBe(200);
    const task = await pulse.call('GET', `/tasks/${created.body.task_id}`);
    expect(task.body.payload).toEqual({ ...payload, body: JSON.parse(deep) });
    await pulse.call('DELETE', `/tasks/${created.body.task_id}`);
  });

  it('a body 500,000 levels deep within the size limit is refused at once, and the service stays healthy', async () => {
    const raw = '['.repeat(500_000) + ']'.repeat(500_000);
    const started = performance.now();
    const response = await pulse.call('POST', '/tasks/schedule', raw);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('JSON_TOO_DEEP');
    expect(performance.now() - started).toBeLessThan(2000);
    expect((await pulse.call('GET', '/health')).body.status).toBe('ok');
  });
});

describe('a task larger than Temporal keeps', () => {
  it("is a 413 naming the limit, at schedule and at PATCH; the task stays usable, and one at the limit's edge works", async () => {
    const kb = (n: number) => 'x'.repeat(n * 1024);
    const scheduleSized = (payloadKb: number, metadataKb: number) =>
      pulse.call('POST', '/tasks/schedule', {
        schedule_type: 'crawl',
        when: 'in 1 hour',
        payload: { d: kb(payloadKb) },
        metadata: { d: kb(metadataKb) },
      });
    // Under the body limit (1 MiB), over what a task may hold: refused before Temporal is asked.
    const tooBig = await scheduleSized(400, 300);
    expect(tooBig.status, JSON.stringify(tooBig.body).slice(0, 300)).toBe(413);
    expect(tooBig.body.code).toBe('TASK_TOO_LARGE');
    expect(tooBig.body.detail).toMatch(/at most 524288/);

    // Just under it, then changed to just under it again: Temporal takes both (the start, the update, the memo).
    const edge = await scheduleSized(250, 250);
    expect(edge.status, JSON.stringify(edge.body).slice(0, 300)).toBe(200);
    const id = edge.body.task_id as string;
    const changed = await pulse.call('PATCH', `/tasks/${id}`, { metadata: { d: kb(255) } });
    expect(changed.status, JSON.stringify(changed.body).slice(0, 300)).toBe(200);
    expect(changed.body.metadata.d).toHaveLength(255 * 1024);

    // A change that would take it over: refused, and the task is as it was, still changeable.
    const over = await pulse.call('PATCH', `/tasks/${id}`, { metadata: { d: kb(900) } });
    expect(over.status).toBe(413);
    expect(over.body.code).toBe('TASK_TOO_LARGE');
    const paused = await pulse.call('PATCH', `/tasks/${id}`, { status: 'paused' });
    expect(paused.status, JSON.stringify(paused.body).slice(0, 300)).toBe(200);
    expect(paused.body.status).toBe('paused');
    expect(paused.body.metadata.d).toHaveLength(255 * 1024);
    expect((await pulse.call('DELETE', `/tasks/${id}`)).status).toBe(200);
  });
});
