/**
 * `PulseClient` against the running service: a real Temporal dev server, the real worker and API on 127.0.0.1,
 * and a real HTTP receiver standing in for the user's endpoints. No mocked fetch.
 */
import { createServer } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  PulseApiError,
  PulseAuthError,
  PulseClient,
  PulseConflictError,
  PulseConnectionError,
  PulseNotFoundError,
  PulseValidationError,
  PulseWaitTimeoutError,
  type Task,
} from '../src/client/index.js';
import { createWordCountExecutor } from '../src/executors/examples/word-count-executor.js';
import { createExecutorFactory } from '../src/executors/executor-factory.js';
import { startPulseApiOnly, type PulseApi } from './helpers/pulse.js';
import { useStack } from './helpers/stack.js';
import { sleep } from './helpers/wait.js';

// No agent executor is configured in tests; the example custom executor makes run_agent tasks schedulable.
const { env, pulse, receiver } = useStack({
  pulse: { executors: createExecutorFactory().register(createWordCountExecutor()) },
});

let client: PulseClient;

beforeAll(() => {
  client = new PulseClient({ baseUrl: pulse.baseUrl });
});

/** Retries `check` until it stops throwing: list reads Temporal visibility, which lags a write slightly. */
async function eventually<T>(check: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

describe('scheduling and results', () => {
  it('scheduleHttp → waitForResult returns the real response of the called URL', async () => {
    receiver.respond('/client-h1', 200, { hello: 'world' });
    const scheduled = await client.scheduleHttp({
      url: `${receiver.url}/client-h1`,
      method: 'PUT',
      body: { from: 'client' },
      headers: { 'x-test': 'yes' },
      when: 'now',
    });
    expect(scheduled).toMatchObject({ schedule_type: 'http_request', status: 'active' });
    expect(scheduled.task_id).toMatch(/\S/);

    const result = await client.waitForResult(scheduled.task_id, { timeoutMs: 30_000, pollMs: 100 });
    expect(result).toMatchObject({
      status: 'completed',
      result: { status_code: 200, body: { hello: 'world' } },
    });
    const [request] = receiver.at('/client-h1');
    expect(request).toMatchObject({ method: 'PUT', json: { from: 'client' } });
    expect(request!.headers['x-test']).toBe('yes');

    const task = await client.get(scheduled.task_id);
    expect(task).toMatchObject({ id: scheduled.task_id, status: 'completed', kind: 'once' });
    expect((await client.history(scheduled.task_id)).history).toHaveLength(1);
    const results = await client.results(scheduled.task_id);
    expect(results.total_executions).toBe(1);
    expect(results.executions[0]?.execution_id).toBe(result.execution_id);
  });

  it('scheduleAgent runs a run_agent task through the registered executor', async () => {
    const scheduled = await client.scheduleAgent({
      agentId: 'counter',
      entrypointTag: 'main',
      params: { text: 'the quick brown fox' },
      executorType: 'word-count',
      when: 'now',
      callbackUrl: `${receiver.url}/client-agent-cb`,
    });
    const result = await client.waitForResult(scheduled.task_id, { timeoutMs: 30_000, pollMs: 100 });
    expect(result).toMatchObject({ status: 'completed', result: { words: 4 } });
    const [callback] = await receiver.waitFor('/client-agent-cb');
    expect(callback!.json).toMatchObject({
      task_id: scheduled.task_id,
      status: 'success',
      result: { words: 4 },
    });
  });

  it('an unknown executor is a typed validation error carrying the API code and detail', async () => {
    const error = await caught(
      client.scheduleAgent({
        agentId: 'counter',
        entrypointTag: 'main',
        executorType: 'no-such-executor',
        when: 'in 5 minutes',
      }),
    );
    expect(error).toBeInstanceOf(PulseValidationError);
    expect(error).toBeInstanceOf(PulseApiError);
    expect(error).toMatchObject({ status: 400, code: 'UNKNOWN_EXECUTOR', request: 'POST /tasks/schedule' });
    expect((error as PulseApiError).detail).toContain('no-such-executor');
    expect((error as PulseApiError).message).toBe((error as PulseApiError).detail);
  });

  it('a schema violation lists the bad fields', async () => {
    const error = await caught(client.scheduleHttp({ url: 'not a url', when: 'now' }));
    expect(error).toBeInstanceOf(PulseValidationError);
    expect((error as PulseApiError).errors.length).toBeGreaterThan(0);
  });

  it('an idempotency key returns the same task; reused with another body it is a conflict', async () => {
    const options = {
      url: `${receiver.url}/client-idem`,
      when: 'in 1 hour',
      idempotencyKey: 'client-idem-1',
    };
    const first = await client.scheduleHttp(options);
    const again = await client.scheduleHttp(options);
    expect(again.task_id).toBe(first.task_id);
    const error = await caught(client.scheduleHttp({ ...options, when: 'in 2 hours' }));
    expect(error).toBeInstanceOf(PulseConflictError);
    expect(error).toMatchObject({ status: 409, code: 'IDEMPOTENCY_KEY_REUSED' });
    await client.cancel(first.task_id);
  });

  it('waitForResult gives up with PulseWaitTimeoutError while the run is still pending', async () => {
    const { task_id: taskId } = await client.scheduleHttp({
      url: `${receiver.url}/later`,
      when: 'in 1 hour',
    });
    const error = await caught(client.waitForResult(taskId, { timeoutMs: 300, pollMs: 100 }));
    expect(error).toBeInstanceOf(PulseWaitTimeoutError);
    await client.cancel(taskId);
  });
});

describe('task lifecycle', () => {
  it('get, list, previewTask, pause, resume, trigger and cancel a recurring task', async () => {
    const { task_id: taskId } = await client.scheduleHttp({
      url: `${receiver.url}/client-recurring`,
      when: 'every 5 minutes',
      metadata: { team: 'client-test' },
    });

    const task = await client.get(taskId);
    expect(task).toMatchObject({
      id: taskId,
      kind: 'recurring',
      status: 'active',
      metadata: { team: 'client-test' },
    });

    const preview = await client.previewTask(taskId, { count: 3 });
    expect(preview).toMatchObject({ task_id: taskId, kind: 'recurring' });
    expect(preview.next).toHaveLength(3);
    const [a, b, c] = preview.next.map((iso) => Date.parse(iso));
    expect(b! - a!).toBe(5 * 60_000);
    expect(c! - b!).toBe(5 * 60_000);
    expect(await client.preview({ taskId, count: 3 })).toEqual(preview);

    const listed = await eventually(async () => {
      const page = await client.list({ scheduleType: 'http_request', status: 'active' });
      const found = page.tasks.find((t) => t.id === taskId);
      if (!found) throw new Error(`${taskId} not listed yet`);
      return found;
    });
    expect(listed).toMatchObject({ kind: 'recurring', schedule_type: 'http_request' });

    expect(await client.pause(taskId)).toMatchObject({ id: taskId, status: 'paused' });
    expect((await client.get(taskId)).status).toBe('paused');
    expect(await client.resume(taskId)).toMatchObject({ id: taskId, status: 'active' });

    expect(await client.trigger(taskId)).toEqual({ status: 'triggered', task_id: taskId });
    const result = await client.waitForResult(taskId, { timeoutMs: 30_000, pollMs: 100 });
    expect(result).toMatchObject({ status: 'completed', result: { status_code: 200 } });
    expect(receiver.at('/client-recurring')).toHaveLength(1);

    expect(await client.cancel(taskId)).toEqual({ status: 'cancelled', task_id: taskId });
    expect((await client.get(taskId)).status).toBe('cancelled');
  });

  it('iterate walks every page through the cursor', async () => {
    const agentId = `client-pages-${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { task_id: id } = await client.scheduleAgent({
        agentId,
        entrypointTag: 'main',
        params: { text: `task ${i}` },
        executorType: 'word-count',
        when: 'in 1 hour',
      });
      ids.push(id);
    }
    const firstPage = await eventually(async () => {
      const page = await client.list({ agentId, limit: 2 });
      if (page.tasks.length < 2 || !page.next_cursor) throw new Error('not all listed yet');
      return page;
    });
    expect(firstPage.count).toBe(2);
    const all = await eventually(async () => {
      const seen: Task[] = [];
      for await (const task of client.iterate({ agentId, limit: 2 })) seen.push(task);
      if (seen.length < 3) throw new Error(`only ${seen.length} listed yet`);
      return seen;
    });
    expect(all.map((t) => t.id).sort()).toEqual([...ids].sort());
    await Promise.all(ids.map((id) => client.cancel(id)));
  });

  it('list filters by next execution with startTime/endTime (unix seconds or Date)', async () => {
    const agentId = `client-window-${Date.now()}`;
    const schedule = (when: string) =>
      client.scheduleAgent({
        agentId,
        entrypointTag: 'main',
        params: { text: when },
        executorType: 'word-count',
        when,
      });
    const soon = await schedule('in 1 hour');
    const late = await schedule('in 5 hours');
    const nowS = Math.floor(Date.now() / 1000);
    const early = await eventually(async () => {
      const page = await client.list({
        agentId,
        startTime: nowS,
        endTime: new Date(Date.now() + 2 * 3_600_000),
      });
      if (page.tasks.length < 1) throw new Error('not listed yet');
      return page;
    });
    expect(early.tasks.map((t) => t.id)).toEqual([soon.task_id]);
    const after = await eventually(async () => {
      const page = await client.list({ agentId, startTime: new Date(Date.now() + 2 * 3_600_000) });
      if (page.tasks.length < 1) throw new Error('not listed yet');
      return page;
    });
    expect(after.tasks.map((t) => t.id)).toEqual([late.task_id]);
    const reversed = await caught(client.list({ startTime: nowS + 10, endTime: nowS }));
    expect(reversed).toBeInstanceOf(PulseApiError);
    expect(reversed).toMatchObject({ status: 400, code: 'INVALID_TIME_RANGE' });
    await Promise.all([soon, late].map((t) => client.cancel(t.task_id)));
  });

  it('a worker acks without naming the execution: its current claim; the result says when it was stored', async () => {
    const type = `client_ack_${Date.now()}`;
    const { task_id: taskId } = await client.schedule({ schedule_type: type, when: 'now', payload: {} });
    await eventually(async () => {
      const polled = await client.poll([type]);
      if (!polled.tasks.some((t) => t.task_id === taskId)) throw new Error('not due yet');
    });
    const claim = await client.claim(taskId, 'client-worker');
    await client.ack(taskId, { workerId: 'client-worker', status: 'success', result: { ok: true } });
    const result = await client.result(taskId);
    expect(result).toMatchObject({
      status: 'completed',
      execution_id: claim.execution_id,
      result: { ok: true },
    });
    const storedAt: string | undefined = result.stored_at;
    expect(storedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('an unknown task is PulseNotFoundError with the API code', async () => {
    const error = await caught(client.get('task_does_not_exist'));
    expect(error).toBeInstanceOf(PulseNotFoundError);
    expect(error).toMatchObject({ status: 404, code: 'TASK_NOT_FOUND' });
    expect(await caught(client.cancel('task_does_not_exist'))).toBeInstanceOf(PulseNotFoundError);
  });
});

describe('previewWhen', () => {
  it('gives the next fire times of a recurring phrase in a time zone', async () => {
    const preview = await client.previewWhen('every weekday at 9am', { timezone: 'Europe/Berlin', count: 5 });
    expect(preview).toMatchObject({ kind: 'recurring', timezone: 'Europe/Berlin' });
    expect(preview.next).toHaveLength(5);
    for (const iso of preview.next) {
      const local = new Intl.DateTimeFormat('en-US', {
        timeZone: 'Europe/Berlin',
        weekday: 'short',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(new Date(iso));
      expect(local).toMatch(/^(Mon|Tue|Wed|Thu|Fri) 09:00$/);
    }
    expect(await client.preview({ when: 'every weekday at 9am', timezone: 'Europe/Berlin' })).toMatchObject({
      next: preview.next,
    });
  });

  it('an unparseable when is a validation error with code INVALID_WHEN', async () => {
    const error = await caught(client.previewWhen('next blursday at teatime'));
    expect(error).toBeInstanceOf(PulseValidationError);
    expect(error).toMatchObject({ status: 400, code: 'INVALID_WHEN' });
    expect((error as PulseApiError).detail).toContain('next blursday at teatime');
  });
});

describe("the original project's README shapes, sent unchanged with schedule()", () => {
  it('schedule_agent with when "in 5 minutes", repeat {interval 2m, times 5}, callback_url and executor_type', async () => {
    const callbackUrl = `${receiver.url}/readme-cb`;
    // What the Python SDK's schedule_agent(...) posts, nulls included.
    const scheduled = await client.schedule({
      schedule_type: 'run_agent',
      when: { type: 'once', natural: 'in 5 minutes' },
      payload: {
        agent_id: 'research-agent',
        entrypoint_tag: 'main',
        params: { text: 'summarise the latest papers' },
        user_id: null,
        persistent_memory: false,
        executor_type: 'word-count',
      },
      repeat: { interval: '2m', times: 5 },
      metadata: { callback_url: callbackUrl, executor_type: 'word-count' },
      webhook_url: callbackUrl,
      webhook_timeout: null,
      webhook_retries: null,
    });
    expect(scheduled).toMatchObject({ schedule_type: 'run_agent', status: 'active' });
    const firstRun = Date.parse(scheduled.next_execution!);
    expect(firstRun - Date.now()).toBeGreaterThan(4 * 60_000);
    expect(firstRun - Date.now()).toBeLessThanOrEqual(5 * 60_000 + 1000);

    const task = await client.get(scheduled.task_id);
    expect(task).toMatchObject({
      kind: 'recurring',
      status: 'active',
      executor: 'word-count',
      callback_url: callbackUrl,
      payload: { agent_id: 'research-agent', entrypoint_tag: 'main' },
    });
    const preview = await client.previewTask(scheduled.task_id, { count: 5 });
    expect(preview.next).toHaveLength(5);
    expect(Date.parse(preview.next[0]!)).toBe(firstRun);
    expect(Date.parse(preview.next[4]!) - firstRun).toBe(4 * 2 * 60_000);
    await client.cancel(scheduled.task_id);
  });

  it('the same with a plain string when and executor_type only in metadata', async () => {
    const scheduled = await client.schedule({
      schedule_type: 'run_agent',
      when: 'in 5 minutes',
      payload: { agent_id: 'research-agent', entrypoint_tag: 'main', params: { text: 'one two' } },
      repeat: { interval: '2m', times: 5 },
      metadata: { callback_url: `${receiver.url}/readme-cb2`, executor_type: 'word-count' },
    });
    expect(await client.get(scheduled.task_id)).toMatchObject({ kind: 'recurring', executor: 'word-count' });
    await client.cancel(scheduled.task_id);
  });
});

describe('service, auth and connection errors', () => {
  it('health and executors', async () => {
    const health = await eventually(async () => {
      const h = await client.health();
      if (h.status !== 'ok') throw new Error(`health is ${h.status}`);
      return h;
    });
    expect(health).toMatchObject({ status: 'ok', temporal: { reachable: true }, worker: { polling: true } });
    const executors = await client.executors();
    expect(executors.available).toEqual(expect.arrayContaining(['http', 'word-count']));
  });

  it('sends the API key as a bearer token; without it the call is a PulseAuthError', async () => {
    let secured: PulseApi | undefined;
    try {
      secured = await startPulseApiOnly(env, pulse.taskQueue, pulse.executors, { apiKeys: ['s3cret'] });
      const anonymous = new PulseClient({ baseUrl: secured.baseUrl });
      const error = await caught(anonymous.list());
      expect(error).toBeInstanceOf(PulseAuthError);
      expect(error).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
      const wrong = new PulseClient({ baseUrl: secured.baseUrl, apiKey: 'wrong' });
      expect(await caught(wrong.list())).toBeInstanceOf(PulseAuthError);
      const keyed = new PulseClient({ baseUrl: `${secured.baseUrl}/`, apiKey: 's3cret' });
      expect((await keyed.list({ limit: 1 })).count).toBeLessThanOrEqual(1);
    } finally {
      await secured?.stop();
    }
  });

  it('a service that does not answer is a PulseConnectionError', async () => {
    const nowhere = new PulseClient({ baseUrl: `http://127.0.0.1:${await closedPort()}` });
    const error = await caught(nowhere.get('anything'));
    expect(error).toBeInstanceOf(PulseConnectionError);
    expect((error as Error).message).toContain('Cannot reach Pulse at http://127.0.0.1:');
  });

  it('refuses a baseUrl that is not an absolute http(s) URL', () => {
    expect(() => new PulseClient({ baseUrl: 'localhost:8000' })).toThrow(TypeError);
  });
});
