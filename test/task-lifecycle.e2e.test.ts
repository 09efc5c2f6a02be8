/**
 * What users met when they tried Pulse (issue 12): recurring tasks for external workers, cancel that stops
 * everything (callback retries included) and says what it stopped, and PATCHes that keep the search attributes
 * the Web UI and `GET /tasks?agent_id=` read in step with the task. On the dev server, with real HTTP peers.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecutorFactory } from '../src/executors/executor-factory.js';
import { PulseAgentId, PulseExecutor } from '../src/shared/search-attributes.js';
import { LOOPBACK_ALLOWED, startPulse, type PulseUnderTest } from './helpers/pulse.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createDevServerEnv } from './helpers/temporal.js';
import { sleep, until } from './helpers/wait.js';

let env: TestWorkflowEnvironment;
let pulse: PulseUnderTest;
let receiver: Receiver;

beforeAll(async () => {
  env = await createDevServerEnv();
  const executors = createExecutorFactory({
    guard: LOOPBACK_ALLOWED,
    local: { enabled: true, agentPath: undefined, python: 'python3', defaultAgentPort: 8450 },
    // Never called: the tasks that name it are due in an hour. It makes a second agent executor to switch to.
    serverless: { enabled: true, baseUrl: 'http://127.0.0.1:9', apiKey: 'test-key' },
  });
  pulse = await startPulse(env, { executors });
  receiver = await startReceiver();
});

afterAll(async () => {
  await pulse?.stop();
  await receiver?.close();
  await env?.teardown();
});

async function schedule(body: Record<string, unknown>): Promise<string> {
  const response = await pulse.call('POST', '/tasks/schedule', body);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.task_id as string;
}

describe.concurrent('recurring tasks for external workers', () => {
  it('each occurrence is pollable, claimable and ackable; two occurrences are worked off', async () => {
    const taskId = await schedule({
      schedule_type: 'crawl_site',
      when: 'in 3 seconds',
      repeat: { interval: '4s', times: 2 },
      payload: { site: 'example' },
      callback_url: `${receiver.url}/ext-cb`,
    });
    const executionIds: string[] = [];
    const worked = new Set<string>();
    for (let n = 1; n <= 2; n++) {
      // The poll reads Temporal's visibility, which trails the workflow: an occurrence acked a moment ago can still
      // be listed (its claim would answer 409, as the contract says a worker must expect). Look for the next one.
      const polled = await until(`occurrence ${n} in the poll`, async () => {
        const { body } = await pulse.call('GET', '/tasks/poll?types=crawl_site&limit=10');
        return body.tasks.find(
          (t: { task_id: string; metadata: Record<string, unknown> }) =>
            t.metadata.recurring_task_id === taskId && !worked.has(t.task_id),
        );
      });
      worked.add(polled.task_id);
      expect(polled).toMatchObject({ schedule_type: 'crawl_site', payload: { site: 'example' } });
      expect(Date.parse(polled.scheduled_for)).toBeLessThanOrEqual(Date.now());
      const claim = await pulse.call('POST', `/tasks/${polled.task_id}/claim`, { worker_id: 'w1' });
      expect(claim.status, JSON.stringify(claim.body)).toBe(200);
      const ack = await pulse.call('POST', `/tasks/${polled.task_id}/ack`, {
        worker_id: 'w1',
        execution_id: claim.body.execution_id,
        status: 'success',
        result: { pages: n },
      });
      expect(ack.status, JSON.stringify(ack.body)).toBe(200);
      executionIds.push(claim.body.execution_id);
    }
    const callbacks = await receiver.waitFor('/ext-cb', 2, 15_000);
    expect(callbacks.map((c) => (c.json as { execution_id: string }).execution_id)).toEqual(executionIds);
    const done = await until('two runs recorded', async () => {
      const { body } = await pulse.call('GET', `/tasks/${taskId}`);
      return body.runs?.length === 2 ? body : undefined;
    });
    expect(done.runs.map((r: { result: unknown }) => r.result)).toEqual([{ pages: 1 }, { pages: 2 }]);
  });
});

describe.concurrent('cancel means stop', () => {
  it('DELETE of a recurring task stops a run that is retrying its callback; a second DELETE is harmless', async () => {
    receiver.respond('/stuck-cb', 503);
    const taskId = await schedule({
      schedule_type: 'http_request',
      when: 'now',
      repeat: { interval: '1h' },
      payload: { url: `${receiver.url}/stuck-target`, method: 'POST' },
      callback_url: `${receiver.url}/stuck-cb`,
    });
    await receiver.waitFor('/stuck-cb', 2, 20_000);
    const cancelled = await pulse.call('DELETE', `/tasks/${taskId}`);
    expect(cancelled).toMatchObject({ status: 200, body: { status: 'cancelled' } });
    await sleep(500);
    const attemptsAtCancel = receiver.at('/stuck-cb').length;
    // Backoff is 1 s, 2 s, 4 s …: eight seconds would show at least one more attempt if retries went on.
    await sleep(8000);
    expect(receiver.at('/stuck-cb').length).toBe(attemptsAtCancel);
    const running = await env.client.workflow.count(
      `TemporalScheduledById = '${taskId}' AND ExecutionStatus = 'Running'`,
    );
    expect(running.count).toBe(0);
    const again = await pulse.call('DELETE', `/tasks/${taskId}`);
    expect(again).toMatchObject({ status: 200, body: { status: 'cancelled' } });
  });

  it('a task cancelled while its run executes says so in /result and in its runs', async () => {
    receiver.respond('/slow-target', 200, { ok: true }, 8000);
    const taskId = await schedule({
      schedule_type: 'http_request',
      when: 'now',
      payload: { url: `${receiver.url}/slow-target`, method: 'POST' },
    });
    await receiver.waitFor('/slow-target', 1, 15_000);
    const cancelled = await pulse.call('DELETE', `/tasks/${taskId}`);
    expect(cancelled.status).toBe(200);
    const result = await pulse.call('GET', `/tasks/${taskId}/result`);
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ status: 'cancelled', result: null });
    expect(result.body.execution_id).toMatch(new RegExp(`^${taskId}:`));
    expect(result.body.error).toMatch(/cancelled while this run was in progress/);
    expect(result.body.error).not.toMatch(/never ran/);
    const task = await pulse.call('GET', `/tasks/${taskId}`);
    expect(task.body.status).toBe('cancelled');
    expect(task.body.runs).toHaveLength(1);
    expect(task.body.runs[0]).toMatchObject({ status: 'cancelled', execution_id: result.body.execution_id });
  });
});

describe.concurrent('PATCH keeps the search attributes true', () => {
  const agentAt = (agentId: string, extra: Record<string, unknown> = {}) => ({
    agent_id: agentId,
    entrypoint_tag: 'main',
    agent_host: '127.0.0.1',
    agent_port: 9,
    ...extra,
  });
  const listedUnder = async (agentId: string) =>
    (await pulse.call('GET', `/tasks?agent_id=${agentId}&limit=100`)).body.tasks.map(
      (t: { id: string }) => t.id,
    );

  it('one-time task: a new agent_id and executor are what the list filter and the workflow attributes say', async ({
    expect,
  }) => {
    const taskId = await schedule({
      schedule_type: 'run_agent',
      when: 'in 1 hour',
      payload: agentAt('agent-before'),
    });
    const before = (await pulse.call('GET', `/tasks/${taskId}`)).body;
    await sleep(5);
    const patched = await pulse.call('PATCH', `/tasks/${taskId}`, {
      payload: { agent_id: 'agent-after', entrypoint_tag: 'main', executor_type: 'serverless' },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    // A change is not a new task: when it was made stays.
    expect(patched.body.schedule_config.created_at).toBe(before.schedule_config.created_at);
    expect(patched.body.created_at).toBe(before.created_at);
    expect(patched.body.executor).toBe('serverless');
    await expect.poll(() => listedUnder('agent-after'), { timeout: 15_000 }).toContain(taskId);
    await expect.poll(() => listedUnder('agent-before'), { timeout: 15_000 }).not.toContain(taskId);
    const attributes = (await env.client.workflow.getHandle(taskId).describe()).typedSearchAttributes;
    expect(attributes.get(PulseAgentId)).toBe('agent-after');
    expect(attributes.get(PulseExecutor)).toBe('serverless');
    await pulse.call('DELETE', `/tasks/${taskId}`);
  });

  it('recurring task: the schedule and the runs it will start carry the new agent_id', async ({ expect }) => {
    const taskId = await schedule({
      schedule_type: 'run_agent',
      when: 'every day at 9am',
      payload: agentAt('daily-before'),
    });
    const before = (await pulse.call('GET', `/tasks/${taskId}`)).body;
    await sleep(1100);
    const patched = await pulse.call('PATCH', `/tasks/${taskId}`, { payload: agentAt('daily-after') });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.schedule_config.created_at).toBe(before.schedule_config.created_at);
    expect(patched.body.created_at).toBe(before.created_at);
    // The list filter reads visibility, which a real cluster writes a moment after the schedule's own update.
    await expect.poll(() => listedUnder('daily-after'), { timeout: 15_000 }).toContain(taskId);
    await expect.poll(() => listedUnder('daily-before'), { timeout: 15_000 }).not.toContain(taskId);
    const described = await env.client.schedule.getHandle(taskId).describe();
    expect(described.typedSearchAttributes?.get(PulseAgentId)).toBe('daily-after');
    const action = described.action as { typedSearchAttributes?: { get(key: unknown): unknown } };
    expect(action.typedSearchAttributes?.get(PulseAgentId)).toBe('daily-after');
    await pulse.call('DELETE', `/tasks/${taskId}`);
  });
});
