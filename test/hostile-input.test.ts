/**
 * Property test: tens of thousands of generated malformed and hostile bodies thrown at the write endpoints, in
 * process (`app.request()` on `createApp` over the in-memory task service, which runs the real `buildTask` and
 * `when` parser). Whatever arrives, the answer is a 4xx with `detail` and `code` (never a 5xx or a stack trace),
 * nothing gets scheduled, and the existing tasks are unchanged. Every route that parses a `when` is covered
 * (schedule, PATCH, GET /preview, the schedule_task and preview_schedule tools over HTTP and MCP), with extreme
 * magnitudes (1e308, -0, 2^53 + 1, counts up to 10^40) and payload or metadata nested up to 10,000 levels deep.
 * Over real HTTP and Temporal, test/out-of-range-input.e2e.test.ts sends the out-of-range forms end to end.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/api/app.js';
import { createExecutorFactory } from '../src/executors/executor-factory.js';
import { createLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import { createDestinationGuard } from '../src/security/ssrf-guard.js';
import { createFakeTasks } from './helpers/fake-tasks.js';

// The fixture tasks point at 127.0.0.1, as the original end-to-end version did.
const tasks = createFakeTasks({
  guard: createDestinationGuard({ allowPrivateNetworks: true, allowedHosts: [] }),
});
const executors = createExecutorFactory();
const app = createApp({
  tasks,
  executors: { list: () => executors.list() },
  auth: { apiKeys: [] },
  limits: { bodyBytes: 1024 * 1024 },
  metrics: createMetrics(),
  // A 500 would fail the assertions; its log line would only be noise.
  logger: createLogger({ logLevel: 'silent' }),
  health: () => Promise.reject(new Error('not used')),
});
let existingTask: string;
let externalTask: string;

/** Every property below runs this many times its original (end-to-end) count. */
const SCALE = 10;

beforeAll(async () => {
  const created = await tasks.schedule({
    schedule_type: 'http_request',
    when: 'in 30 days',
    payload: { url: 'http://127.0.0.1:9/never' },
  });
  existingTask = created.task_id;
  const external = await tasks.schedule({ schedule_type: 'crawl', when: 'in 30 days', payload: {} });
  externalTask = external.task_id;
});

const VALID = {
  schedule_type: 'http_request',
  when: 'in 1 hour',
  payload: { url: 'http://127.0.0.1:9/x', method: 'POST' },
};

const hostileString = fc.oneof(
  fc.string(),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '../../etc/passwd',
    "'; DROP TABLE tasks; --",
    "x' OR PulseStatus = 'active",
    '<script>alert(1)</script>',
    '${process.exit()}',
    '%s%s%s%n',
    '\uFFFF\uD800',
    'a'.repeat(5000),
    'every -1 minutes',
    'in 1e309 seconds',
    '9999-99-99T99:99:99Z',
    'javascript:alert(1)',
    'file:///etc/passwd',
    'http://',
    '__proto__',
  ),
);

/**
 * Counts no schedule can hold: at least 10^12, which is over 10 years even in milliseconds, up to 2^53 + 1 and far
 * past it. Together with the units below, every `when` built from one is beyond the supported range.
 */
const hugeCount = fc.oneof(
  fc.constantFrom('9007199254740993', '99999999999999', '300000000000000', '9'.repeat(150)),
  fc.bigInt({ min: 10n ** 12n, max: 10n ** 40n }).map(String),
);
const unit = fc.constantFrom(
  'ms',
  's',
  'm',
  'h',
  'd',
  'w',
  ' seconds',
  ' minutes',
  ' hours',
  ' days',
  ' weeks',
);
const hugeDelay = fc.tuple(hugeCount, unit).map(([count, u]) => count + u);
/** Numbers at the edges of what JSON and doubles carry; none is a valid count, duration or time. */
const extremeNumber = fc.constantFrom(1e308, -1e308, -0, 2 ** 53 + 1, -(2 ** 53) - 1, 5e-324, 1.5);

/** A `when` beyond the supported range (or not a time at all), in every form that parses one. */
const extremeWhen = fc.oneof(
  hugeDelay,
  hugeDelay.map((d) => `in ${d}`),
  hugeDelay.map((d) => `${d} from now`),
  hugeDelay.map((d) => `every ${d}`),
  fc
    .tuple(fc.constantFrom('1e308', '-0', '1.7976931348623157e308', 'Infinity', 'NaN', '-1'), unit)
    .map(([n, u]) => `in ${n}${u}`),
  fc.constantFrom('in 300000 years', '99999999999w', '9999-12-31T23:59:59Z', 'dec 25 9999 10am'),
  hugeDelay.map((delay) => ({ type: 'once', delay })),
  hugeDelay.map((d) => ({ type: 'once', natural: `in ${d}` })),
  hugeDelay.map((interval) => ({ type: 'recurring', repeat: { interval } })),
  hugeDelay.map((delay) => ({ type: 'recurring', delay, repeat: { interval: '1m' } })),
);

/**
 * JSON text nested `depth` levels deep (65 to 10,000: always past the limit once inside a body), of objects,
 * arrays or both, as `JSON.stringify` would overflow building it.
 */
const deepJson = fc
  .record({ depth: fc.integer({ min: 65, max: 10_000 }), shape: fc.constantFrom('object', 'array', 'mixed') })
  .map(({ depth, shape }) => {
    const open = (i: number) => (shape === 'array' || (shape === 'mixed' && i % 2) ? '[' : '{"k":');
    const close = (i: number) => (shape === 'array' || (shape === 'mixed' && i % 2) ? ']' : '}');
    let text = '';
    for (let i = 0; i < depth; i++) text += open(i);
    text += '1';
    for (let i = depth - 1; i >= 0; i--) text += close(i);
    return text;
  });

/** `body` as JSON text with `deep` (JSON text) in place of the string "DEEP". */
function withDeep(body: unknown, deep: string): string {
  return JSON.stringify(body).replace('"DEEP"', deep);
}

/** A change that makes VALID certainly invalid, so no generated body can schedule something by accident. */
const breakingMutation = fc.oneof(
  fc.record({ key: fc.constantFrom('schedule_type', 'when', 'payload'), value: fc.constant(undefined) }),
  fc.record({
    key: fc.constant('schedule_type'),
    value: fc.oneof(fc.integer(), fc.constant(''), fc.constant('a b'), fc.array(fc.string())),
  }),
  fc.record({
    key: fc.constant('when'),
    value: fc.oneof(
      hostileString.filter((s) => !/^\s*now\s*$/i.test(s) && !/\d/.test(s)),
      fc.integer(),
      fc.object(),
    ),
  }),
  fc.record({
    key: fc.constant('payload'),
    value: fc.oneof(fc.string(), fc.integer(), fc.array(fc.anything()), fc.constant(null)),
  }),
  fc.record({
    key: fc.constant('payload.url'),
    value: fc.oneof(
      hostileString.filter((s) => !/^https?:\/\/[^\s/]+/.test(s)),
      fc.integer(),
    ),
  }),
  fc.record({
    key: fc.constant('timezone'),
    value: hostileString.filter((s) => !['UTC', 'utc'].includes(s)),
  }),
  fc.record({ key: fc.constant('when'), value: extremeWhen }),
  fc.record({
    key: fc.constant('repeat'),
    value: fc.oneof(
      hugeDelay.map((interval) => ({ interval })),
      extremeNumber.map((times) => ({ interval: '1m', times })),
    ),
  }),
  fc.record({
    key: fc.constant('webhook_timeout'),
    // 5e-324 s is a (silly) positive timeout and 1.5 s a sensible one, so both valid (the 1.5 case went unseen at
    // the end-to-end run count).
    value: fc.oneof(
      fc.constant(-1),
      fc.constant(0),
      fc.string(),
      extremeNumber.filter((n) => n !== 5e-324 && n !== 1.5),
    ),
  }),
  // -0 reaches the server as 0, a valid retry count.
  fc.record({ key: fc.constant('webhook_retries'), value: extremeNumber.filter((n) => !Object.is(n, -0)) }),
  fc.record({ key: fc.constant('retry'), value: extremeNumber.map((max_attempts) => ({ max_attempts })) }),
  fc.record({
    key: fc.constant('retry'),
    value: fc.oneof(fc.string(), fc.constant({ max_attempts: -3 }), fc.constant({ timeout: 'forever' })),
  }),
  fc.record({
    key: fc.constant('policy'),
    value: fc.oneof(fc.constant({ overlap: 'sometimes' }), fc.constant({ evil: true }), fc.string()),
  }),
);

function mutate(mutation: { key: string; value: unknown }): Record<string, unknown> {
  const body: Record<string, unknown> = structuredClone(VALID);
  if (mutation.key === 'payload.url') {
    (body.payload as Record<string, unknown>).url = mutation.value;
  } else if (mutation.value === undefined) {
    delete body[mutation.key];
  } else {
    body[mutation.key] = mutation.value;
  }
  return body;
}

/** Bodies for POST /tasks/schedule: raw garbage, arbitrary JSON, deep nesting, and broken valid requests. */
const scheduleBody = fc.oneof(
  fc.string().map((raw) => ({ raw })),
  fc.anything().map((value) => ({ raw: JSON.stringify(value) ?? 'undefined' })),
  fc.integer({ min: 1, max: 5000 }).map((depth) => ({ raw: '['.repeat(depth) + ']'.repeat(depth) })),
  fc.integer({ min: 1, max: 200 }).map((depth) => ({ raw: '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) })),
  breakingMutation.map((m) => ({ raw: JSON.stringify(mutate(m)) })),
  deepJson.map((deep) => ({
    raw: withDeep({ ...VALID, payload: { ...VALID.payload, body: 'DEEP' } }, deep),
  })),
  deepJson.map((deep) => ({ raw: withDeep({ ...VALID, metadata: { deep: 'DEEP' } }, deep) })),
  fc.constant({ raw: '{"__proto__": {"polluted": true}, "schedule_type": 1}' }),
  fc.constant({ raw: '{"constructor": {"prototype": {"polluted": true}}}' }),
);

/** Bodies for PATCH /tasks/{id}: unknown keys, wrong types, hostile values. */
const patchBody = fc.oneof(
  fc.string().map((raw) => ({ raw })),
  fc.anything().map((value) => ({ raw: JSON.stringify(value) ?? 'null' })),
  fc
    .record({
      key: hostileString.filter(
        (k) => !['status', 'when', 'repeat', 'timezone', 'metadata', 'payload'].includes(k),
      ),
      value: fc.anything(),
    })
    .map(({ key, value }) => ({ raw: JSON.stringify({ [key]: value }) })),
  fc
    .oneof(
      fc.record({ status: hostileString.filter((s) => s !== 'active' && s !== 'paused') }),
      fc.record({
        when: hostileString.filter(
          (s) =>
            !/\d|now|noon|midnight|daily|hourly|weekly|monthly|yearly|every|tomorrow|today|tonight|day/i.test(
              s,
            ),
        ),
      }),
      fc.record({ payload: fc.oneof(fc.string(), fc.integer(), fc.constant({ url: 'not a url' })) }),
      fc.record({ timezone: hostileString.filter((s) => !['UTC', 'utc'].includes(s)) }),
      fc.record({ when: extremeWhen }),
      fc.record({ repeat: hugeDelay.map((interval) => ({ interval })) }),
    )
    .map((b) => ({ raw: JSON.stringify(b) })),
  deepJson.map((deep) => ({ raw: withDeep({ payload: { ...VALID.payload, body: 'DEEP' } }, deep) })),
  deepJson.map((deep) => ({ raw: withDeep({ metadata: { deep: 'DEEP' } }, deep) })),
);

/** `when` for the read-only previews: anything hostile, and every form of out-of-range time. */
const previewWhen = fc.oneof(
  hostileString,
  extremeWhen.filter((w): w is string => typeof w === 'string'),
);

/** Bodies for claim and ack: wrong types, missing fields, hostile ids and results. */
const workerBody = fc.oneof(
  fc.string().map((raw) => ({ raw })),
  fc.anything().map((value) => ({ raw: JSON.stringify(value) ?? 'null' })),
  fc
    .record({
      worker_id: fc.oneof(hostileString, fc.integer(), fc.constant(null)),
      lease_seconds: fc.oneof(fc.integer({ min: -10, max: 100_000 }), fc.string(), fc.constant(undefined)),
      status: fc.oneof(fc.constantFrom('success', 'failed', 'done', ''), fc.integer()),
      execution_id: fc.oneof(hostileString, fc.constant(undefined)),
      result: fc.anything(),
    })
    .map((b) => ({ raw: JSON.stringify(b) })),
);

/** Path ids no task can have: quotes, backslashes, control characters, very long, traversal. */
const hostileId = fc.oneof(
  fc.constantFrom(
    "a'b",
    'a\\b',
    '..',
    '%00',
    "' OR 1=1 --",
    'x'.repeat(300),
    'task_\u0001',
    'a b',
    '%2e%2e%2f',
  ),
  fc.string({ minLength: 1, maxLength: 50 }),
);

interface Outcome {
  status: number;
  body: unknown;
}

async function send(method: string, path: string, raw: string): Promise<Outcome> {
  const response = await app.request(path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: method === 'GET' ? undefined : raw,
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep the text, the assertion below will show it
  }
  return { status: response.status, body };
}

/** A JSON-RPC `tools/call` over MCP; the server is stateless and answers it as plain JSON. */
async function callMcpTool(name: string, args: unknown): Promise<Outcome> {
  const response = await app.request('/mcp', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
  });
  return { status: response.status, body: await response.json() };
}

/**
 * Fails the property with `what` when `ok` is false. The checks run 22,500 times: plain comparisons, with the
 * message built only for a failure (an `expect` per check, each with its message string, was a tenth of the file's
 * CPU).
 */
function check(ok: boolean, what: () => string): void {
  if (!ok) expect.fail(what());
}

/** A tool call over MCP failed as a 4xx would over HTTP: an error result naming its status and code. */
function assertCleanToolError(outcome: Outcome, input: string): void {
  check(outcome.status === 200, () => `MCP answered ${outcome.status} for ${input.slice(0, 200)}`);
  const result = (outcome.body as { result?: { isError?: boolean; _meta?: Record<string, unknown> } }).result;
  check(result?.isError === true, () => `accepted over MCP: ${input.slice(0, 200)}`);
  const error = result?._meta?.['pulse/error'] as { status?: unknown; code?: unknown } | undefined;
  check(
    typeof error?.status === 'number' && error.status >= 400 && error.status < 500,
    () => `${JSON.stringify(result)} for ${input.slice(0, 200)}`,
  );
  check(typeof error?.code === 'string', () => `no error code: ${JSON.stringify(result)}`);
}

function assertClean(outcome: Outcome, input: string): void {
  check(outcome.status < 500, () => `5xx for ${input.slice(0, 200)}: ${JSON.stringify(outcome.body)}`);
  check(outcome.status >= 400, () => `accepted ${input.slice(0, 200)}`);
  const body = outcome.body as { detail?: unknown; code?: unknown };
  check(typeof body.detail === 'string', () => `no detail: ${JSON.stringify(outcome.body)}`);
  check(typeof body.code === 'string', () => `no code: ${JSON.stringify(outcome.body)}`);
  const text = JSON.stringify(body);
  check(!/\n\s+at |node_modules|\.ts:\d+/.test(text), () => `internals in ${text}`);
}

describe('hostile input', () => {
  it('22,500 generated bodies and ids at schedule, patch, previews, tools, MCP, claim and ack: never a 5xx, nothing scheduled, nothing changed', async () => {
    const before = tasks.stored.size;
    const original = await tasks.get(existingTask);
    let sent = 0;

    await fc.assert(
      fc.asyncProperty(scheduleBody, fc.boolean(), async ({ raw }, asTool) => {
        sent++;
        assertClean(await send('POST', asTool ? '/tools/schedule_task' : '/tasks/schedule', raw), raw);
      }),
      { numRuns: 800 * SCALE, seed: 20261124 },
    );
    await fc.assert(
      fc.asyncProperty(breakingMutation, async (mutation) => {
        sent++;
        const args = mutate(mutation);
        assertCleanToolError(await callMcpTool('schedule_task', args), JSON.stringify(args));
      }),
      { numRuns: 150 * SCALE, seed: 20261124 },
    );
    // Previews are read-only, so a `when` they can read may answer 200; whatever they cannot is a clean 4xx.
    await fc.assert(
      fc.asyncProperty(
        previewWhen,
        fc.constantFrom('GET', 'TOOL', 'MCP'),
        fc.option(hostileString),
        async (when, route, timezone) => {
          sent++;
          const input = `${route} ${JSON.stringify({ when, timezone })}`;
          const args = { when, ...(timezone === null ? {} : { timezone }) };
          if (route === 'MCP') {
            const outcome = await callMcpTool('preview_schedule', args);
            check(outcome.status === 200, () => `MCP answered ${outcome.status} for ${input}`);
            const { result } = outcome.body as { result: { _meta?: Record<string, { status: number }> } };
            check((result._meta?.['pulse/error']?.status ?? 200) < 500, () => `5xx for ${input}`);
            return;
          }
          const outcome =
            route === 'GET'
              ? await send('GET', `/preview?${new URLSearchParams(args).toString()}`, '')
              : await send('POST', '/tools/preview_schedule', JSON.stringify(args));
          if (outcome.status !== 200) assertClean(outcome, input);
        },
      ),
      { numRuns: 300 * SCALE, seed: 20261124 },
    );
    await fc.assert(
      fc.asyncProperty(extremeWhen, fc.constantFrom('GET', 'TOOL'), async (when, route) => {
        sent++;
        const input = `${route} ${JSON.stringify(when)}`;
        // A string out of range is a 400 from both; an object is not a query value, so only the tool sees it.
        const outcome =
          route === 'GET' && typeof when === 'string'
            ? await send('GET', `/preview?when=${encodeURIComponent(when)}`, '')
            : await send('POST', '/tools/preview_schedule', JSON.stringify({ when }));
        assertClean(outcome, input);
      }),
      { numRuns: 100 * SCALE, seed: 20261124 },
    );
    await fc.assert(
      fc.asyncProperty(patchBody, async ({ raw }) => {
        sent++;
        assertClean(await send('PATCH', `/tasks/${existingTask}`, raw), raw);
      }),
      { numRuns: 400 * SCALE, seed: 20261124 },
    );
    await fc.assert(
      fc.asyncProperty(workerBody, fc.boolean(), async ({ raw }, claimIt) => {
        sent++;
        const path = `/tasks/${externalTask}/${claimIt ? 'claim' : 'ack'}`;
        assertClean(await send('POST', path, raw), raw);
      }),
      { numRuns: 300 * SCALE, seed: 20261124 },
    );
    await fc.assert(
      fc.asyncProperty(
        hostileId,
        fc.constantFrom('GET', 'PATCH', 'DELETE', 'CLAIM', 'ACK'),
        async (id, verb) => {
          sent++;
          // `/tasks/..` is `/` once the URL is parsed (by any client), and `GET /` is the landing page.
          if (verb === 'GET' && id === '..') return;
          const encoded = encodeURIComponent(id);
          const [method, path] =
            verb === 'CLAIM'
              ? ['POST', `/tasks/${encoded}/claim`]
              : verb === 'ACK'
                ? ['POST', `/tasks/${encoded}/ack`]
                : [verb, `/tasks/${encoded}`];
          const body =
            verb === 'GET' || verb === 'DELETE'
              ? undefined
              : JSON.stringify({ worker_id: 'w', status: 'paused', execution_id: 'e' });
          const response = await app.request(path, {
            method,
            headers: body ? { 'content-type': 'application/json' } : {},
            body,
          });
          check(
            response.status >= 400 && response.status < 500,
            () => `${verb} ${id} answered ${response.status}`,
          );
        },
      ),
      { numRuns: 200 * SCALE, seed: 20261124 },
    );
    expect(sent).toBeGreaterThanOrEqual(2250 * SCALE);

    expect(tasks.stored.size).toBe(before);
    const after = (await send('GET', `/tasks/${existingTask}`, '')).body as typeof original;
    expect(after.status).toBe('active');
    expect(after.payload).toEqual(original.payload);
    expect(after.next_execution).toBe(original.next_execution);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
