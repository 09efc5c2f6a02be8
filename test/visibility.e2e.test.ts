/**
 * What a task writes to visibility, and when, on the dev server. A task of the current input version writes
 * nothing while it runs: its status and run record reach visibility in the workflow task that closes it, which the
 * server folds into the close. The API reads a started run as `processing` from `PulseDueAt` and the workflow's
 * own query. (Older versions replay as recorded: test/replay.test.ts.)
 */
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { PulseCallbackStatus, PulseStatus } from '../src/shared/search-attributes.js';
import type { RunRecord } from '../src/shared/task-types.js';
import { useStack } from './helpers/stack.js';
import { sleep } from './helpers/wait.js';

const { env, pulse, receiver } = useStack();

/** Schedules an http_request task due now whose target answers after `agentDelayMs`. */
async function scheduleNow(name: string, agentDelayMs: number, callback = true): Promise<string> {
  receiver.respond(`/agent-${name}`, 200, { done: name }, agentDelayMs);
  const response = await pulse.call('POST', '/tasks/schedule', {
    schedule_type: 'http_request',
    when: 'now',
    payload: { url: `${receiver.url}/agent-${name}`, method: 'POST' },
    ...(callback ? { callback_url: `${receiver.url}/cb-${name}` } : {}),
  });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.task_id as string;
}

/** The task's visibility record, as `temporal workflow list` and the Web UI see it. */
async function visibility(taskId: string): Promise<WorkflowExecutionInfo | undefined> {
  for await (const info of env.client.workflow.list({ query: `WorkflowId = '${taskId}'` })) return info;
  return undefined;
}

/** Polls visibility until `check` holds; returns the record and when it first held. */
async function visibilityUntil(
  taskId: string,
  check: (info: WorkflowExecutionInfo) => boolean,
  timeoutMs = 15_000,
): Promise<{ info: WorkflowExecutionInfo; at: number }> {
  const deadline = Date.now() + timeoutMs;
  let last: WorkflowExecutionInfo | undefined;
  while (Date.now() < deadline) {
    last = await visibility(taskId);
    if (last && check(last)) return { info: last, at: Date.now() };
    await sleep(100);
  }
  throw new Error(
    `visibility of ${taskId} never matched; last PulseStatus: ${String(last?.typedSearchAttributes.get(PulseStatus))}`,
  );
}

async function listed(status: string): Promise<string[]> {
  const { body } = await pulse.call('GET', `/tasks?status=${status}&limit=100`);
  return (body.tasks as Array<{ id: string }>).map((t) => t.id);
}

describe.concurrent('visibility writes', () => {
  it('a run, callback included, writes its progress only in the workflow task that closes it', async () => {
    const taskId = await scheduleNow('quick', 0);
    await receiver.waitFor(`/cb-quick`, 1, 10_000);
    const handle = env.client.workflow.getHandle(taskId);
    await handle.result();
    const events = (await handle.fetchHistory()).events ?? [];
    const index = (type: string) => events.findIndex((e) => e[type as keyof typeof e] != null);
    const lastIndex = (type: string) => events.findLastIndex((e) => e[type as keyof typeof e] != null);
    const firstUpsert = Math.min(
      ...['upsertWorkflowSearchAttributesEventAttributes', 'workflowPropertiesModifiedEventAttributes']
        .map(index)
        .filter((i) => i >= 0),
    );
    // Every upsert comes after the callback activity completed, and no timer ran: the task was already due.
    const callbackDone = lastIndex('activityTaskCompletedEventAttributes');
    expect(callbackDone).toBeGreaterThan(0);
    expect(firstUpsert).toBeGreaterThan(callbackDone);
    expect(index('timerStartedEventAttributes')).toBe(-1);
    // One activity for the whole run: the run's own activity made the callback's first attempt.
    const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes);
    expect(scheduled.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)).toEqual([
      'runAndDeliver',
    ]);

    const { info } = await visibilityUntil(taskId, (i) => i.status.name === 'COMPLETED');
    expect(info.typedSearchAttributes.get(PulseStatus)).toBe('completed');
    expect(info.typedSearchAttributes.get(PulseCallbackStatus)).toBe('delivered');
    const run = (info.memo?.run ?? {}) as RunRecord;
    expect(run).toMatchObject({
      status: 'success',
      result: { status_code: 200, body: { done: 'quick' } },
      callback: { status: 'delivered' },
    });
  });

  it('a run without a callback also writes its record when it closes', async () => {
    const taskId = await scheduleNow('bare', 0, false);
    await env.client.workflow.getHandle(taskId).result();
    const { info } = await visibilityUntil(taskId, (i) => i.status.name === 'COMPLETED');
    expect(info.typedSearchAttributes.get(PulseStatus)).toBe('completed');
    expect((info.memo?.run ?? {}) as RunRecord).toMatchObject({
      status: 'success',
      result: { status_code: 200, body: { done: 'bare' } },
    });
  });

  it('a slow run is processing in the API at once, while its visibility row is left alone until it closes', async () => {
    // The target holds its answer until the checks below are done, however long they take on a loaded machine.
    const release = receiver.hold('/agent-slow');
    const taskId = await scheduleNow('slow', 0);
    await receiver.waitFor('/agent-slow', 1, 10_000);
    // The row still says active; the API reads the started run as processing, in the list and by id.
    expect(await listed('processing')).toContain(taskId);
    expect(await listed('active')).not.toContain(taskId);
    expect((await pulse.call('GET', `/tasks/${taskId}`)).body.status).toBe('processing');
    await sleep(3000);
    expect((await visibility(taskId))?.typedSearchAttributes.get(PulseStatus)).toBe('active');
    expect(await listed('processing')).toContain(taskId);
    release();

    await receiver.waitFor('/cb-slow', 1, 15_000);
    const { info } = await visibilityUntil(taskId, (i) => i.status.name === 'COMPLETED');
    expect(info.typedSearchAttributes.get(PulseStatus)).toBe('completed');
    expect(info.typedSearchAttributes.get(PulseCallbackStatus)).toBe('delivered');
    expect(await listed('completed')).toContain(taskId);
  });

  it('while a callback is retried the task reads completed by id and in the list, the run says retrying; it closes delivered', async ({
    expect,
  }) => {
    // The receiver is down for four attempts: the delivery retried after the run is recorded backs off 1, 2 and 4 s,
    // so the task stays in its retrying state for about 7 s after the second attempt, time to read it even on a
    // loaded cluster.
    receiver.script('/cb-retry', (n) => (n <= 4 ? { status: 503, body: { down: true } } : { status: 200 }));
    const taskId = await scheduleNow('retry', 0);
    // The first attempt is made by the run's own activity, before the workflow has recorded the run; the second
    // comes from the retried delivery, after it.
    await receiver.waitFor('/cb-retry', 2, 10_000);
    const byId = (await pulse.call('GET', `/tasks/${taskId}`)).body;
    expect(byId.status).toBe('completed');
    expect(byId.runs[0]).toMatchObject({
      status: 'success',
      result: { body: { done: 'retry' } },
      callback: { status: 'retrying', attempts: 1 },
    });
    // A failed first attempt is the one moment a run writes before it closes: the list agrees with the task (once
    // visibility has the write, a moment later on a cluster).
    await expect
      .poll(async () => (await visibility(taskId))?.typedSearchAttributes.get(PulseStatus), {
        timeout: 10_000,
      })
      .toBe('completed');
    await expect.poll(() => listed('completed'), { timeout: 10_000 }).toContain(taskId);
    expect(await listed('processing')).not.toContain(taskId);

    await receiver.waitFor('/cb-retry', 5, 30_000);
    const closed = await visibilityUntil(taskId, (i) => i.status.name === 'COMPLETED');
    expect(closed.info.typedSearchAttributes.get(PulseCallbackStatus)).toBe('delivered');
    expect((closed.info.memo?.run ?? {}) as RunRecord).toMatchObject({
      callback: { status: 'delivered', attempts: 5 },
    });
  }, 45_000);

  it('a due task left to external workers stays active until a worker claims it', async () => {
    const response = await pulse.call('POST', '/tasks/schedule', {
      schedule_type: 'crawl',
      when: 'now',
      payload: { pages: ['a'] },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const taskId = response.body.task_id as string;
    await sleep(500);
    expect((await pulse.call('GET', `/tasks/${taskId}`)).body.status).toBe('active');
    expect(await listed('active')).toContain(taskId);
    expect(await listed('processing')).not.toContain(taskId);
    await pulse.call('DELETE', `/tasks/${taskId}`);
  });
});
