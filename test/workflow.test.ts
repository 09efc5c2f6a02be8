/**
 * The `scheduledTask` workflow on Temporal's time-skipping test server: days of sleep pass in milliseconds, while
 * the worker, its activities and the HTTP receivers on 127.0.0.1 are all real.
 */
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecutorFactory } from '../src/executors/executor-factory.js';
import { FailureType } from '../src/shared/failure-types.js';
import { SCHEDULED_TASK_WORKFLOW } from '../src/shared/search-attributes.js';
import { rescheduleUpdate, setPausedUpdate, taskStateQuery } from '../src/shared/task-messages.js';
import {
  TASK_INPUT_VERSION,
  type CallbackBody,
  type RunRecord,
  type ScheduledTaskInput,
} from '../src/shared/task-types.js';
import { createInProcessWorker } from './helpers/pulse.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createTimeSkippingEnv } from './helpers/temporal.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let receiver: Receiver;
const taskQueue = 'workflow-tests';

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  receiver = await startReceiver();
  worker = await createInProcessWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    executors: createExecutorFactory(),
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await receiver?.close();
  await env?.teardown();
});

/** Starts an http_request task hitting `/target-<id>` with its callback at `/cb-<id>`, due `inMs` from now. */
async function startTask(inMs: number, overrides: Partial<ScheduledTaskInput> = {}) {
  const taskId = `task_${randomUUID().replace(/-/g, '')}`;
  const now = await env.currentTimeMs();
  const input: ScheduledTaskInput = {
    version: TASK_INPUT_VERSION,
    taskId,
    scheduleType: 'http_request',
    executor: 'http',
    payload: { url: `${receiver.url}/target-${taskId}`, method: 'POST', body: { task: taskId } },
    metadata: { owner: 'workflow-test' },
    dueAtMs: now + inMs,
    callbackUrl: `${receiver.url}/cb-${taskId}`,
    ...overrides,
  };
  const handle: WorkflowHandle = await env.client.workflow.start(SCHEDULED_TASK_WORKFLOW, {
    taskQueue,
    workflowId: taskId,
    args: [input],
  });
  return { taskId, handle, input, target: `/target-${taskId}`, callback: `/cb-${taskId}` };
}

describe('scheduledTask on the time-skipping server', () => {
  it('sleeps three days, then runs once and delivers the callback', async () => {
    const { handle, input, target, callback, taskId } = await startTask(3 * DAY);

    await env.sleep(2 * DAY);
    const waiting = await handle.query(taskStateQuery);
    expect(waiting.status).toBe('active');
    expect(waiting.dueAtMs).toBe(input.dueAtMs);
    expect(waiting.runs).toHaveLength(0);
    expect(receiver.at(target)).toHaveLength(0);

    const run = (await handle.result()) as RunRecord;
    expect(run.status).toBe('success');
    expect(run.scheduledFor).toBe(new Date(input.dueAtMs!).toISOString());
    expect(run.startedAtMs).toBeGreaterThanOrEqual(input.dueAtMs!);
    expect(receiver.at(target)).toHaveLength(1);
    expect(receiver.at(target)[0]!.json).toEqual({ task: taskId });

    const [delivered] = receiver.at(callback);
    const body = delivered!.json as CallbackBody;
    expect(body).toMatchObject({ task_id: taskId, execution_id: run.executionId, status: 'success' });
    expect(body.result).toMatchObject({ status_code: 200, body: { ok: true } });
    expect(Object.keys(body).sort()).toEqual(
      ['execution_id', 'execution_time_ms', 'result', 'status', 'task_id', 'timestamp'].sort(),
    );
    expect(run.callback).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('cancelled while sleeping: no run and no callback, ever', async () => {
    const { handle, target, callback } = await startTask(DAY);
    await env.sleep(HOUR);
    await handle.cancel();
    const error = await handle.result().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    await env.sleep(2 * DAY);
    expect(receiver.at(target)).toHaveLength(0);
    expect(receiver.at(callback)).toHaveLength(0);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
  });

  it('a reschedule moves the run later, and earlier', async () => {
    const later = await startTask(DAY);
    const movedTo = (await env.currentTimeMs()) + 3 * DAY;
    const state = await later.handle.executeUpdate(rescheduleUpdate, { args: [{ dueAtMs: movedTo }] });
    expect(state.dueAtMs).toBe(movedTo);
    await env.sleep(2 * DAY);
    expect(receiver.at(later.target)).toHaveLength(0);
    const laterRun = (await later.handle.result()) as RunRecord;
    expect(laterRun.scheduledFor).toBe(new Date(movedTo).toISOString());
    expect(laterRun.startedAtMs).toBeGreaterThanOrEqual(movedTo);

    const earlier = await startTask(5 * DAY);
    const startedAt = await env.currentTimeMs();
    await earlier.handle.executeUpdate(rescheduleUpdate, { args: [{ dueAtMs: startedAt + HOUR }] });
    const earlierRun = (await earlier.handle.result()) as RunRecord;
    expect(earlierRun.startedAtMs).toBeGreaterThanOrEqual(startedAt + HOUR);
    expect(earlierRun.startedAtMs).toBeLessThan(startedAt + DAY);
    expect(receiver.at(earlier.target)).toHaveLength(1);
  });

  it('a task whose due time has passed runs at once, without starting a timer', async () => {
    const { handle, target } = await startTask(-HOUR);
    const run = (await handle.result()) as RunRecord;
    expect(run.status).toBe('success');
    expect(receiver.at(target)).toHaveLength(1);
    const history = await handle.fetchHistory();
    // No timer at all, and nothing written before the run: its end is written when it closes.
    const events = history.events ?? [];
    expect(events.filter((e) => e.timerStartedEventAttributes)).toHaveLength(0);
    const firstUpsert = events.findIndex((e) => e.upsertWorkflowSearchAttributesEventAttributes);
    expect(firstUpsert).toBeGreaterThan(events.findLastIndex((e) => e.activityTaskCompletedEventAttributes));
  });

  it('paused past its due time it does not run; resumed it runs at once', async () => {
    const { handle, target } = await startTask(HOUR);
    const paused = await handle.executeUpdate(setPausedUpdate, { args: [{ paused: true }] });
    expect(paused.status).toBe('paused');
    await env.sleep(DAY);
    expect(receiver.at(target)).toHaveLength(0);
    const resumedAt = await env.currentTimeMs();
    await handle.executeUpdate(setPausedUpdate, { args: [{ paused: false }] });
    const run = (await handle.result()) as RunRecord;
    expect(run.startedAtMs - resumedAt).toBeLessThan(HOUR);
    expect(receiver.at(target)).toHaveLength(1);
  });

  it('refuses to reschedule a task that already ran', async () => {
    const { handle } = await startTask(0);
    await handle.result();
    await expect(
      handle.executeUpdate(rescheduleUpdate, { args: [{ dueAtMs: Date.now() + DAY }] }),
    ).rejects.toThrow();
  });

  it('a permanent failure is not retried; the workflow fails with the run and the callback says failed', async () => {
    const { handle, target, callback, taskId } = await startTask(HOUR);
    receiver.respond(target, 400, { error: 'bad request from the far side' });
    const error = await handle.result().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe(FailureType.RunFailed);
    const run = cause.details?.[0] as RunRecord;
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/HTTP 400.*bad request from the far side/);
    expect(receiver.at(target)).toHaveLength(1);
    const body = receiver.at(callback)[0]!.json as CallbackBody;
    expect(body).toMatchObject({ task_id: taskId, status: 'failed', execution_id: run.executionId });
    expect(body.error).toMatch(/HTTP 400/);
  });

  it('a transient failure is retried until it succeeds', async () => {
    const { handle, target } = await startTask(HOUR, {
      retry: {
        maximumAttempts: 5,
        initialIntervalMs: 1000,
        backoffCoefficient: 2,
        maximumIntervalMs: 10_000,
      },
    });
    receiver.respond(target, 503, { error: 'try later' });
    await env.sleep(HOUR + 1000);
    await receiver.waitFor(target, 2);
    receiver.respond(target, 200, { ok: 'finally' });
    const run = (await handle.result()) as RunRecord;
    expect(run.status).toBe('success');
    expect(run.result).toMatchObject({ status_code: 200, body: { ok: 'finally' } });
    expect(receiver.at(target).length).toBeGreaterThanOrEqual(3);
  });
});

describe('a budget on the time-skipping server', () => {
  it('holds the run that would exceed the day, runs it when the next day begins, and counts afresh', async () => {
    // Due in an hour (skipped at once), so the target's answer is set before the first run.
    const { handle, target, callback } = await startTask(HOUR, {
      adaptive: { minIntervalMs: 60_000, maxIntervalMs: HOUR, times: 3 },
      budget: { period: 'day', timeZone: 'UTC', tokens: 1000 },
      runContext: {},
    });
    // Every run reports 600 tokens: the second would take the day to 1,200, so it waits for the next day.
    receiver.respond(target, 200, { usage: { prompt_tokens: 450, completion_tokens: 150 }, next_run_in: 60 });
    const last = (await handle.result()) as RunRecord;
    const due = receiver.at(target).map((call) => Date.parse(String(call.headers['x-pulse-scheduled-for'])));
    expect(due).toHaveLength(3);
    const nextMidnight = (ms: number) => {
      const day = new Date(ms);
      return Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() + 1);
    };
    expect(due[1]).toBe(nextMidnight(due[0]!));
    expect(due[2]).toBe(nextMidnight(due[1]!));
    // The last run waited too, and says why; its day's spend starts again from its own usage.
    expect(last.status).toBe('success');
    expect(last.usage).toEqual({ tokens: 600 });
    expect(last.spend).toEqual({
      period: new Date(due[2]!).toISOString().slice(0, 10),
      tokens: 600,
      cost: 0,
    });
    expect(last.heldReason).toMatch(
      /^budget: 600 of 1000 tokens spent and a run uses about 600 in \d{4}-\d\d-\d\d \(UTC\); runs again from \d{4}-\d\d-\d\dT00:00:00\+00:00$/,
    );
    expect(receiver.at(callback)).toHaveLength(3);
  });
});
