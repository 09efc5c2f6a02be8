import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { CallbackRetryDetails, DeliverCallbackInput } from '../activities/deliver-callback.js';
import type { createActivities } from '../activities/index.js';
import { EXTERNAL_EXECUTOR } from '../src/shared/executor-names.js';
import { FailureType } from '../src/shared/failure-types.js';
import {
  PulseAgentId,
  PulseCallbackStatus,
  PulseDueAt,
  PulseExecutor,
  PulseLeaseExpiresAt,
  PulseScheduleType,
  PulseStatus,
  TemporalScheduledById,
  TemporalScheduledStartTime,
} from '../src/shared/search-attributes.js';
import {
  type AckOutcome,
  type AckRequest,
  type AmendRequest,
  type ClaimOutcome,
  type ClaimRequest,
  ackUpdate,
  amendUpdate,
  claimUpdate,
  rescheduleUpdate,
  setPausedUpdate,
  taskStateQuery,
} from '../src/shared/task-messages.js';
import type {
  CallbackBody,
  CallbackOutcome,
  ExecutionRequest,
  RunRecord,
  ScheduledTaskInput,
  TaskState,
  TaskStatus,
} from '../src/shared/task-types.js';

type Activities = ReturnType<typeof createActivities>;
type ResolvedInput = ScheduledTaskInput & { readonly taskId: string };

const DEFAULT_RUN_TIMEOUT_MS = 10 * 60_000;
const DEFAULT_HEARTBEAT_TIMEOUT_MS = 10_000;

const DEFAULT_CALLBACK_WINDOW_MS = 24 * 3_600_000;
/** Longer than the callback's own HTTP timeout (30 s), so a slow receiver fails the attempt, not the activity. */
const CALLBACK_ATTEMPT_TIMEOUT = '40s';

/**
 * A run's quiet start: how long it may take before `processing` is written to visibility. Every upsert makes the
 * server rewrite the task's visibility row, which in the embedded server shares one SQLite writer with everything
 * else. So a task of version 2 writes its progress only when there is something to see for a while: `processing`
 * once its run has taken this long (or at once, when the run starts this late), `completed` (callback pending)
 * once the callback's first attempt has failed. A run that ends sooner and delivers at the first attempt writes its
 * row once, when it closes; the server skips the writes of the workflow task that closes a workflow.
 */
export const QUIET_START_MS = 2000;

/**
 * One scheduled task: sleeps until due (reschedule, pause and cancel act during the sleep), runs the task
 * through its executor, delivers the callback, and returns the run, or fails with it when the run failed.
 */
export async function scheduledTask(rawInput: ScheduledTaskInput): Promise<RunRecord> {
  const info = workflowInfo();
  // A run started by a Temporal Schedule belongs to the task named by the schedule id, and was due at the
  // schedule's nominal time (not when the worker got to it). Hand-made schedules may omit taskId altogether.
  const scheduledBy = info.typedSearchAttributes.get(TemporalScheduledById);
  const nominal = info.typedSearchAttributes.get(TemporalScheduledStartTime);
  let input: ResolvedInput = { ...rawInput, taskId: rawInput.taskId ?? scheduledBy ?? info.workflowId };
  let dueAtMs = input.dueAtMs ?? nominal?.getTime() ?? Date.now();
  let status: TaskStatus = 'active';
  let paused = false;
  let changes = 0;
  const runs: RunRecord[] = [];
  /** External-worker tasks: who holds the task, until when, and what they reported. */
  let claim:
    { workerId: string; executionId: string; leaseExpiresAtMs: number; claimedAtMs: number } | undefined;
  let reported: RunRecord | undefined;
  const external = input.executor === EXTERNAL_EXECUTOR;

  const state = (): TaskState => ({
    taskId: input.taskId,
    status,
    dueAtMs: status === 'active' || status === 'paused' ? dueAtMs : null,
    paused,
    runs,
    ...(claim && !reported ? { leaseExpiresAtMs: claim.leaseExpiresAtMs, dueAtMs } : {}),
  });

  const statusAttributes = () => [
    { key: PulseStatus, value: status },
    { key: PulseDueAt, value: status === 'active' || status === 'paused' ? new Date(dueAtMs) : null },
  ];
  const publish = (): void => upsertSearchAttributes(statusAttributes());

  /** Whether this run started quietly (tasks of version 2 and later); fixed when the run starts. */
  let quietStart = false;
  /** Set when the run has ended (`finish`). */
  let runEnded = false;
  /** True during a run's quiet start: its progress is kept for the query and published later, or at its close. */
  let holdProgress = false;
  /** Publishes the run's progress (its status, and the latest run record once there is one) unless held. */
  const publishProgress = (): void => {
    if (holdProgress) return;
    publish();
    const latest = runs[runs.length - 1];
    if (latest) upsertMemo({ run: summarize(latest) });
  };
  /** The quiet start's timer; cancelled when the run ends sooner. */
  const quietTimer = new CancellationScope();
  /** Holds progress back while the run's first `QUIET_START_MS` last, then publishes `processing`. */
  const startQuietly = (): void => {
    holdProgress = true;
    let quietOver = false;
    quietTimer
      .run(() => sleep(QUIET_START_MS))
      .then(
        () => (quietOver = true),
        () => undefined, // the run ended first, or the task was cancelled (which publishes its own status)
      );
    // A condition is checked only once every event of the workflow task has been applied. So when the timer fires
    // in the same workflow task as the run's end (common under load), the run is seen to have ended and nothing
    // is published here: `finish` decides.
    condition(() => quietOver).then(
      () => {
        if (runEnded) return;
        holdProgress = false;
        publishProgress();
      },
      () => undefined,
    );
  };
  /** Publishes what was held back: the callback is being retried, which may take a while. */
  const publishRetrying = (): void => {
    holdProgress = false;
    publishProgress();
  };

  const assertNotStarted = (): void => {
    if (status !== 'active' && status !== 'paused') {
      throw ApplicationFailure.nonRetryable(
        `task ${input.taskId} is ${status}; only a task that has not started running can be changed`,
        FailureType.InvalidStateChange,
      );
    }
  };

  setHandler(taskStateQuery, state);
  setHandler(
    rescheduleUpdate,
    ({ dueAtMs: next }) => {
      dueAtMs = next;
      changes++;
      publish();
      return state();
    },
    { validator: (_request: { dueAtMs: number }) => assertNotStarted() },
  );
  setHandler(
    amendUpdate,
    ({ input: next, memo, attributes }) => {
      input = {
        ...next,
        taskId: input.taskId,
        ...(input.dueAtMs !== undefined ? { dueAtMs: input.dueAtMs } : {}),
      };
      upsertMemo(memo);
      // Amends made before requests carried their attributes replay as they ran: without this write.
      if (attributes) {
        upsertSearchAttributes([
          { key: PulseScheduleType, value: attributes.scheduleType },
          { key: PulseExecutor, value: attributes.executor },
          { key: PulseAgentId, value: attributes.agentId },
        ]);
      }
      return state();
    },
    { validator: (_request: AmendRequest) => assertNotStarted() },
  );
  setHandler(
    setPausedUpdate,
    ({ paused: next }) => {
      paused = next;
      status = next ? 'paused' : 'active';
      changes++;
      publish();
      return state();
    },
    { validator: (_request: { paused: boolean }) => assertNotStarted() },
  );

  setHandler(claimUpdate, ({ workerId, leaseMs }: ClaimRequest): ClaimOutcome => {
    const now = Date.now();
    const refuse = (why: string): ClaimOutcome => ({
      claimed: false,
      reason: `task ${input.taskId} cannot be claimed: ${why}`,
    });
    if (!external) return refuse('it is not handed to external workers');
    if (reported || runs.length > 0) return refuse('it already ran');
    if (status === 'cancelled') return refuse('it is cancelled');
    if (paused) return refuse('it is paused');
    if (now < dueAtMs) return refuse(`it is not due until ${new Date(dueAtMs).toISOString()}`);
    if (claim && claim.workerId !== workerId && claim.leaseExpiresAtMs > now)
      return refuse('another worker holds it');
    // The holder claiming again renews its lease (and keeps its execution id).
    const executionId = claim?.workerId === workerId ? claim.executionId : `${input.taskId}:${uuid4()}`;
    claim = {
      workerId,
      executionId,
      leaseExpiresAtMs: now + leaseMs,
      claimedAtMs: claim?.workerId === workerId ? claim.claimedAtMs : now,
    };
    status = 'processing';
    changes++;
    publish();
    upsertSearchAttributes([{ key: PulseLeaseExpiresAt, value: new Date(claim.leaseExpiresAtMs) }]);
    return { claimed: true, executionId, leaseExpiresAtMs: claim.leaseExpiresAtMs };
  });
  setHandler(ackUpdate, (ack: AckRequest): AckOutcome => {
    const now = Date.now();
    // Fencing: only the current holder, for its own execution, within its lease.
    if (!claim || reported || claim.workerId !== ack.workerId || claim.executionId !== ack.executionId) {
      return {
        accepted: false,
        reason: `task ${input.taskId}: worker '${ack.workerId}' does not hold execution '${ack.executionId}'`,
      };
    }
    if (claim.leaseExpiresAtMs <= now) {
      return {
        accepted: false,
        reason: `task ${input.taskId}: the lease of worker '${ack.workerId}' expired; the task may be claimed by another worker`,
      };
    }
    reported = {
      executionId: ack.executionId,
      status: ack.status,
      scheduledFor: new Date(dueAtMs).toISOString(),
      startedAtMs: claim.claimedAtMs,
      finishedAtMs: now,
      executionTimeMs: ack.executionTimeMs ?? now - claim.claimedAtMs,
      result: ack.result ?? null,
      ...(ack.error !== undefined
        ? { error: ack.error }
        : ack.status === 'failed'
          ? { error: 'the worker reported a failure' }
          : {}),
    };
    changes++;
    return { accepted: true };
  });

  /**
   * Cancelled while a run was under way (an executor's activity, or an external worker's claim): the run is
   * recorded as cancelled, so the task says what happened instead of "never ran".
   */
  const cancelledDuringRun = (executionId: string, startedAtMs: number): void => {
    // Histories cancelled mid-run before this record existed replay without it.
    if (!patched('record-cancelled-run')) return;
    const finishedAtMs = Date.now();
    const run: RunRecord = {
      executionId,
      status: 'cancelled',
      scheduledFor: new Date(dueAtMs).toISOString(),
      startedAtMs,
      finishedAtMs,
      executionTimeMs: finishedAtMs - startedAtMs,
      result: null,
      error: 'the task was cancelled while this run was in progress; the run was stopped',
    };
    runs.push(run);
    upsertMemo({ run: summarize(run) });
  };

  try {
    if (external) {
      const run = await awaitExternalWorker();
      return await finish(run);
    }
    await waitUntilDue();
  } catch (err) {
    if (isCancellation(err)) {
      if (claim && !reported) cancelledDuringRun(claim.executionId, claim.claimedAtMs);
      status = 'cancelled';
      publish();
    }
    throw err;
  }

  status = 'processing';
  // Tasks of version 1 (made before the quiet start, or by hand) keep publishing at once, as their histories do.
  if ((input.version ?? 1) >= 2) {
    quietStart = true;
    // A run that starts this late (a backlog of due tasks, or a task resumed after its due time) would outlast
    // its quiet start anyway: publishing now costs one write, where the timer would fire mid-run and cost a
    // workflow task as well.
    if (Date.now() - dueAtMs < QUIET_START_MS) startQuietly();
  }
  publishProgress();
  const scheduledFor = new Date(dueAtMs).toISOString();
  const executionId = `${input.taskId}:${uuid4()}`;
  const runStartedAtMs = Date.now();
  const run = await runOnce(input, executionId, scheduledFor).catch((err: unknown) => {
    if (isCancellation(err)) {
      cancelledDuringRun(executionId, runStartedAtMs);
      status = 'cancelled';
      publish();
    }
    throw err;
  });
  return finish(run);

  /**
   * Waits for an external worker to claim the task once due and ack it within its lease; a lease that runs out
   * makes the task claimable again.
   */
  async function awaitExternalWorker(): Promise<RunRecord> {
    // No timer: a lease runs out by itself (claim and ack compare it with the clock), which keeps the many
    // concurrent claim updates free of interleaved timer commands.
    await condition(() => reported !== undefined);
    return reported!;
  }

  /** Records the run, delivers its callback, and ends the workflow with the run's outcome. */
  async function finish(run: RunRecord): Promise<RunRecord> {
    runEnded = true;
    runs.push(run);
    status = run.status === 'success' ? 'completed' : 'failed';
    if (quietStart) {
      // From here the callback's own attempts decide what is published, not a clock: a timer running through
      // delivery fired for most runs under load, and cost each a workflow task of its own. Until the first
      // attempt fails, or the run closes, nothing is written.
      if (holdProgress) quietTimer.cancel();
      holdProgress = true;
    }
    publishProgress();

    if (input.callbackUrl) {
      const callback = await sendCallback(
        input.taskId,
        input.callbackUrl,
        run,
        input.callbackWindowMs ?? DEFAULT_CALLBACK_WINDOW_MS,
        quietStart ? publishRetrying : undefined,
        (delivery) => {
          const outcome = { key: PulseCallbackStatus, value: delivery };
          // Started quietly: status and outcome go in one upsert, in the workflow task that closes the run (the
          // status may never have been published). Before: the outcome alone, as those histories recorded it.
          holdProgress = false;
          upsertSearchAttributes(quietStart ? [...statusAttributes(), outcome] : [outcome]);
        },
      );
      runs[runs.length - 1] = { ...run, callback };
      upsertMemo({ run: summarize(runs[runs.length - 1]!) });
      if (CancellationScope.current().consideredCancelled) {
        status = 'cancelled';
        publish();
        throw new CancelledFailure('task cancelled during callback delivery');
      }
    } else if (holdProgress) {
      holdProgress = false;
      publishProgress();
    }
    const finished = runs[runs.length - 1]!;
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

  async function waitUntilDue(): Promise<void> {
    for (;;) {
      if (paused) {
        await condition(() => !paused);
        continue;
      }
      const remainingMs = dueAtMs - Date.now();
      // A task already due runs at once: no timer, so no timer-granularity penalty on the server.
      if (remainingMs <= 0) return;
      const seen = changes;
      const changed = await condition(() => changes !== seen, remainingMs);
      // The timer fired: due now. Not re-checking the clock avoids a second sub-millisecond timer that the
      // server would fire up to a second late.
      if (!changed) return;
    }
  }
}

/** Largest result kept in the memo; the full result stays in the workflow's result. */
const MEMO_RESULT_LIMIT = 16 * 1024;

/**
 * The run as kept in the memo, so listing a task's runs is one visibility query instead of one call per run.
 * Large results are left out of the memo (flagged), and read from the workflow result when asked for.
 */
function summarize(run: RunRecord): RunRecord & { resultOmitted?: boolean } {
  const size = JSON.stringify(run.result ?? null).length;
  return size > MEMO_RESULT_LIMIT ? { ...run, result: null, resultOmitted: true } : run;
}

async function runOnce(
  input: ResolvedInput,
  executionId: string,
  scheduledFor: string,
): Promise<RunRecord> {
  const timeoutMs = input.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
  const retry = input.retry;
  const { executeAgent } = proxyActivities<Activities>({
    startToCloseTimeout: timeoutMs,
    // The activity heartbeats every second: a dead worker is noticed after this long, not after the run timeout,
    // and the attempt is retried on another worker.
    heartbeatTimeout: input.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
    // A cancelled task is reported cancelled only once its executor has actually stopped.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      maximumAttempts: retry?.maximumAttempts ?? 3,
      initialInterval: retry?.initialIntervalMs ?? 1000,
      backoffCoefficient: retry?.backoffCoefficient ?? 2,
      maximumInterval: retry?.maximumIntervalMs ?? 60_000,
    },
  });
  const request: ExecutionRequest = {
    taskId: input.taskId,
    executionId,
    scheduleType: input.scheduleType,
    executor: input.executor,
    payload: input.payload,
    metadata: input.metadata ?? {},
    scheduledFor,
    timeoutMs,
    ...(input.webhook ? { webhook: input.webhook } : {}),
  };
  const startedAtMs = Date.now();
  try {
    const output = await executeAgent(request);
    const finishedAtMs = Date.now();
    return {
      executionId: request.executionId,
      status: 'success',
      scheduledFor,
      startedAtMs,
      finishedAtMs,
      executionTimeMs: output.executionTimeMs,
      result: output.result,
    };
  } catch (err) {
    if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
    const finishedAtMs = Date.now();
    return {
      executionId: request.executionId,
      status: 'failed',
      scheduledFor,
      startedAtMs,
      finishedAtMs,
      executionTimeMs: finishedAtMs - startedAtMs,
      result: null,
      error: err.cause?.message ?? err.message,
    };
  }
}

/**
 * Delivers a run's callback; `record` writes the outcome to the run's search attributes. With `onRetrying`, the
 * first attempt is an activity of its own, so the workflow learns that delivery is being retried (and calls
 * `onRetrying`) only when the first attempt failed; one activity otherwise, retried by Temporal.
 */
async function sendCallback(
  taskId: string,
  url: string,
  run: RunRecord,
  windowMs: number,
  onRetrying: (() => void) | undefined,
  record: (delivery: 'delivered' | 'failed') => void,
): Promise<CallbackOutcome> {
  const body: CallbackBody = {
    task_id: taskId,
    execution_id: run.executionId,
    status: run.status === 'success' ? 'success' : 'failed',
    result: run.result,
    execution_time_ms: run.executionTimeMs,
    timestamp: Math.floor(run.finishedAtMs / 1000),
    ...(run.error !== undefined ? { error: run.error } : {}),
  };
  // Retried until a 2xx, for at most the delivery window; the activity picks each delay (Retry-After, or
  // jittered backoff). A receiver that stays down is recorded as a failed delivery in the run record (and the
  // PulseCallbackStatus search attribute) instead of failing the task, because the run itself did happen.
  const request: DeliverCallbackInput = { url, body, webhookId: run.executionId };
  try {
    const attempts = onRetrying
      ? await deliverFirstAttemptAlone(request, windowMs, onRetrying)
      : (await retriedDelivery(windowMs).deliverCallback(request)).attempts;
    record('delivered');
    return { url, status: 'delivered', attempts };
  } catch (err) {
    record('failed');
    // A DELETE while the receiver is still being retried stops the retries: the user asked for nothing more.
    if (isCancellation(err))
      return { url, status: 'failed', error: 'delivery stopped: the task was cancelled' };
    return {
      url,
      status: 'failed',
      error: `delivery failed for ${Math.round(windowMs / 1000)} s: ${describeFailure(err)}`,
    };
  }
}

/** The callback activity, retried by Temporal until a 2xx or until `windowMs` has passed. */
function retriedDelivery(windowMs: number) {
  return proxyActivities<Activities>({
    startToCloseTimeout: CALLBACK_ATTEMPT_TIMEOUT,
    scheduleToCloseTimeout: windowMs,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10m' },
  });
}

/**
 * One attempt; if it fails and may be retried, `onRetrying`, then the activity's own delay (`Retry-After` or
 * backoff), then the rest of the attempts as one retried activity for what is left of the window. Returns the
 * number of attempts; throws what the last attempt threw.
 */
async function deliverFirstAttemptAlone(
  request: DeliverCallbackInput,
  windowMs: number,
  onRetrying: () => void,
): Promise<number> {
  const startedAtMs = Date.now();
  const { deliverCallback } = proxyActivities<Activities>({
    startToCloseTimeout: CALLBACK_ATTEMPT_TIMEOUT,
    scheduleToCloseTimeout: windowMs,
    retry: { maximumAttempts: 1 },
  });
  try {
    return (await deliverCallback(request)).attempts;
  } catch (err) {
    if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
    const cause = err.cause;
    if (cause instanceof ApplicationFailure && cause.nonRetryable) throw err;
    onRetrying();
    const details = cause instanceof ApplicationFailure ? cause.details?.[0] : undefined;
    const delayMs = (details as Partial<CallbackRetryDetails> | undefined)?.retryDelayMs ?? 1000;
    const leftMs = windowMs - (Date.now() - startedAtMs) - delayMs;
    if (leftMs <= 0) throw err;
    await sleep(delayMs);
    return (await retriedDelivery(leftMs).deliverCallback({ ...request, attemptsBefore: 1 })).attempts;
  }
}

/** The innermost message of an activity failure (a timeout's cause is the last attempt's error). */
function describeFailure(err: unknown): string {
  let current: unknown = err;
  let message = err instanceof Error ? err.message : String(err);
  while (current instanceof Error) {
    if (current.message) message = current.message;
    current = (current as { cause?: unknown }).cause;
  }
  return message;
}
