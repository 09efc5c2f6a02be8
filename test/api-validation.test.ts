/**
 * The API in process: `createApp` over an in-memory task service (`helpers/fake-tasks.ts`), called with
 * `app.request()`. Everything the API layer decides is checked here without Temporal: schema validation (422),
 * the task rules' 400s (the fake runs the real `buildTask`), auth, error mapping, body limits, the rate limit and
 * unknown routes. What crosses Temporal stays in the end-to-end suites.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/api/app.js';
import type { Health } from '../src/api/health.js';
import { ConflictError, TemporalUnavailableError } from '../src/errors.js';
import { createExecutorFactory } from '../src/executors/executor-factory.js';
import { createLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import { createFakeTasks } from './helpers/fake-tasks.js';

const HEALTHY: Health = {
  status: 'ok',
  api: 'ok',
  temporal: { reachable: true, namespace: 'default' },
  worker: { polling: true, pollers: 1, task_queue: 'pulse' },
};

interface AppOptions {
  apiKeys?: string[];
  metricsPublic?: boolean;
  requestsPerMinute?: number;
  wrongKeysPerMinute?: number;
  bodyBytes?: number;
}

/** An app over a fresh fake, with the log lines it writes. */
function inProcess(options: AppOptions = {}) {
  const tasks = createFakeTasks();
  const executors = createExecutorFactory({ defaultExecutor: 'http' });
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  const app = createApp({
    tasks,
    executors: { list: () => executors.list(), defaultExecutor: 'http' },
    auth: { apiKeys: options.apiKeys ?? [], metricsPublic: options.metricsPublic },
    limits: {
      bodyBytes: options.bodyBytes ?? 1024 * 1024,
      requestsPerMinute: options.requestsPerMinute,
      wrongKeysPerMinute: options.wrongKeysPerMinute,
    },
    metrics: createMetrics(),
    logger: createLogger({ logLevel: 'info' }, sink),
    health: async () => HEALTHY,
  });
  /** Sends `body` as JSON (a string as it is) and returns status, headers and parsed body. */
  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await app.request(path, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: response.status, headers: response.headers, body: parsed as any };
  }
  return { app, tasks, call, logLines };
}

describe('bad input to POST /tasks/schedule', () => {
  const cases: Array<[string, unknown, number, string | RegExp]> = [
    ['missing schedule_type', { when: 'now', payload: {} }, 422, /schedule_type/],
    ['missing when', { schedule_type: 'http_request', payload: { url: 'http://x.test' } }, 422, /when/],
    ['missing payload', { schedule_type: 'x', when: 'now' }, 422, /payload/],
    ['payload not an object', { schedule_type: 'x', when: 'now', payload: [1] }, 422, /payload/],
    [
      'unparseable when',
      { schedule_type: 'x', when: 'whenever you like', payload: {} },
      400,
      /whenever you like/,
    ],
    ['empty when object', { schedule_type: 'x', when: { type: 'once' }, payload: {} }, 400, /exactly one of/],
    ['impossible date', { schedule_type: 'x', when: '2026-02-30T10:00:00Z', payload: {} }, 400, /day 30/],
    ['too far ahead', { schedule_type: 'x', when: 'in 20 years', payload: {} }, 400, /10 years/],
    [
      'run_agent without agent_id',
      { schedule_type: 'run_agent', when: 'now', payload: { entrypoint_tag: 'main' } },
      400,
      /payload\.agent_id is required/,
    ],
    [
      'run_agent without entrypoint_tag',
      { schedule_type: 'run_agent', when: 'now', payload: { agent_id: 'a1' } },
      400,
      /payload\.entrypoint_tag is required/,
    ],
    [
      'unknown executor',
      {
        schedule_type: 'run_agent',
        when: 'now',
        payload: { agent_id: 'a', entrypoint_tag: 'main', executor_type: 'quantum' },
      },
      400,
      /Unknown executor 'quantum'/,
    ],
    [
      'http_request without url',
      { schedule_type: 'http_request', when: 'now', payload: {} },
      400,
      /payload\.url/,
    ],
    [
      'http_request with a bad method',
      { schedule_type: 'http_request', when: 'now', payload: { url: 'http://x.test', method: 'FETCH' } },
      400,
      /payload\.method/,
    ],
    [
      'callback_url not a URL',
      {
        schedule_type: 'x',
        when: 'now',
        payload: {},
        callback_url: 'not a url',
        webhook_url: 'http://x.test',
      },
      422,
      /callback_url/,
    ],
    [
      'metadata.callback_url not a URL',
      {
        schedule_type: 'http_request',
        when: 'now',
        payload: { url: 'http://x.test' },
        metadata: { callback_url: 'ftp://x' },
      },
      400,
      /metadata\.callback_url/,
    ],
    [
      'negative webhook_timeout',
      { schedule_type: 'x', when: 'now', payload: {}, webhook_url: 'http://x.test', webhook_timeout: -1 },
      422,
      /webhook_timeout/,
    ],
    [
      'bad timezone',
      { schedule_type: 'x', when: 'now', payload: {}, timezone: 'Mars/Olympus' },
      400,
      /Mars\/Olympus/,
    ],
    [
      'a policy on a one-time task',
      {
        schedule_type: 'http_request',
        when: 'now',
        payload: { url: 'http://x.test' },
        policy: { overlap: 'skip' },
      },
      400,
      /policy applies to recurring tasks only/,
    ],
    [
      'a recurrence in both when and repeat',
      {
        schedule_type: 'http_request',
        when: 'daily at 9am',
        payload: { url: 'http://x.test' },
        repeat: { interval: '1h' },
      },
      400,
      /either in "when" or in "repeat"/,
    ],
    [
      'an unknown overlap policy',
      {
        schedule_type: 'http_request',
        when: 'every 5 minutes',
        payload: { url: 'http://x.test' },
        policy: { overlap: 'sometimes' },
      },
      422,
      /policy\.overlap/,
    ],
    [
      'an unknown missed policy',
      {
        schedule_type: 'http_request',
        when: 'every 5 minutes',
        payload: { url: 'http://x.test' },
        policy: { missed: 'some' },
      },
      422,
      /policy\.missed/,
    ],
    [
      'missed together with a catch-up window',
      {
        schedule_type: 'http_request',
        when: 'every 5 minutes',
        payload: { url: 'http://x.test' },
        policy: { missed: 'skip', catchup_window: '10m' },
      },
      422,
      /policy\.missed: cannot be combined with policy\.catchup_window/,
    ],
    [
      'missed: all with an overlap that would drop runs',
      {
        schedule_type: 'http_request',
        when: 'every 5 minutes',
        payload: { url: 'http://x.test' },
        policy: { missed: 'all', overlap: 'skip' },
      },
      422,
      /policy\.overlap: must be buffer_all or allow_all with missed: all \(got skip\)/,
    ],
    [
      'missed: latest with an overlap that would start more than one',
      {
        schedule_type: 'http_request',
        when: 'every 5 minutes',
        payload: { url: 'http://x.test' },
        policy: { missed: 'latest', overlap: 'buffer_one' },
      },
      422,
      /policy\.overlap: must be skip with missed: latest \(got buffer_one\)/,
    ],
    [
      'retry interval longer than its maximum',
      {
        schedule_type: 'http_request',
        when: 'now',
        payload: { url: 'http://x.test' },
        retry: { initial_interval: '2m', max_interval: '1m' },
      },
      422,
      /retry\.max_interval: must not be shorter than retry\.initial_interval/,
    ],
    [
      'retry interval beyond a day',
      {
        schedule_type: 'http_request',
        when: 'now',
        payload: { url: 'http://x.test' },
        retry: { max_interval: '999999999w' },
      },
      422,
      /retry\.max_interval: must be at most 24h/,
    ],
    [
      'bad retry timeout',
      {
        schedule_type: 'http_request',
        when: 'now',
        payload: { url: 'http://x.test' },
        retry: { timeout: 'soon' },
      },
      422,
      /retry\.timeout: 'soon' is not a duration such as 500ms, 30s, 5m or 1h/,
    ],
  ];

  it.each(cases)(
    '%s: a 4xx with a precise detail, nothing scheduled',
    async (_name, body, status, detail) => {
      const { call, tasks } = inProcess();
      const response = await call('POST', '/tasks/schedule', body);
      expect(response.status, JSON.stringify(response.body)).toBe(status);
      expect(response.body.detail).toMatch(detail);
      expect(response.body.code).toEqual(expect.any(String));
      if (status === 422) expect(response.body.errors.length).toBeGreaterThan(0);
      expect(tasks.stored.size).toBe(0);
    },
  );

  it('malformed JSON, a non-JSON content type and an empty body are 4xx, never 5xx', async () => {
    const { call } = inProcess();
    const malformed = await call('POST', '/tasks/schedule', '{"schedule_type": "x", when: }');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({
      code: 'INVALID_JSON',
      detail: expect.stringMatching(/not valid JSON/),
    });
    const text = await call('POST', '/tasks/schedule', 'hello', { 'content-type': 'text/plain' });
    expect(text.status).toBe(422);
    expect(text.body.detail).toMatch(/application\/json/);
    const empty = await call('POST', '/tasks/schedule', '');
    expect(empty.status).toBeGreaterThanOrEqual(400);
    expect(empty.status).toBeLessThan(500);
  });

  it('a body without a content-type is refused (a browser could send it cross-site without a preflight)', async () => {
    const { app, call, tasks } = inProcess();
    // Bytes, not a string: a string body would be labelled text/plain by the Request itself.
    const bytes = new TextEncoder().encode(JSON.stringify({ schedule_type: 'x', when: '1h', payload: {} }));
    const response = await app.request('/tasks/schedule', { method: 'POST', body: bytes });
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ code: 'UNSUPPORTED_CONTENT_TYPE' });
    expect(tasks.stored.size).toBe(0);
    expect((await call('GET', '/tasks/a%5Cb')).status).toBe(422);
  });

  it('a malformed Idempotency-Key is a 400', async () => {
    const { call } = inProcess();
    const body = { schedule_type: 'x', when: '1h', payload: {}, webhook_url: 'https://example.com/hook' };
    for (const key of ['x'.repeat(300), 'a b', 'tab\there']) {
      const response = await call('POST', '/tasks/schedule', body, { 'idempotency-key': key });
      expect(response, key).toMatchObject({ status: 400, body: { code: 'INVALID_IDEMPOTENCY_KEY' } });
    }
  });

  it('bodies over the limit are 413, and the connection is closed', async () => {
    const big = { schedule_type: 'x', when: 'now', payload: { blob: 'x'.repeat(1024 * 1024 + 10) } };
    const response = await inProcess().call('POST', '/tasks/schedule', big);
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      detail: expect.stringContaining('1048576'),
    });
    const small = await inProcess({ bodyBytes: 100 }).call('PATCH', '/tasks/task_x', {
      payload: { a: 'y'.repeat(200) },
    });
    expect(small.status).toBe(413);
    expect(small.headers.get('connection')).toBe('close');
  });

  it('a body nested past the limit is a 400 naming where, on every route that reads one', async () => {
    const { call } = inProcess();
    const deep = '{"payload":' + '['.repeat(70) + ']'.repeat(70) + '}';
    for (const path of ['/tasks/schedule', '/tools/schedule_task', '/tasks/task_x/ack']) {
      const response = await call('POST', path, deep);
      expect(response.status, path).toBe(400);
      expect(response.body, path).toMatchObject({ code: 'JSON_TOO_DEEP', errors: [{ field: 'payload' }] });
    }
  });
});

describe('what the service says, as HTTP', () => {
  it('a scheduled task comes back as the contract says, without the executor', async () => {
    const { call, tasks } = inProcess();
    const response = await call('POST', '/tasks/schedule', {
      schedule_type: 'http_request',
      when: 'in 1 hour',
      payload: { url: 'https://example.com/hook' },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body).toEqual({
      task_id: expect.any(String),
      schedule_type: 'http_request',
      next_execution: expect.stringMatching(/Z$/),
      status: 'active',
      workflow_id: response.body.task_id,
      ui_url: expect.stringContaining('/workflows/'),
    });
    expect(tasks.stored.size).toBe(1);
  });

  it('unknown tasks are 404, bad query parameters 422, unknown routes 404', async () => {
    const { call } = inProcess();
    expect(await call('GET', '/tasks/task_doesnotexist')).toMatchObject({
      status: 404,
      body: { code: 'TASK_NOT_FOUND', detail: expect.stringContaining('task_doesnotexist') },
    });
    for (const [method, path] of [
      ['DELETE', '/tasks/task_doesnotexist'],
      ['GET', '/tasks/task_doesnotexist/result'],
      ['GET', '/tasks/task_doesnotexist/history'],
      ['POST', '/tasks/task_doesnotexist/trigger'],
    ] as const) {
      // As over HTTP, a POST without a body says so (else it would be refused as a body of no stated type).
      expect(
        (await call(method, path, undefined, { 'content-length': '0' })).status,
        `${method} ${path}`,
      ).toBe(404);
    }
    const badLimit = await call('GET', '/tasks?limit=0');
    expect(badLimit.status).toBe(422);
    expect(badLimit.body.errors[0].field).toBe('query.limit');
    expect((await call('GET', '/tasks?status=sleeping')).status).toBe(422);
    for (const bad of ['start_time=soon', 'end_time=1.5', 'start_time=-3']) {
      const response = await call('GET', `/tasks?${bad}`);
      expect(response.status, bad).toBe(422);
      expect(response.body.errors[0].field, bad).toBe(`query.${bad.split('=')[0]}`);
    }
    expect(await call('GET', '/nowhere')).toMatchObject({
      status: 404,
      body: { code: 'NOT_FOUND', detail: 'No route for GET /nowhere.' },
    });
    expect((await call('PUT', '/tasks/schedule', {})).status).toBe(404);
  });

  it("the service's domain errors keep their status and body; a 503 says Temporal is away", async () => {
    const { call, tasks } = inProcess();
    tasks.failNext('cancel', new ConflictError('TASK_FINISHED', "Task 'task_1' has finished."));
    expect(await call('DELETE', '/tasks/task_1')).toMatchObject({
      status: 409,
      body: { code: 'TASK_FINISHED', detail: "Task 'task_1' has finished." },
    });
    tasks.failNext('list', new TemporalUnavailableError('Temporal is not reachable right now.'));
    expect(await call('GET', '/tasks')).toMatchObject({
      status: 503,
      body: { code: 'TEMPORAL_UNAVAILABLE' },
    });
  });

  it('an unexpected error is a 500 without the stack in the body; the log has it', async () => {
    const { call, tasks, logLines } = inProcess();
    const bug = new TypeError("Cannot read properties of undefined (reading 'memo')");
    tasks.failNext('get', bug);
    const response = await call('GET', '/tasks/task_1');
    expect(response).toMatchObject({
      status: 500,
      body: { code: 'INTERNAL_ERROR', detail: 'Internal error; the server log has the details.' },
    });
    expect(JSON.stringify(response.body)).not.toMatch(/memo|\n\s+at |\.ts:\d+/);
    const logged = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 'error',
        path: '/tasks/task_1',
        err: expect.objectContaining({ type: 'TypeError' }),
      }),
    );
    // Over MCP, the same bug is a tool error with the same words.
    tasks.failNext('get', bug);
    const mcp = await call(
      'POST',
      '/mcp',
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'get_task_details', arguments: { task_id: 't' } },
      },
      { accept: 'application/json, text/event-stream' },
    );
    expect(mcp.body.result).toMatchObject({ isError: true, _meta: { 'pulse/error': { status: 500 } } });
    expect(JSON.stringify(mcp.body)).not.toMatch(/memo/);
  });

  it('/executors lists the catalog and the default', async () => {
    const { body } = await inProcess().call('GET', '/executors');
    expect(body.default).toBe('http');
    expect(body.available).toContain('http');
    expect(body.executors.map((e: { name: string }) => e.name)).toContain('http');
  });

  it('/openapi.json documents the task routes', async () => {
    const doc = (await inProcess().call('GET', '/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    for (const path of [
      '/tasks/schedule',
      '/tasks',
      '/tasks/{id}',
      '/tasks/{id}/result',
      '/tasks/{id}/history',
      '/health',
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(doc.components.schemas.ScheduleTaskRequest.required).toEqual(
      expect.arrayContaining(['schedule_type', 'when', 'payload']),
    );
  });

  it('/metrics counts requests by route template and tasks scheduled', async () => {
    const { call } = inProcess();
    await call('POST', '/tasks/schedule', {
      schedule_type: 'report',
      when: '1h',
      payload: {},
      webhook_url: 'https://example.com/h',
    });
    await call('GET', '/tasks/task_nope');
    const text = (await call('GET', '/metrics')).body as string;
    expect(text).toMatch(
      /pulse_tasks_scheduled_total\{schedule_type="generic",executor="webhook",kind="once"\} 1/,
    );
    expect(text).toMatch(
      /pulse_api_request_duration_seconds_count\{method="GET",route="\/tasks\/:id",status="404"\} 1/,
    );
  });
});

describe('API keys', () => {
  it('a client sending wrong keys is slowed down: 60 a minute, then 429 with Retry-After, whatever key it sends', async () => {
    const { app } = inProcess({ apiKeys: ['the-key'] });
    const wrong = { headers: { authorization: 'Bearer guess' } };
    for (let i = 0; i < 60; i++) expect((await app.request('/tasks', wrong)).status).toBe(401);
    const limited = await app.request('/tasks', wrong);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as { detail: string }).detail).toMatch(
      /^Too many requests with a missing or wrong API key from this address; retry in \d+ s\.$/,
    );
    // Right key or not: the address waits, so the answers tell a guesser nothing meanwhile.
    expect((await app.request('/tasks', { headers: { authorization: 'Bearer the-key' } })).status).toBe(429);
    // Open routes stay open.
    expect((await app.request('/health')).status).toBe(200);
  });

  it('with an API key set, every route but /health, the landing page and its icon needs it', async () => {
    // Every route once without a key: more than the wrong-key limit of one address, which is tested on its own.
    const { app } = inProcess({ apiKeys: ['old-key', 'new-key'], wrongKeysPerMinute: 10_000 });
    expect((await app.request('/health')).status).toBe(200);
    const landing = await app.request('/');
    expect(landing.status).toBe(200);
    expect(await landing.text()).toContain('href="/dashboard"');
    expect((await app.request('/', { method: 'POST' })).status).toBe(401);
    const icon = await app.request('/favicon.ico');
    expect([icon.status, icon.headers.get('content-type')]).toEqual([200, 'image/svg+xml']);
    // Every documented route (read from the OpenAPI document itself), plus the undocumented ones.
    const doc = (await (
      await app.request('/openapi.json', { headers: { authorization: 'Bearer old-key' } })
    ).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const routes: Array<[string, string]> = [
      ['GET', '/openapi.json'],
      ['GET', '/metrics'],
      ['POST', '/mcp'],
      ['GET', '/meta/tools'],
      ['POST', '/tools/list_tasks'],
      ['GET', '/nowhere'],
    ];
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const method of Object.keys(operations))
        routes.push([method.toUpperCase(), path.replace(/\{[^}]+\}/g, 'task_x')]);
    }
    expect(routes.length).toBeGreaterThan(20);
    for (const [method, path] of routes) {
      if (path === '/health') continue;
      const response = await app.request(path, { method });
      expect(response.status, `${method} ${path}`).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(await response.json()).toEqual({
        detail: 'A valid API key is required: send "Authorization: Bearer <key>".',
        code: 'UNAUTHORIZED',
      });
      const wrong = await app.request(path, { method, headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
    }
    for (const key of ['old-key', 'new-key']) {
      const ok = await app.request('/tasks?limit=1', { headers: { authorization: `Bearer ${key}` } });
      expect(ok.status).toBe(200);
    }
  });

  it('a malformed header, another scheme or a near miss is the same 401', async () => {
    const { app } = inProcess({ apiKeys: ['s3cret'] });
    for (const authorization of [
      's3cret',
      'Basic s3cret',
      'Bearer',
      'Bearer s3cre',
      'Bearer s3cret!',
      'Bearer s3cret x',
    ]) {
      const response = await app.request('/tasks', { headers: { authorization } });
      expect(response.status, authorization).toBe(401);
      expect(await response.json(), authorization).toMatchObject({ code: 'UNAUTHORIZED' });
    }
    for (const authorization of ['Bearer s3cret', 'bearer s3cret', 'Bearer   s3cret']) {
      expect((await app.request('/tasks', { headers: { authorization } })).status, authorization).toBe(200);
    }
  });

  it('without keys every route is open; /metrics needs the key unless configured public', async () => {
    expect((await inProcess().app.request('/tasks')).status).toBe(200);
    expect((await inProcess().app.request('/metrics')).status).toBe(200);
    const closed = inProcess({ apiKeys: ['k'] }).app;
    expect((await closed.request('/metrics')).status).toBe(401);
    expect((await closed.request('/metrics', { headers: { authorization: 'Bearer k' } })).status).toBe(200);
    const open = inProcess({ apiKeys: ['k'], metricsPublic: true }).app;
    expect((await open.request('/metrics')).status).toBe(200);
    expect((await open.request('/tasks')).status).toBe(401);
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After past the limit, per API key; /health is never limited', async () => {
    const { app } = inProcess({ apiKeys: ['key-a', 'key-b'], requestsPerMinute: 5 });
    const as = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });
    for (let i = 0; i < 5; i++) expect((await app.request('/tasks?limit=1', as('key-a'))).status).toBe(200);
    const limited = await app.request('/tasks?limit=1', as('key-a'));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await limited.json()).toMatchObject({
      code: 'RATE_LIMITED',
      detail: expect.stringContaining('5 a minute'),
    });
    expect((await app.request('/tasks?limit=1', as('key-b'))).status).toBe(200);
    for (let i = 0; i < 10; i++) expect((await app.request('/health')).status).toBe(200);
  });
});

describe('the settings the API is built from', () => {
  it('loadConfig reads every setting and names a bad one', async () => {
    const { loadConfig } = await import('../src/config.js');
    const config = loadConfig({
      PULSE_METRICS_PUBLIC: 'true',
      PULSE_LOG_LEVEL: 'DEBUG',
      TEMPORAL_LOG_LEVEL: 'info',
      PULSE_WORKER_METRICS_PORT: '0',
      TEMPORAL_IP: '0.0.0.0',
      PULSE_RETENTION_DAYS: '7',
      PULSE_ALLOWED_HOSTS: 'a.test, b.test',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
      PULSE_RUN_LEAD: '5s',
    });
    expect(config).toMatchObject({
      runLeadMs: 5000,
      metricsPublic: true,
      logLevel: 'debug',
      temporalLogLevel: 'INFO',
      workerMetricsPort: 0,
      temporalIp: '0.0.0.0',
      retentionDays: 7,
      destinations: { allowPrivateNetworks: false, allowedHosts: ['a.test', 'b.test'] },
      otlpTracesUrl: 'http://collector:4318/v1/traces',
    });
    const bad: Array<[Record<string, string>, RegExp]> = [
      [{ PULSE_METRICS_PUBLIC: 'maybe' }, /PULSE_METRICS_PUBLIC must be true or false, got 'maybe'/],
      [{ PULSE_LOG_LEVEL: 'loud' }, /PULSE_LOG_LEVEL must be one of fatal, error, warn, info/],
      [{ TEMPORAL_LOG_LEVEL: 'chatty' }, /TEMPORAL_LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARN, ERROR/],
      [{ PULSE_WORKER_METRICS_PORT: '-1' }, /PULSE_WORKER_METRICS_PORT must be a non-negative integer/],
      [{ TEMPORAL_IP: 'localhost' }, /TEMPORAL_IP must be an IP address/],
      [{ PULSE_RETENTION_DAYS: '0' }, /PULSE_RETENTION_DAYS must be a positive integer/],
      [{ PULSE_ALLOW_PRIVATE_NETWORKS: 'sure' }, /PULSE_ALLOW_PRIVATE_NETWORKS must be true or false/],
      [
        { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' },
        /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be a URL/,
      ],
      [{ PULSE_API_KEY: 'good,bad key!' }, /PULSE_API_KEY: key 2 has characters a Bearer token cannot carry/],
      [{ PULSE_RUN_LEAD: 'soon' }, /PULSE_RUN_LEAD must be a duration such as 30m or 24h, got 'soon'/],
    ];
    expect(loadConfig({}).runLeadMs).toBe(8000);
    expect(loadConfig({ PULSE_RUN_LEAD: 'off' }).runLeadMs).toBe(0);
    expect(loadConfig({ PULSE_RUN_LEAD: '0' }).runLeadMs).toBe(0);
    for (const [env, message] of bad) expect(() => loadConfig(env), JSON.stringify(env)).toThrow(message);
  });
});
