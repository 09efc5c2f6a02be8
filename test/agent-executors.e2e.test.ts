/**
 * `run_agent` tasks end to end on the dev server, through every executor: RunAgent agents served by the real
 * `runagent serve` (the pinned PyPI package, test/fixtures/runagent-agent), reached both as RunAgent Serverless
 * and as a local agent; JS/TS and Python agent modules; and a custom executor registered in one line.
 *
 * A protocol server of our own (helpers/runagent-server.ts) stands in only for what `runagent serve` cannot
 * produce: an API key to check, older response envelopes, 5xx answers, and a record of each request as it arrived
 * (headers, body, the connection closing).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecutorFactory, type ExecutorFactory } from '../src/executors/executor-factory.js';
import { createWordCountExecutor } from '../src/executors/examples/word-count-executor.js';
import { createServerlessExecutor } from '../src/executors/serverless-executor.js';
import { PROJECT_ROOT } from '../src/project-root.js';
import { startPulse, startPulseApiOnly, type PulseUnderTest } from './helpers/pulse.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { startRealRunAgent, type RealRunAgent } from './helpers/runagent-real.js';
import { startRunAgentServer, type RunAgentServer } from './helpers/runagent-server.js';
import { createDevServerEnv } from './helpers/temporal.js';
import { sleep, until } from './helpers/wait.js';

const AGENTS = path.join(PROJECT_ROOT, 'test', 'fixtures', 'agents');
const KEY = 'serverless-test-key';

let env: TestWorkflowEnvironment;
let remote: RunAgentServer;
let agent: RealRunAgent;
let receiver: Receiver;
let pulse: PulseUnderTest;
let executors: ExecutorFactory;

beforeAll(async () => {
  env = await createDevServerEnv();
  remote = await startRunAgentServer(KEY);
  agent = await startRealRunAgent();
  receiver = await startReceiver();
  executors = createExecutorFactory({
    serverless: { enabled: true, baseUrl: remote.url, apiKey: KEY },
    local: { enabled: true, agentPath: AGENTS, python: 'python3', defaultAgentPort: 8450 },
  })
    .register(createWordCountExecutor())
    .register({
      ...createServerlessExecutor({ enabled: true, baseUrl: remote.url, apiKey: 'wrong-key' }),
      name: 'serverless-wrong-key',
    })
    // The serverless executor against `runagent serve`, which speaks the same protocol and ignores the key.
    .register({
      ...createServerlessExecutor({ enabled: true, baseUrl: agent.url, apiKey: KEY }),
      name: 'serverless-real',
    });
  pulse = await startPulse(env, { executors });
});

afterAll(async () => {
  await pulse?.stop();
  await Promise.all([remote?.close(), agent?.close(), receiver?.close()]);
  await env?.teardown();
});

let counter = 0;

/** Schedules a run_agent task due now with a callback; returns the task id and the callback path. */
async function scheduleAgent(
  payload: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  metadata: Record<string, unknown> = {},
) {
  const callback = `/agent-cb-${++counter}`;
  const response = await pulse.call('POST', '/tasks/schedule', {
    schedule_type: 'run_agent',
    when: 'now',
    payload,
    metadata: { callback_url: `${receiver.url}${callback}`, ...metadata },
    ...extra,
  });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return { taskId: response.body.task_id as string, callback };
}

async function callbackOf(callback: string, timeoutMs = 30_000) {
  const [request] = await receiver.waitFor(callback, 1, timeoutMs);
  return request!.json as { status: string; result: unknown; error?: string; task_id: string };
}

/** The details of the heartbeat the task's running activity recorded last: undefined if it had none. */
async function lastHeartbeat(taskId: string): Promise<unknown> {
  const description = await env.client.workflow.getHandle(taskId).describe();
  const data = description.raw.pendingActivities?.[0]?.heartbeatDetails?.payloads?.[0]?.data;
  return data?.length ? JSON.parse(Buffer.from(data).toString('utf8')) : undefined;
}

/** The first heartbeat with details the task's running activity recorded, once there is one. */
async function firstHeartbeat(taskId: string): Promise<unknown> {
  return until(`a heartbeat with details from ${taskId}`, () => lastHeartbeat(taskId), { everyMs: 50 });
}

async function resultOf(taskId: string) {
  for (let i = 0; i < 100; i++) {
    const { body } = await pulse.call('GET', `/tasks/${taskId}/result`);
    if (body.status !== 'pending') return body;
    await sleep(100);
  }
  throw new Error(`task ${taskId} never finished`);
}

describe.concurrent('serverless executor', () => {
  it('decodes the current envelope of a real runagent server (data → JSON string → payload JSON string)', async () => {
    const { taskId, callback } = await scheduleAgent({
      agent_id: agent.agentId,
      entrypoint_tag: 'main',
      params: { topic: 'tides', depth: 2 },
      user_id: 'u-42',
      persistent_memory: true,
      executor_type: 'serverless-real',
    });
    const body = await callbackOf(callback);
    expect(body).toMatchObject({
      task_id: taskId,
      status: 'success',
      result: { echo: { topic: 'tides', depth: 2 } },
    });
    expect(await resultOf(taskId)).toMatchObject({ status: 'completed', result: body.result });
  });

  // Our own server: runagent serve has no key to check and cannot show the request as it arrived.
  it('sends the key and the run request the protocol defines', async () => {
    const { taskId, callback } = await scheduleAgent({
      agent_id: 'echo-agent',
      entrypoint_tag: 'main',
      params: { topic: 'tides', depth: 2 },
      user_id: 'u-protocol',
      persistent_memory: true,
      executor_type: 'serverless',
    });
    const body = await callbackOf(callback);
    expect(body).toMatchObject({
      task_id: taskId,
      status: 'success',
      result: { echo: { topic: 'tides', depth: 2 }, user_id: 'u-protocol', entrypoint: 'main' },
    });
    // Other tests run echo-agent at the same time: this one's run is the one with its user id.
    const [run] = remote.runsOf('echo-agent').filter((r) => r.body.user_id === 'u-protocol');
    expect(run!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(run!.body).toEqual({
      entrypoint_tag: 'main',
      input_args: [],
      input_kwargs: { topic: 'tides', depth: 2 },
      timeout_seconds: 600,
      async_execution: false,
      user_id: 'u-protocol',
      persistent_memory: true,
    });
    expect(await resultOf(taskId)).toMatchObject({ status: 'completed', result: body.result });
  });

  // Our own server: the current runagent only produces the current envelope.
  it('decodes the older envelope forms (data.result_data.data and output_data)', async () => {
    const legacy = await scheduleAgent({
      agent_id: 'legacy-agent',
      entrypoint_tag: 'main',
      params: { a: 1 },
    });
    expect((await callbackOf(legacy.callback)).result).toEqual({ legacy: true, echo: { a: 1 } });
    const older = await scheduleAgent({ agent_id: 'output-agent', entrypoint_tag: 'main', params: { b: 2 } });
    expect((await callbackOf(older.callback)).result).toEqual({ older: true, echo: { b: 2 } });
  });

  it('checks the entrypoint against the agent architecture before running', async () => {
    const { callback } = await scheduleAgent({
      agent_id: agent.agentId,
      entrypoint_tag: 'no_such_entrypoint',
      executor_type: 'serverless-real',
    });
    expect((await callbackOf(callback)).error).toMatch(
      /no entrypoint 'no_such_entrypoint'.*main, report, fail, slow, main_stream, broken_stream/,
    );
    expect((await agent.invocations()).some((r) => r.entrypoint_tag === 'no_such_entrypoint')).toBe(false);
  });

  it('is chosen automatically when available', async () => {
    const { taskId } = await scheduleAgent({ agent_id: 'echo-agent', entrypoint_tag: 'main' });
    expect((await pulse.call('GET', `/tasks/${taskId}`)).body.executor).toBe('serverless');
  });

  it('reports agent failures honestly, with string and object errors, without retrying them', async () => {
    const real = await scheduleAgent({
      agent_id: agent.agentId,
      entrypoint_tag: 'fail',
      params: { reason: 'the tide went out' },
      executor_type: 'serverless-real',
    });
    expect((await callbackOf(real.callback)).error).toMatch(
      /the agent reported a failure: \[INTERNAL_ERROR\] Agent execution failed: .*the tide went out/,
    );
    expect((await pulse.call('GET', `/tasks/${real.taskId}`)).body.status).toBe('failed');
    await sleep(1000);
    const failedRuns = (await agent.invocations()).filter(
      (r) => r.input_data.input_kwargs.reason === 'the tide went out',
    );
    expect(failedRuns).toHaveLength(1);

    // Our own server: older servers sent the error as a plain string, and objects carrying a suggestion.
    const plain = await scheduleAgent({ agent_id: 'failing-agent', entrypoint_tag: 'main' });
    const plainBody = await callbackOf(plain.callback);
    expect(plainBody).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('the agent could not finish'),
    });
    const result = await resultOf(plain.taskId);
    expect(result).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('the agent could not finish'),
    });
    expect((await pulse.call('GET', `/tasks/${plain.taskId}`)).body.status).toBe('failed');

    const structured = await scheduleAgent({ agent_id: 'failing-agent', entrypoint_tag: 'object_error' });
    expect((await callbackOf(structured.callback)).error).toMatch(
      /\[AGENT_CRASHED\] the agent fell over.*check its logs/,
    );
    expect(remote.runsOf('failing-agent')).toHaveLength(2);
  });

  // Our own server: runagent serve has no authentication, and validates nothing a 422 would report.
  it('does not retry auth (401) or validation (422) errors', async () => {
    const auth = await scheduleAgent({
      agent_id: 'echo-agent',
      entrypoint_tag: 'main',
      executor_type: 'serverless-wrong-key',
    });
    expect((await callbackOf(auth.callback)).error).toMatch(
      /authentication failed \(HTTP 401\).*Invalid API key/,
    );
    const invalid = await scheduleAgent({ agent_id: 'invalid-agent', entrypoint_tag: 'main' });
    expect((await callbackOf(invalid.callback)).error).toMatch(/HTTP 422.*input_kwargs.topic is required/);
    await sleep(1500);
    expect(remote.runsOf('invalid-agent')).toHaveLength(1);
  });

  // Our own server, here and in the next test: runagent serve cannot be made to answer 5xx.
  it('retries a 5xx per the task retry policy and then succeeds', async () => {
    const { callback } = await scheduleAgent(
      { agent_id: 'flaky-agent', entrypoint_tag: 'main', params: { key: 'k1', fail_times: 2 } },
      { retry: { max_attempts: 4, initial_interval: '200ms', backoff: 1 } },
    );
    expect(await callbackOf(callback)).toMatchObject({ status: 'success', result: { recovered_after: 3 } });
    expect(
      remote.runsOf('flaky-agent').filter((r) => (r.body.input_kwargs as { key: string }).key === 'k1'),
    ).toHaveLength(3);
  });

  it('gives up after max_attempts on persistent 5xx', async () => {
    const { callback } = await scheduleAgent(
      { agent_id: 'flaky-agent', entrypoint_tag: 'main', params: { key: 'k2', fail_times: 10 } },
      { retry: { max_attempts: 2, initial_interval: '100ms' } },
    );
    expect(await callbackOf(callback)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/HTTP 503/),
    });
  });

  it('a slow run hits the per-task timeout', async () => {
    const { callback } = await scheduleAgent(
      {
        agent_id: agent.agentId,
        entrypoint_tag: 'slow',
        params: { delay_s: 5 },
        executor_type: 'serverless-real',
      },
      { retry: { timeout: '1s', max_attempts: 1 } },
    );
    const body = await callbackOf(callback);
    expect(body.status).toBe('failed');
    expect(body.error).toMatch(/timed out|timeout/i);
  });

  it('streams *_stream entrypoints over WebSocket, decoding each chunk: text is joined, anything else listed', async () => {
    const text = await scheduleAgent({
      agent_id: agent.agentId,
      entrypoint_tag: 'main_stream',
      params: { chunks: ['The ', 'tide ', 'turns', '.'] },
      executor_type: 'serverless-real',
    });
    expect(await callbackOf(text.callback)).toMatchObject({ status: 'success', result: 'The tide turns.' });
    const mixed = await scheduleAgent({
      agent_id: agent.agentId,
      entrypoint_tag: 'main_stream',
      params: { chunks: ['tide', { height_m: 1.5 }, 3, null] },
      executor_type: 'serverless-real',
    });
    expect((await callbackOf(mixed.callback)).result).toEqual(['tide', { height_m: 1.5 }, 3, null]);
  });

  it('a stream that fails midway reports the agent failure', async () => {
    const { callback } = await scheduleAgent({
      agent_id: agent.agentId,
      entrypoint_tag: 'broken_stream',
      params: { reason: 'the stream ran dry' },
      executor_type: 'serverless-real',
    });
    expect(await callbackOf(callback)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/the agent reported a failure: Streaming error: the stream ran dry/),
    });
  });
});

describe.concurrent('local executor', () => {
  it('runs an agent served by runagent serve at agent_host/agent_port (from metadata, as the SDK sends), with no key', async () => {
    const { callback } = await scheduleAgent(
      { agent_id: agent.agentId, entrypoint_tag: 'main', params: { where: 'local' } },
      {},
      { executor_type: 'local', agent_host: '127.0.0.1', agent_port: agent.port },
    );
    expect(await callbackOf(callback)).toMatchObject({
      status: 'success',
      result: { echo: { where: 'local' } },
    });
  });

  it('runs an agent at agent_host/agent_port given in the payload and delivers its output', async () => {
    const { callback } = await scheduleAgent({
      agent_id: agent.agentId,
      entrypoint_tag: 'main',
      params: { n: 7 },
      executor_type: 'local',
      agent_host: '127.0.0.1',
      agent_port: agent.port,
    });
    expect(await callbackOf(callback)).toMatchObject({ status: 'success', result: { echo: { n: 7 } } });
  });

  it('streams from runagent serve: each chunk decoded, in the heartbeat and in the joined output', async () => {
    const { taskId, callback } = await scheduleAgent({
      agent_id: agent.agentId,
      entrypoint_tag: 'main_stream',
      // Long enough between chunks for the test's describe() polls to catch the activity while it streams on a
      // loaded machine (with 0.6 s the whole stream was once over before the first poll saw a heartbeat).
      params: { chunks: ['abc-0;', 'abc-1;', 'abc-2;'], delay_s: 2 },
      executor_type: 'local',
      agent_host: '127.0.0.1',
      agent_port: agent.port,
    });
    expect(await firstHeartbeat(taskId)).toMatchObject({
      chunks: expect.any(Number),
      last: expect.stringMatching(/^abc-\d;$/),
    });
    expect(await callbackOf(callback)).toMatchObject({ status: 'success', result: 'abc-0;abc-1;abc-2;' });
  });

  it("a stream's progress stays in its heartbeat between chunks: the keep-alive repeats it", async () => {
    const { taskId, callback } = await scheduleAgent({
      agent_id: agent.agentId,
      entrypoint_tag: 'main_stream',
      params: { chunks: ['slow-0;', 'slow-1;'], delay_s: 6 },
      executor_type: 'local',
      agent_host: '127.0.0.1',
      agent_port: agent.port,
    });
    expect(await firstHeartbeat(taskId)).toMatchObject({ chunks: 1, last: 'slow-0;' });
    // Two keep-alive ticks (every second, sent at most once a second) before the next chunk, 6 s after the first:
    // room for the first heartbeat to be seen late on a loaded machine (CI saw it more than 1.5 s late with 4 s).
    await sleep(2500);
    expect(await lastHeartbeat(taskId)).toMatchObject({ chunks: 1, last: 'slow-0;' });
    expect(await callbackOf(callback)).toMatchObject({ status: 'success', result: 'slow-0;slow-1;' });
  });

  it('runs the sample agent that ships in examples/agents/served, both its entrypoints, as the docs say', async () => {
    const sample = await startRealRunAgent(path.join(PROJECT_ROOT, 'examples', 'agents', 'served'));
    try {
      const at = { executor_type: 'local', agent_host: '127.0.0.1', agent_port: sample.port };
      const echo = await scheduleAgent({
        agent_id: sample.agentId,
        entrypoint_tag: 'main',
        params: { greeting: 'hello' },
        ...at,
      });
      const stream = await scheduleAgent({ agent_id: sample.agentId, entrypoint_tag: 'main_stream', ...at });
      expect(await callbackOf(echo.callback)).toMatchObject({
        status: 'success',
        result: { echo: { greeting: 'hello' } },
      });
      expect(await callbackOf(stream.callback)).toMatchObject({
        status: 'success',
        result: 'Pulseranthisagent',
      });
    } finally {
      await sample.close();
    }
  });

  it('a stream the server refuses before it starts reports why (its `detail`)', async () => {
    const { callback } = await scheduleAgent({
      agent_id: agent.agentId,
      entrypoint_tag: 'nothing_stream',
      executor_type: 'local',
      agent_host: '127.0.0.1',
      agent_port: agent.port,
    });
    expect(await callbackOf(callback)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/request rejected: Entrypoint nothing_stream not found/),
    });
  });

  it('an agent id runagent serve does not serve is "no such agent", for a stream and for a run', async () => {
    const target = { executor_type: 'local', agent_host: '127.0.0.1', agent_port: agent.port };
    const stream = await scheduleAgent({
      agent_id: 'no-such-agent',
      entrypoint_tag: 'main_stream',
      ...target,
    });
    const streamError = (await callbackOf(stream.callback)).error;
    expect(streamError).toMatch(/no such agent at http:\/\/127\.0\.0\.1:\d+ \(handshake answered HTTP 403\)/);
    expect(streamError).not.toMatch(/authentication/i);
    const run = await scheduleAgent({ agent_id: 'no-such-agent', entrypoint_tag: 'main', ...target });
    expect((await callbackOf(run.callback)).error).toMatch(/no such agent \(HTTP 404\)/);
  });

  it('runs an exported function of a JS/TS module under LOCAL_AGENT_PATH', async () => {
    const { callback } = await scheduleAgent({
      agent_id: 'js_agent',
      entrypoint_tag: 'summarize',
      params: { text: 'the quick brown fox jumps', max_words: 2 },
      executor_type: 'local',
    });
    expect(await callbackOf(callback)).toMatchObject({
      status: 'success',
      result: { summary: 'the quick', words: 5 },
    });
    const broken = await scheduleAgent({
      agent_id: 'js_agent',
      entrypoint_tag: 'explode',
      executor_type: 'LOCAL',
    });
    expect(await callbackOf(broken.callback)).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('exploded'),
    });
    // `words` is in the module's source but not an export: past the schedule-time check (which refuses only a name
    // the module never spells), the run itself finds no such function.
    const missing = await scheduleAgent({
      agent_id: 'js_agent',
      entrypoint_tag: 'words',
      executor_type: 'local',
    });
    expect((await callbackOf(missing.callback)).error).toMatch(/no exported function 'words'.*summarize/);
  });

  it('runs a Python module function with keyword arguments, sync and async, in a child python3', async () => {
    const sync = await scheduleAgent({
      agent_id: 'py_agent',
      entrypoint_tag: 'summarize',
      params: { text: 'one two three four', max_words: 2 },
      executor_type: 'local',
    });
    expect(await callbackOf(sync.callback)).toMatchObject({
      status: 'success',
      result: { summary: 'one two', words: 4 },
    });
    const asyncRun = await scheduleAgent({
      agent_id: 'py_agent',
      entrypoint_tag: 'summarize_async',
      params: { text: 'shout' },
      executor_type: 'local',
    });
    expect(await callbackOf(asyncRun.callback)).toMatchObject({ result: { upper: 'SHOUT' } });
    const broken = await scheduleAgent({
      agent_id: 'py_agent',
      entrypoint_tag: 'explode',
      executor_type: 'local',
    });
    expect((await callbackOf(broken.callback)).error).toMatch(/ValueError: the python agent exploded/);
    // A module that is not under LOCAL_AGENT_PATH is refused when it is scheduled, not when it is due: a missing
    // one, and an installed module such as subprocess (never imported).
    for (const [agentId, entrypoint] of [
      ['no_such_module', 'run'],
      ['subprocess', 'getoutput'],
    ]) {
      const refused = await pulse.call('POST', '/tasks/schedule', {
        schedule_type: 'run_agent',
        when: 'now',
        payload: {
          agent_id: agentId,
          entrypoint_tag: entrypoint,
          params: { cmd: 'echo pwned' },
          executor_type: 'local',
        },
      });
      expect(refused.status, agentId).toBe(400);
      expect(refused.body.detail).toMatch(
        new RegExp(`names no agent under LOCAL_AGENT_PATH .*no ${agentId}\\.js`),
      );
      expect(JSON.stringify(refused.body)).not.toContain('pwned');
    }
    const hidden = await pulse.call('POST', '/tasks/schedule', {
      schedule_type: 'run_agent',
      when: 'now',
      payload: { agent_id: 'py_agent', entrypoint_tag: '__import__', executor_type: 'local' },
    });
    expect(hidden.status).toBe(400);
    expect(hidden.body.detail).toMatch(/public function/);
    // An entrypoint the module does not define is refused as it is scheduled too, for JS/TS and Python alike.
    for (const agentId of ['js_agent', 'py_agent']) {
      const nope = await pulse.call('POST', '/tasks/schedule', {
        schedule_type: 'run_agent',
        when: 'in 1 hour',
        payload: { agent_id: agentId, entrypoint_tag: 'nope', executor_type: 'local' },
      });
      expect(nope.status, agentId).toBe(400);
      expect(nope.body.errors, agentId).toEqual([
        {
          field: 'payload.entrypoint_tag',
          message: expect.stringMatching(
            new RegExp(`^agent module ${agentId}\\.(ts|py) does not define 'nope'`),
          ),
        },
      ]);
    }
  });
});

describe.concurrent('choosing and validating executors', () => {
  it('GET /executors lists what is available and why the others are not', async () => {
    const noKey = createExecutorFactory({
      serverless: { enabled: true, baseUrl: remote.url, apiKey: undefined },
      local: { enabled: false, agentPath: undefined, python: 'python3', defaultAgentPort: 8450 },
    });
    const other = await startPulse(env, { executors: noKey });
    try {
      const { body } = await other.call('GET', '/executors');
      const byName = Object.fromEntries(body.executors.map((e: { name: string }) => [e.name, e]));
      expect(byName.serverless).toMatchObject({
        available: false,
        reason: expect.stringMatching(/RUNAGENT_SERVERLESS_API_KEY/),
      });
      expect(byName.local).toMatchObject({
        available: false,
        reason: expect.stringMatching(/ENABLE_LOCAL_EXECUTOR/),
      });
      expect(body.available).toEqual(expect.arrayContaining(['http', 'webhook']));
      const refused = await other.call('POST', '/tasks/schedule', {
        schedule_type: 'run_agent',
        when: 'now',
        payload: { agent_id: 'a', entrypoint_tag: 'main', executor_type: 'serverless' },
      });
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({
        code: 'EXECUTOR_UNAVAILABLE',
        detail: expect.stringMatching(/API key/),
      });
      const none = await other.call('POST', '/tasks/schedule', {
        schedule_type: 'execute_agent',
        when: 'now',
        payload: { agent_id: 'a', entrypoint_tag: 'main' },
      });
      expect(none.status).toBe(400);
      expect(none.body.code).toBe('NO_AGENT_EXECUTOR');
    } finally {
      await other.stop();
    }
  });

  it('executor names are case-insensitive; unknown ones and bad params are 400 at schedule time', async () => {
    const upper = await pulse.call('POST', '/tasks/schedule', {
      schedule_type: 'run_agent',
      when: 'in 1 hour',
      payload: { agent_id: 'echo-agent', entrypoint_tag: 'main', executor_type: 'ServerLess' },
    });
    expect(upper.status).toBe(200);
    await pulse.call('DELETE', `/tasks/${upper.body.task_id}`);
    for (const [payload, pattern] of [
      [
        { agent_id: 'a', entrypoint_tag: 'm', executor_type: 'gpu-cluster' },
        /Unknown executor 'gpu-cluster'/,
      ],
      [{ agent_id: '../../etc/passwd', entrypoint_tag: 'm', executor_type: 'local' }, /module name/],
      [{ agent_id: 'a', entrypoint_tag: 'm', agent_port: 99999, executor_type: 'local' }, /agent_port/],
      [{ agent_id: 'a', entrypoint_tag: 'm', params: 'text' }, /payload\.params/],
      [{ agent_id: 'a', entrypoint_tag: 'm', executor_type: 'word-count', params: {} }, /params\.text/],
    ] as const) {
      const response = await pulse.call('POST', '/tasks/schedule', {
        schedule_type: 'run_agent',
        when: 'now',
        payload,
      });
      expect(response.status, JSON.stringify(payload)).toBe(400);
      expect(response.body.detail).toMatch(pattern);
    }
  });

  it('a custom executor registered in one line runs tasks', async () => {
    const { callback } = await scheduleAgent({
      agent_id: 'anything',
      entrypoint_tag: 'count',
      params: { text: 'to be or not to be' },
      executor_type: 'word-count',
    });
    expect(await callbackOf(callback)).toMatchObject({ status: 'success', result: { words: 6 } });
  });

  it('DEFAULT_EXECUTOR is honoured for agent tasks that name none', async () => {
    const withDefault = await startPulse(env, { executors, defaultExecutor: 'local' });
    try {
      // The default lives in the factory config; the API reports it.
      const listed = (await withDefault.call('GET', '/executors')).body;
      expect(listed.default).toBe('local');
    } finally {
      await withDefault.stop();
    }
    const factory = createExecutorFactory({
      defaultExecutor: 'LOCAL',
      serverless: { enabled: true, baseUrl: remote.url, apiKey: KEY },
      local: { enabled: true, agentPath: AGENTS, python: 'python3', defaultAgentPort: 8450 },
    });
    const choice = factory.choose({ scheduleType: 'run_agent', hasWebhook: false });
    expect(choice.ok && choice.executor.name).toBe('local');
    const auto = createExecutorFactory({
      serverless: { enabled: true, baseUrl: remote.url, apiKey: undefined },
      local: { enabled: true, agentPath: AGENTS, python: 'python3', defaultAgentPort: 8450 },
    });
    const fallback = auto.choose({ scheduleType: 'run_agent', hasWebhook: false });
    expect(fallback.ok && fallback.executor.name).toBe('local');
  });
});

// Our own server throughout: these tests count the requests that arrived and see connections close.
describe('running well', () => {
  it('ten slow runs due at the same moment run concurrently', async () => {
    const due = new Date(Date.now() + 2500).toISOString();
    const callbacks: string[] = [];
    for (let i = 0; i < 10; i++) {
      const callback = `/concurrent-${i}`;
      callbacks.push(callback);
      const response = await pulse.call('POST', '/tasks/schedule', {
        schedule_type: 'run_agent',
        when: due,
        payload: { agent_id: 'slow-agent', entrypoint_tag: 'main', params: { delay_ms: 2000, i } },
        callback_url: `${receiver.url}${callback}`,
      });
      expect(response.status).toBe(200);
    }
    await Promise.all(callbacks.map((c) => receiver.waitFor(c, 1, 30_000)));
    const arrivals = callbacks.map((c) => receiver.at(c)[0]!.receivedAt);
    const total = Math.max(...arrivals) - Date.parse(due);
    console.log(`[measure] 10 runs of 2 s each, due together: last callback ${total} ms after the due time`);
    expect(total).toBeLessThan(6000);
  });

  it('DELETE during a slow run aborts the request: the agent server sees the connection closed', async () => {
    const { taskId } = await scheduleAgent({
      agent_id: 'slow-agent',
      entrypoint_tag: 'main',
      params: { delay_ms: 20_000, cancel: 1 },
    });
    const isCancelRun = (r: { body: Record<string, unknown> }) =>
      (r.body.input_kwargs as { cancel?: number }).cancel === 1;
    for (let i = 0; i < 100 && !remote.runsOf('slow-agent').some(isCancelRun); i++) await sleep(100);
    const run = remote.runsOf('slow-agent').find(isCancelRun)!;
    expect(run).toBeDefined();
    const started = Date.now();
    expect((await pulse.call('DELETE', `/tasks/${taskId}`)).body).toEqual({
      status: 'cancelled',
      task_id: taskId,
    });
    for (let i = 0; i < 50 && !run.closedEarly; i++) await sleep(100);
    expect(run.closedEarly).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await pulse.call('GET', `/tasks/${taskId}`)).body.status).toBe('cancelled');
  });

  it('DELETE during a Python run kills the child process', async () => {
    const pidFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'pulse-py-')), 'pid');
    const { taskId } = await scheduleAgent({
      agent_id: 'py_agent',
      entrypoint_tag: 'slow',
      params: { delay_s: 60, pid_file: pidFile },
      executor_type: 'local',
    });
    for (let i = 0; i < 100 && !existsSync(pidFile); i++) await sleep(100);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    const alive = (p: number) => {
      try {
        process.kill(p, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(alive(pid)).toBe(true);
    await pulse.call('DELETE', `/tasks/${taskId}`);
    for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
    expect(alive(pid)).toBe(false);
  });

  it('a worker killed during a run is noticed by its heartbeat timeout and the run completes on another worker', async () => {
    const queue = `pulse-kill-${Date.now()}`;
    const api = await startPulseApiOnly(env, queue, executors);
    // As `npm run worker` runs it (from its bundle), loading the TypeScript executors module through tsx.
    const child = spawn(process.execPath, ['scripts/run-bundled.mjs', 'src/main/worker.ts'], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: env.address,
        TEMPORAL_NAMESPACE: env.namespace ?? 'default',
        PULSE_TASK_QUEUE: queue,
        RUNAGENT_BASE_URL: remote.url,
        RUNAGENT_API_KEY: KEY,
        PULSE_EXECUTORS_MODULE: './src/executors/examples/register.ts',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, as a shell's job would be: the kill reaches whatever the worker started.
      detached: true,
    });
    const killWorker = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    try {
      for (let i = 0; i < 300 && !output.includes('[pulse] ready'); i++) await sleep(100);
      expect(output).toContain('[pulse] ready');
      expect(output).toContain('[pulse] executor word-count: available');
      const response = await api.call('POST', '/tasks/schedule', {
        schedule_type: 'run_agent',
        when: 'now',
        payload: {
          agent_id: 'slow-agent',
          entrypoint_tag: 'main',
          params: { delay_ms: 3000, kill: 1 },
          executor_type: 'serverless',
        },
        callback_url: `${receiver.url}/killed-cb`,
      });
      expect(response.status).toBe(200);
      const isKillRun = (r: { body: Record<string, unknown> }) =>
        (r.body.input_kwargs as { kill?: number }).kill === 1;
      for (let i = 0; i < 100 && !remote.runsOf('slow-agent').some(isKillRun); i++) await sleep(100);
      killWorker();
      const killedAt = Date.now();
      const replacement = await startPulse(env, { executors }, queue);
      try {
        const body = (await receiver.waitFor('/killed-cb', 1, 60_000))[0]!.json as { status: string };
        expect(body.status).toBe('success');
        expect(remote.runsOf('slow-agent').filter(isKillRun)).toHaveLength(2);
        const retryDelay = Date.now() - killedAt;
        console.log(`[measure] run retried on another worker; callback ${retryDelay} ms after the kill`);
        expect(retryDelay).toBeLessThan(20_000);
      } finally {
        await replacement.stop();
      }
    } finally {
      killWorker();
      await api.stop();
    }
  });
});
