/**
 * A task that goes to sleep for 30 s or more is released from its worker's sticky queue (`src/temporal/
 * sticky-release.ts`): when it falls due, the server schedules its next workflow task on the shared task queue, where
 * any worker takes it, instead of on the queue of the one worker that cached it (which, in a herd, times those tasks
 * out after 10 s and schedules them again: BENCHMARKS.md, session 21). A shorter sleep stays sticky. Dev server, the
 * worker as `createPulseWorker` makes it, a real receiver.
 */
import proto from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STICKY_RELEASE_MIN_SLEEP_MS } from '../src/shared/sticky-release.js';
import { startPulse, type PulseUnderTest } from './helpers/pulse.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createDevServerEnv } from './helpers/temporal.js';

const { TaskQueueKind } = proto.temporal.api.enums.v1;

let env: TestWorkflowEnvironment;
let receiver: Receiver;
let pulse: PulseUnderTest;

beforeAll(async () => {
  [env, receiver] = await Promise.all([createDevServerEnv(), startReceiver()]);
  pulse = await startPulse(env);
});

afterAll(async () => {
  await pulse?.stop();
  await receiver?.close();
  await env?.teardown();
});

/** A one-time task due `inMs` from now, calling the receiver at `/<name>`, its callback at `/<name>-cb`. */
async function scheduleIn(name: string, inMs: number): Promise<string> {
  const response = await pulse.call('POST', '/tasks/schedule', {
    schedule_type: 'http_request',
    when: new Date(Date.now() + inMs).toISOString(),
    payload: { url: `${receiver.url}/${name}`, method: 'POST' },
    callback_url: `${receiver.url}/${name}-cb`,
  });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.task_id as string;
}

/** The queue kind of the workflow task the server scheduled when the task's due timer fired, and any timed out. */
async function afterTheTimer(id: string) {
  const events = (await env.client.workflow.getHandle(id).fetchHistory()).events ?? [];
  const fired = events.findIndex((event) => event.timerFiredEventAttributes);
  expect(fired, 'the task slept on a timer').toBeGreaterThan(0);
  const scheduled = events.slice(fired).find((event) => event.workflowTaskScheduledEventAttributes);
  return {
    kind: scheduled?.workflowTaskScheduledEventAttributes?.taskQueue?.kind,
    timedOut: events.filter((event) => event.workflowTaskTimedOutEventAttributes).length,
  };
}

describe.concurrent('sticky release', () => {
  it('a task asleep for 30 s or more wakes on the shared task queue, and runs once', async () => {
    const id = await scheduleIn('long', STICKY_RELEASE_MIN_SLEEP_MS + 2000);
    await receiver.waitFor('/long-cb', 1, 60_000);
    expect(await afterTheTimer(id)).toEqual({ kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL, timedOut: 0 });
    expect(receiver.at('/long')).toHaveLength(1);
    expect(receiver.at('/long-cb')).toHaveLength(1);
  });

  it('a task asleep for less stays on its worker (a short sleep wakes on a warm cache)', async () => {
    const id = await scheduleIn('short', 4000);
    await receiver.waitFor('/short-cb', 1, 30_000);
    expect(await afterTheTimer(id)).toEqual({ kind: TaskQueueKind.TASK_QUEUE_KIND_STICKY, timedOut: 0 });
    expect(receiver.at('/short')).toHaveLength(1);
  });
});
