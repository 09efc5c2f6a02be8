/**
 * Agent-aware runs (issue 17, parts 1 and 3) on a real Temporal dev server, with the real `runagent serve`, real
 * Python and JS agent modules, and real HTTP targets and receivers on 127.0.0.1: each run's context reaches the
 * agent as it declared it; a task's delivery policy sends what matters (only changes, only failures, nothing when
 * the agent has nothing to report), alerts after failures in a row and says when the task recovers. A run whose
 * callback is not sent says so and why.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createExecutorFactory } from '../src/executors/executor-factory.js';
import { PROJECT_ROOT } from '../src/project-root.js';
import { startRealRunAgent, type RealRunAgent } from './helpers/runagent-real.js';
import { useStack } from './helpers/stack.js';
import { until } from './helpers/wait.js';

let agent: RealRunAgent | undefined;
/** Parsed JSON of a response or callback, read field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const { pulse, receiver } = useStack({
  pulse: async () => {
    agent = await startRealRunAgent();
    return {
      executors: createExecutorFactory({
        serverless: { enabled: false, baseUrl: 'http://127.0.0.1:9', apiKey: '' },
        local: {
          enabled: true,
          agentPath: path.join(PROJECT_ROOT, 'test', 'fixtures', 'agents'),
          python: 'python3',
          defaultAgentPort: 8450,
        },
      }),
    };
  },
});

afterAll(async () => agent?.close());

let counter = 0;
const uniquePath = (name: string) => `/${name}-${++counter}`;

async function schedule(body: Record<string, unknown>): Promise<string> {
  const response = await pulse.call('POST', '/tasks/schedule', body);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.task_id as string;
}

/**
 * The task's runs once it has `count` (oldest first), as the API reports them; with `withCallback`, once each also
 * shows its callback (a run's record can be read a moment before its callback's outcome is on it).
 */
async function runsOf(taskId: string, count: number, withCallback = false): Promise<Json[]> {
  const { executions } = await until(
    `${count} runs of ${taskId}`,
    async () => {
      const { body } = await pulse.call('GET', `/tasks/${taskId}/results`);
      const settled = !withCallback || body.executions.every((run: Json) => run.callback !== null);
      return body.total_executions === count && settled ? body : undefined;
    },
    { timeoutMs: 30_000 },
  );
  return [...executions].reverse();
}

/** The callbacks' bodies that reached `at`. */
const bodies = (at: string) => receiver.at(at).map((r) => r.json as Json);

describe.concurrent('run context', () => {
  it('a RunAgent agent under runagent serve gets it as the keyword argument it declares, run after run', async () => {
    const cb = uniquePath('ctx-cb');
    const taskId = await schedule({
      schedule_type: 'run_agent',
      when: 'in 1 second',
      repeat: { interval: '3s', times: 2 },
      payload: {
        agent_id: agent!.agentId,
        entrypoint_tag: 'report',
        params: { topic: 'outages' },
        executor_type: 'local',
        agent_host: '127.0.0.1',
        agent_port: agent!.port,
      },
      callback_url: `${receiver.url}${cb}`,
      run_context: true,
    });
    const [first, second] = (await receiver.waitFor(cb, 2, 30_000)).map((r) => r.json as Json);
    expect(first.result).toMatchObject({
      topic: 'outages',
      run_number: 1,
      previous_status: null,
      previous_result: null,
      next_run_at: expect.stringMatching(/Z$/),
    });
    expect(second.result).toMatchObject({
      topic: 'outages',
      run_number: 2,
      previous_status: 'success',
      // The previous run's result, as text.
      previous_result: expect.stringContaining('"run_number":1'),
      // The last of two runs: nothing after it.
      next_run_at: null,
    });
    // The occurrence each run serves: the schedule's times, on its 3 s grid (the next one, unless the first run
    // outlasted it on a loaded machine and the overlap policy skipped it), and the next time the first one named.
    const gap = Date.parse(second.result.scheduled_for) - Date.parse(first.result.scheduled_for);
    expect(gap > 0 && gap % 3000 === 0, `${gap} ms apart`).toBe(true);
    // The first run names the next time the schedule will take, also on the grid (one interval on, unless the run
    // started so late that this time had passed).
    const ahead = Date.parse(first.result.next_run_at) - Date.parse(first.result.scheduled_for);
    expect(ahead > 0 && ahead % 3000 === 0, `next_run_at ${ahead} ms after the first run's time`).toBe(true);
    // runagent serve recorded the keyword argument as it arrived.
    const invocations = (await agent!.invocations()).filter((i) => i.entrypoint_tag === 'report');
    expect(invocations[0]!.input_data.input_kwargs.pulse_context).toMatchObject({
      task_id: taskId,
      run_number: 2,
    });
  });

  it('Python and JS modules get it under the name the task chose; a task without run_context gets nothing extra', async () => {
    const py = uniquePath('ctx-py');
    await schedule({
      schedule_type: 'run_agent',
      when: 'now',
      payload: { agent_id: 'py_agent', entrypoint_tag: 'with_context', executor_type: 'local' },
      callback_url: `${receiver.url}${py}`,
      run_context: { kwarg: 'ctx' },
    });
    const js = uniquePath('ctx-js');
    await schedule({
      schedule_type: 'run_agent',
      when: 'now',
      payload: { agent_id: 'js_agent', entrypoint_tag: 'withContext', executor_type: 'local' },
      callback_url: `${receiver.url}${js}`,
      run_context: { kwarg: 'ctx' },
    });
    const plain = uniquePath('ctx-plain');
    await schedule({
      schedule_type: 'run_agent',
      when: 'now',
      payload: {
        agent_id: agent!.agentId,
        entrypoint_tag: 'main',
        params: { only: 'this' },
        executor_type: 'local',
        agent_host: '127.0.0.1',
        agent_port: agent!.port,
      },
      callback_url: `${receiver.url}${plain}`,
    });
    const [pyRun] = await receiver.waitFor(py, 1, 20_000);
    expect(pyRun!.json).toMatchObject({
      status: 'success',
      result: { run_number: 1, task_id: expect.stringMatching(/^task_/), previous: null },
    });
    const [jsRun] = await receiver.waitFor(js, 1, 20_000);
    expect(jsRun!.json).toMatchObject({
      status: 'success',
      result: { run_number: 1, scheduled_for: expect.stringMatching(/Z$/) },
    });
    const [plainRun] = await receiver.waitFor(plain, 1, 20_000);
    expect((plainRun!.json as Json).result).toEqual({ echo: { only: 'this' } });
  });

  it('a trigger with params runs the RunAgent agent once with them, its context beside them', async () => {
    const cb = uniquePath('trigger-cb');
    const taskId = await schedule({
      schedule_type: 'run_agent',
      when: 'in 1 hour',
      payload: {
        agent_id: agent!.agentId,
        entrypoint_tag: 'report',
        params: { topic: 'scheduled' },
        executor_type: 'local',
        agent_host: '127.0.0.1',
        agent_port: agent!.port,
      },
      callback_url: `${receiver.url}${cb}`,
      run_context: true,
    });
    const triggered = await pulse.call('POST', `/tasks/${taskId}/trigger`, { params: { topic: 'by hand' } });
    expect(triggered.status, JSON.stringify(triggered.body)).toBe(200);
    const [call] = await receiver.waitFor(cb, 1, 20_000);
    expect((call!.json as Json).result).toMatchObject({ topic: 'by hand', run_number: 1 });
    const invocation = (await agent!.invocations()).find(
      (i) => (i.input_data.input_kwargs.pulse_context as Json)?.task_id === taskId,
    );
    expect(invocation!.input_data.input_kwargs).toMatchObject({ topic: 'by hand' });
    const [run] = await runsOf(taskId, 1);
    expect(run!.trigger_input.payload.params).toEqual({ topic: 'by hand' });
    expect((await pulse.call('GET', `/tasks/${taskId}`)).body.payload.params).toEqual({ topic: 'scheduled' });
  });

  it('an http_request run carries it as x-pulse-* headers', async () => {
    const target = uniquePath('ctx-target');
    const taskId = await schedule({
      schedule_type: 'http_request',
      when: 'now',
      payload: { url: `${receiver.url}${target}`, method: 'POST', body: { q: 1 } },
      run_context: true,
    });
    const [call] = await receiver.waitFor(target, 1, 20_000);
    expect(call!.headers['x-pulse-run-number']).toBe('1');
    expect(call!.headers['x-pulse-scheduled-for']).toMatch(/Z$/);
    expect(call!.headers['x-pulse-previous-status']).toBeUndefined();
    const context = JSON.parse(
      Buffer.from(String(call!.headers['x-pulse-context']), 'base64url').toString('utf8'),
    );
    expect(context).toMatchObject({ task_id: taskId, run_number: 1, previous_run: null, next_run_at: null });
    expect(context.execution_id).toBe(call!.headers['x-pulse-execution-id']);
  });
});

describe.concurrent('delivery policy', () => {
  it('on_change delivers the 1st and 3rd of three runs whose results were A, A, B; the 2nd says why it was not', async () => {
    const target = uniquePath('change-target');
    const cb = uniquePath('change-cb');
    receiver.script(target, (n) => ({ status: 200, body: { headline: n < 3 ? 'A' : 'B' } }));
    const taskId = await schedule({
      schedule_type: 'http_request',
      when: 'in 1 second',
      repeat: { interval: '3s', times: 3 },
      payload: { url: `${receiver.url}${target}`, method: 'GET' },
      callback_url: `${receiver.url}${cb}`,
      delivery: { mode: 'on_change' },
    });
    const runs = await runsOf(taskId, 3, true);
    expect(receiver.at(target)).toHaveLength(3);
    expect(bodies(cb).map((b) => b.result.body)).toEqual([{ headline: 'A' }, { headline: 'B' }]);
    expect(runs.map((r) => r.callback.status)).toEqual(['delivered', 'skipped', 'delivered']);
    expect(runs[1]!.callback.reason).toBe(
      `delivery on_change: the same result as the previous run (${runs[0]!.execution_id})`,
    );
  });

  it('alerts once after 3 failures in a row, sends failures to failure_url, and one recovery notice', async () => {
    const target = uniquePath('alert-target');
    const cb = uniquePath('alert-cb');
    const failures = uniquePath('alert-failures');
    receiver.script(target, (n) => (n <= 4 ? { status: 500, body: { down: n } } : { status: 200 }));
    const taskId = await schedule({
      schedule_type: 'http_request',
      when: 'in 1 second',
      repeat: { interval: '2s', times: 6 },
      payload: { url: `${receiver.url}${target}`, method: 'POST' },
      retry: { max_attempts: 1 },
      callback_url: `${receiver.url}${cb}`,
      delivery: { alert_after: 3, failure_url: `${receiver.url}${failures}` },
    });
    const runs = await runsOf(taskId, 6, true);
    expect(runs.map((r) => r.status)).toEqual(['failed', 'failed', 'failed', 'failed', 'success', 'success']);
    // Failed runs' callbacks and the notices went to failure_url, successes to callback_url.
    const sent = bodies(failures);
    expect(sent.filter((b) => !b.event).map((b) => b.status)).toEqual([
      'failed',
      'failed',
      'failed',
      'failed',
    ]);
    const notices = sent.filter((b) => b.event);
    expect(notices).toEqual([
      expect.objectContaining({
        event: 'alert',
        task_id: taskId,
        execution_id: runs[2]!.execution_id,
        failures: 3,
        error: expect.stringMatching(/500/),
      }),
      expect.objectContaining({ event: 'recovery', execution_id: runs[4]!.execution_id, failures: 4 }),
    ]);
    expect(bodies(cb).map((b) => b.status)).toEqual(['success', 'success']);
    // Each notice is recorded on the run that caused it, with its own webhook id.
    expect(runs.map((r) => r.notice?.event ?? null)).toEqual([null, null, 'alert', null, 'recovery', null]);
    expect(runs[2]!.notice).toMatchObject({ status: 'delivered', failures: 3 });
    const alertRequest = receiver.at(failures).find((r) => (r.json as Json).event === 'alert')!;
    expect(alertRequest.headers['webhook-id']).toBe(`${runs[2]!.execution_id}:alert`);
  });

  it('on_failure skips a success; an agent with nothing to report is not delivered, and says so', async () => {
    const quiet = uniquePath('quiet-target');
    const cb = uniquePath('quiet-cb');
    receiver.respond(quiet, 200, { nothing_to_report: true, checked: 12 });
    const quietTask = await schedule({
      schedule_type: 'http_request',
      when: 'now',
      payload: { url: `${receiver.url}${quiet}`, method: 'GET' },
      callback_url: `${receiver.url}${cb}`,
    });
    const onFailure = await schedule({
      schedule_type: 'http_request',
      when: 'now',
      payload: { url: `${receiver.url}${uniquePath('fine')}`, method: 'GET' },
      callback_url: `${receiver.url}${cb}`,
      delivery: { mode: 'on_failure' },
    });
    const [quietRun] = await runsOf(quietTask, 1, true);
    expect(quietRun!.callback).toEqual({
      url: `${receiver.url}${cb}`,
      status: 'skipped',
      reason: 'the agent had nothing to report',
    });
    expect(quietRun!.result.body).toEqual({ nothing_to_report: true, checked: 12 });
    const [fineRun] = await runsOf(onFailure, 1, true);
    expect(fineRun!.callback).toMatchObject({
      status: 'skipped',
      reason: 'delivery on_failure: the run succeeded',
    });
    // The history says it too.
    const history = (await pulse.call('GET', `/tasks/${onFailure}/history`)).body.history;
    expect(history[0].callback_status).toBe('skipped');
    expect(receiver.at(cb)).toHaveLength(0);
  });

  it('bad policies are precise 400s and 422s', async () => {
    const base = {
      schedule_type: 'http_request',
      when: 'in 1 hour',
      payload: { url: `${receiver.url}/never`, method: 'POST' },
    };
    const noDestination = await pulse.call('POST', '/tasks/schedule', {
      ...base,
      delivery: { mode: 'on_change' },
    });
    expect(noDestination.status).toBe(400);
    expect(noDestination.body.errors).toEqual([
      {
        field: 'delivery',
        message: 'needs a destination: give callback_url (or metadata.callback_url) or delivery.failure_url',
      },
    ]);
    const badMode = await pulse.call('POST', '/tasks/schedule', {
      ...base,
      callback_url: `${receiver.url}/cb`,
      delivery: { mode: 'sometimes' },
    });
    expect(badMode.status).toBe(422);
    expect(JSON.stringify(badMode.body)).toMatch(/delivery\.mode/);
    const tooMany = await pulse.call('POST', '/tasks/schedule', {
      ...base,
      callback_url: `${receiver.url}/cb`,
      delivery: { alert_after: 0 },
    });
    expect(tooMany.status).toBe(422);
    const badKwarg = await pulse.call('POST', '/tasks/schedule', {
      ...base,
      run_context: { kwarg: 'not a name' },
    });
    expect(badKwarg.status).toBe(422);
    expect(JSON.stringify(badKwarg.body)).toMatch(/must be a Python identifier/);
    const external = await pulse.call('POST', '/tasks/schedule', {
      schedule_type: 'crawl',
      when: 'in 1 hour',
      payload: { pages: ['a'] },
      run_context: true,
    });
    expect(external.status).toBe(400);
    expect(external.body.errors).toEqual([
      { field: 'run_context', message: 'is not available for tasks left to external workers' },
    ]);
  });
});

describe.concurrent('budget', () => {
  it('a recurring task holds the runs that would exceed its day, says why, and previews the spend', async () => {
    const target = uniquePath('budget-agent');
    receiver.respond(target, 200, { report: 'ok', usage: { total_tokens: 400, cost: 0.02 } });
    const taskId = await schedule({
      schedule_type: 'http_request',
      when: 'in 1 second',
      repeat: { interval: '2s', times: 4 },
      timezone: 'UTC',
      payload: { url: `${receiver.url}${target}`, method: 'GET' },
      budget: { period: 'day', tokens: 1000 },
    });
    const runs = await runsOf(taskId, 4);
    // 400 + 400 fit in 1,000; a third run of about 400 would not: held, and so is the fourth.
    expect(runs.map((r) => r.status)).toEqual(['success', 'success', 'held', 'held']);
    expect(receiver.at(target)).toHaveLength(2);
    const today = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const reason = `budget: 800 of 1000 tokens spent and a run uses about 400 in ${today} (UTC); runs again from ${tomorrow}T00:00:00+00:00`;
    // /results, /result and the ledger all give the reason.
    expect(runs[2]!.error).toBe(reason);
    const held = (await pulse.call('GET', `/tasks/${taskId}/result?execution_id=${runs[2]!.execution_id}`))
      .body;
    expect(held).toMatchObject({ status: 'held', error: reason });

    // The ledger shows the held occurrences with the reason.
    const from = new Date(Date.now() - 120_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const ledger = (await pulse.call('GET', `/tasks/${taskId}/occurrences?from=${from}&to=${to}`)).body;
    const statuses = ledger.occurrences.map((o: Json) => o.status);
    expect(statuses.filter((s: string) => s === 'held')).toHaveLength(2);
    expect(ledger.occurrences.find((o: Json) => o.status === 'held').reason).toBe(`not run: ${reason}`);

    // The preview: the day's spend, the mean run, and no run left due today (the task ran its four).
    const preview = (await pulse.call('GET', `/tasks/${taskId}/preview`)).body;
    expect(preview.budget).toMatchObject({
      period: today,
      limit: { tokens: 1000, cost: null },
      spent: { tokens: 800, cost: 0.04 },
      estimate_per_run: { tokens: 400, cost: 0.02 },
      runs_due_in_period: 0,
      next_run_held: expect.stringMatching(/^budget: 800 of 1000 tokens spent/),
    });
    // Spend per task, as metrics.
    const metrics = await fetch(`${pulse.baseUrl}/metrics`).then((r) => r.text());
    expect(metrics).toContain(`pulse_spend_tokens_total{task_id="${taskId}"} 800`);
  });

  it('reads usage where the task says, and refuses budgets it cannot keep', async () => {
    const target = uniquePath('budget-path');
    receiver.respond(target, 200, {
      meta: { spent: { input_tokens: 70, output_tokens: 30, cost_usd: 0.5 } },
    });
    const taskId = await schedule({
      schedule_type: 'http_request',
      when: 'now',
      payload: { url: `${receiver.url}${target}`, method: 'GET' },
      budget: { period: 'month', cost: 10, usage_path: 'body.meta.spent' },
    });
    const [run] = await runsOf(taskId, 1);
    expect(run!.status).toBe('success');
    const preview = (await pulse.call('GET', `/tasks/${taskId}/preview`)).body;
    expect(preview.budget).toMatchObject({ spent: { tokens: 100, cost: 0.5 } });
    expect(preview.budget.period).toMatch(/^\d{4}-\d\d$/);

    const none = await pulse.call('POST', '/tasks/schedule', {
      schedule_type: 'http_request',
      when: 'in 1 hour',
      payload: { url: `${receiver.url}/never`, method: 'GET' },
      budget: { period: 'day' },
    });
    expect(none.status).toBe(422);
    expect(JSON.stringify(none.body)).toMatch(/give tokens, cost or both/);
    const badPeriod = await pulse.call('POST', '/tasks/schedule', {
      schedule_type: 'http_request',
      when: 'in 1 hour',
      payload: { url: `${receiver.url}/never`, method: 'GET' },
      budget: { period: 'week', tokens: 5 },
    });
    expect(badPeriod.status).toBe(422);
    expect(JSON.stringify(badPeriod.body)).toMatch(/budget\.period/);
  });
});
