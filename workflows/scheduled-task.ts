/**
 * The `scheduledTask` workflow: one task, or one run of a recurring task's Schedule. It sleeps until due
 * (reschedule, pause, amend and cancel act during the sleep), runs the task through its executor, or leaves it to an
 * external worker's claim and ack, then delivers the signed callback. The state and its rules live in
 * `TaskEntity`; this file wires them to Temporal.
 */
import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  isCancellation,
  patched,
  setHandler,
  upsertMemo,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { FailureType } from '../src/shared/failure-types.js';
import {
  PulseAgentId,
  PulseExecutor,
  PulseLeaseExpiresAt,
  PulseScheduleType,
  TemporalScheduledById,
  TemporalScheduledStartTime,
} from '../src/shared/search-attributes.js';
import {
  type AmendRequest,
  ackUpdate,
  amendUpdate,
  claimUpdate,
  rescheduleUpdate,
  setPausedUpdate,
  taskStateQuery,
} from '../src/shared/task-messages.js';
import type { RunRecord, ScheduledTaskInput } from '../src/shared/task-types.js';
import { afterFirstAttempt, sendCallback } from './callback.js';
import { progressOf } from './progress.js';
import { publish, writeAttributes } from './publish.js';
import { runAgent, summarize, type RunOutcome } from './run-agent.js';
import { TaskEntity } from './task-entity.js';

export { QUIET_START_MS } from './legacy/quiet-start.js';

const DEFAULT_CALLBACK_WINDOW_MS = 24 * 3_600_000;

/**
 * One scheduled task: sleeps until due, runs it (or waits for an external worker's ack), delivers the callback,
 * and returns the run, or fails with it when the run failed.
 */
export async function scheduledTask(input: ScheduledTaskInput): Promise<RunRecord> {
  const task = startTask(input);
  wireHandlers(task);
  const progress = progressOf(task);

  let run: RunRecord;
  let firstAttempt: RunOutcome['firstAttempt'];
  try {
    if (task.external) {
      await condition(() => task.reported !== undefined);
      run = task.reported!;
    } else {
      await task.timer.due();
      task.status = 'processing';
      progress.runStarting();
      ({ run, firstAttempt } = await runOnce(task));
    }
  } catch (err) {
    if (isCancellation(err)) {
      if (task.lease && !task.reported)
        recordCancelledRun(task, task.lease.executionId, task.lease.claimedAtMs);
      task.status = 'cancelled';
      publish(task);
    }
    throw err;
  }

  task.finish(run);
  progress.runEnded();
  const callbackUrl = task.input.callbackUrl;
  if (callbackUrl) {
    const callback = await sendCallback(
      task.taskId,
      callbackUrl,
      run,
      task.input.callbackWindowMs ?? DEFAULT_CALLBACK_WINDOW_MS,
      firstAttempt ? afterFirstAttempt(firstAttempt.outcome) : progress.deliver,
      firstAttempt?.body,
    );
    progress.callbackSettled(callback.status);
    task.updateLatest({ ...run, callback });
    upsertMemo({ run: summarize(task.latest!) });
    if (CancellationScope.current().consideredCancelled) {
      task.status = 'cancelled';
      publish(task);
      throw new CancelledFailure('task cancelled during callback delivery');
    }
  } else {
    progress.closingWithoutCallback();
  }
  const finished = task.latest!;
  if (finished.status === 'failed') {
    // Failing the workflow (rather than returning) makes failed runs visible as Failed in the Web UI and lets
    // Temporal Schedules pause on failure; the RunRecord travels as the failure's detail.
    throw ApplicationFailure.create({
      type: FailureType.RunFailed,
      message: finished.error ?? 'run failed',
      nonRetryable: true,
      details: [finished],
    });
  }
  return finished;
}

/**
 * The task this workflow runs. A run started by a Temporal Schedule belongs to the task named by the schedule id,
 * and was due at the schedule's nominal time (not when the worker got to it); hand-made schedules may omit taskId.
 */
function startTask(input: ScheduledTaskInput): TaskEntity {
  const info = workflowInfo();
  const scheduledBy = info.typedSearchAttributes.get(TemporalScheduledById);
  const nominal = info.typedSearchAttributes.get(TemporalScheduledStartTime);
  return new TaskEntity(
    { ...input, taskId: input.taskId ?? scheduledBy ?? info.workflowId },
    input.dueAtMs ?? nominal?.getTime() ?? Date.now(),
  );
}

function wireHandlers(task: TaskEntity): void {
  // Only a task that has not started running can change; a refused update leaves no trace in the history.
  const notStarted = { validator: (..._request: unknown[]) => task.assertNotStarted() };
  setHandler(taskStateQuery, () => task.state());
  setHandler(
    rescheduleUpdate,
    ({ dueAtMs, triggerInput }) => {
      task.reschedule(dueAtMs, triggerInput);
      publish(task);
      return task.state();
    },
    notStarted,
  );
  setHandler(
    setPausedUpdate,
    ({ paused }) => {
      task.setPaused(paused);
      publish(task);
      return task.state();
    },
    notStarted,
  );
  setHandler(
    amendUpdate,
    (request: AmendRequest) => {
      task.amend(request);
      upsertMemo(request.memo);
      // Amends made before requests carried their attributes replay as they ran: without this write.
      const attributes = request.attributes;
      if (attributes) {
        writeAttributes([
          { key: PulseScheduleType, value: attributes.scheduleType },
          { key: PulseExecutor, value: attributes.executor },
          { key: PulseAgentId, value: attributes.agentId },
        ]);
      }
      return task.state();
    },
    notStarted,
  );
  setHandler(claimUpdate, (request) => {
    const outcome = task.claim(request, Date.now(), () => `${task.taskId}:${uuid4()}`);
    if (outcome.claimed) {
      publish(task);
      writeAttributes([{ key: PulseLeaseExpiresAt, value: new Date(outcome.leaseExpiresAtMs) }]);
    }
    return outcome;
  });
  setHandler(ackUpdate, (request) => task.ack(request, Date.now()));
}

/** The run through the task's executor; a cancel while it runs is recorded as the run's outcome. */
async function runOnce(task: TaskEntity): Promise<RunOutcome> {
  const scheduledFor = new Date(task.dueAtMs).toISOString();
  const executionId = `${task.taskId}:${uuid4()}`;
  const startedAtMs = Date.now();
  // From version 3 the run's own activity makes the callback's first attempt (one activity per run, not two).
  const firstAttemptWithRun = (task.input.version ?? 1) >= 3 ? task.input.callbackUrl : undefined;
  const input = task.runInput();
  try {
    const outcome = await runAgent(input, executionId, scheduledFor, firstAttemptWithRun);
    return input.triggerInput
      ? { ...outcome, run: { ...outcome.run, triggerInput: input.triggerInput } }
      : outcome;
  } catch (err) {
    if (isCancellation(err)) recordCancelledRun(task, executionId, startedAtMs);
    throw err;
  }
}

/**
 * Cancelled while a run was under way (an executor's activity, or an external worker's claim): the run is recorded
 * as cancelled, so the task says what happened instead of "never ran".
 */
function recordCancelledRun(task: TaskEntity, executionId: string, startedAtMs: number): void {
  // Histories cancelled mid-run before this record existed replay without it.
  if (!patched('record-cancelled-run')) return;
  const finishedAtMs = Date.now();
  task.runs.push({
    executionId,
    status: 'cancelled',
    scheduledFor: new Date(task.dueAtMs).toISOString(),
    startedAtMs,
    finishedAtMs,
    executionTimeMs: finishedAtMs - startedAtMs,
    result: null,
    error: 'the task was cancelled while this run was in progress; the run was stopped',
  });
  upsertMemo({ run: summarize(task.latest!) });
}
