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
  makeContinueAsNewFunc,
  patched,
  proxyActivities,
  setHandler,
  upsertMemo,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { FailureType } from '../src/shared/failure-types.js';
import {
  PulseAgentId,
  PulseCallbackStatus,
  PulseChangedAt,
  PulseDueAt,
  PulseExecutor,
  PulseLeaseExpiresAt,
  PulseStatus,
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
import type {
  BudgetCheck,
  NoticeBody,
  NoticeOutcome,
  RunContext,
  RunRecord,
  ScheduledTaskInput,
} from '../src/shared/task-types.js';
import type { createActivities } from '../activities/index.js';
import { carryOver, decideNextRun, resultSummary } from './adaptive.js';
import { estimateUsage, lastSpend, spendAfter } from './budget.js';
import { afterFirstAttempt, retriedDelivery, sendCallback } from './callback.js';
import {
  HISTORY_LIMIT,
  decideDelivery,
  needsHistory,
  type DeliveryDecision,
  type RunHistory,
} from './delivery-policy.js';
import { progressOf } from './progress.js';
import { publish, publishRun, writeAttributes } from './publish.js';
import { handsOutAhead, runAhead, runLeadOf, type AheadRun } from './run-ahead.js';
import { runAgent, summarize, type RunOutcome } from './run-agent.js';
import { TaskEntity } from './task-entity.js';

export { QUIET_START_MS } from './legacy/quiet-start.js';

type Activities = ReturnType<typeof createActivities>;

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
  let history: RunHistory | undefined;
  try {
    if (task.external) {
      await condition(() => task.reported !== undefined);
      run = task.reported!;
      if (needsHistory(task.input)) history = await historyOf(task);
    } else {
      const leadMs = runLeadOf(task.input);
      for (;;) {
        await task.timer.due(leadMs);
        history = needsHistory(task.input) ? await historyOf(task) : undefined;
        if (handsOutAhead(task, leadMs)) {
          const outcome = await runAhead(task, (ahead) => runOnce(task, history, ahead));
          // Withdrawn by a change: wait again, for what is now true.
          if (!outcome) continue;
          ({ run, firstAttempt } = outcome);
          break;
        }
        let budget: BudgetCheck | undefined;
        if (task.input.budget) {
          ({ budget, history } = await waitForBudget(task, history!));
          if (budget.held) return holdOccurrence(task, budget.held);
        }
        task.status = 'processing';
        progress.runStarting();
        ({ run, firstAttempt } = await runOnce(task, history));
        if (budget) {
          run = {
            ...run,
            spend: spendAfter(budget, run.usage),
            ...(task.heldReason ? { heldReason: task.heldReason } : {}),
          };
        }
        break;
      }
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

  const adaptive = task.input.adaptive;
  if (adaptive) {
    // The agent's result sets the next run (within the task's bounds); recorded on this run.
    const number = (task.input.earlier?.count ?? 0) + task.runs.length + 1;
    run = { ...run, nextRun: decideNextRun(run, adaptive, number, Date.now()) };
  }
  task.finish(run);
  progress.runEnded();
  const decision = decideDelivery(run, task.input, history);
  if (decision.url) {
    const first = firstAttempt?.outcome;
    if (first && !first.delivered && !first.final && patched('callback-retrying-shown')) {
      // The run is over and its callback will be retried, for up to the delivery window: say so where every reader
      // looks (listings, the ledger, the Web UI), not only to a query. A failure path: a run whose first attempt
      // reaches its receiver still makes no write before it closes.
      task.updateLatest({
        ...run,
        callback: { url: decision.url, status: 'retrying', attempts: 1, error: first.error },
      });
      publishRun(task);
    }
    const callback = await sendCallback(
      task.taskId,
      decision.url,
      run,
      task.input.callbackWindowMs ?? DEFAULT_CALLBACK_WINDOW_MS,
      firstAttempt ? afterFirstAttempt(firstAttempt.outcome) : progress.deliver,
      firstAttempt?.body,
      task.input.tenant,
    );
    progress.callbackSettled(callback.status);
    task.updateLatest({ ...run, callback });
    upsertMemo({ run: summarize(task.latest!) });
    if (CancellationScope.current().consideredCancelled) {
      task.status = 'cancelled';
      publish(task);
      throw new CancelledFailure('task cancelled during callback delivery');
    }
  } else if (decision.skipped) {
    // Not sent, and said so on the run: a non-delivery is never silent.
    task.updateLatest({ ...run, callback: { ...decision.skipped, status: 'skipped' } });
    progress.callbackSettled('skipped');
    upsertMemo({ run: summarize(task.latest!) });
  } else {
    progress.closingWithoutCallback();
  }
  if (decision.notice) {
    const notice = await sendNotice(task, decision.notice);
    task.updateLatest({ ...task.latest!, notice });
    upsertMemo({ run: summarize(task.latest!) });
  }
  const finished = task.latest!;
  if (finished.nextRun?.at) await continueWithNextRun(task, Date.parse(finished.nextRun.at));
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
 * An adaptive task's next run: this execution closes (its record stays in visibility as one of the task's runs)
 * and the task continues as a new execution of the same workflow id, due at `dueAtMs`, carrying its earlier runs.
 */
async function continueWithNextRun(task: TaskEntity, dueAtMs: number): Promise<never> {
  const { triggerInput: _trigger, ...input } = task.input;
  const { run: _run, ...memo } = workflowInfo().memo ?? {};
  return makeContinueAsNewFunc<typeof scheduledTask>({
    memo,
    typedSearchAttributes: workflowInfo().typedSearchAttributes.updateCopy([
      { key: PulseStatus, value: 'active' },
      { key: PulseDueAt, value: new Date(dueAtMs) },
      { key: PulseCallbackStatus, value: null },
      { key: PulseChangedAt, value: new Date() },
    ]),
  })({ ...input, dueAtMs, earlier: carryOver(task.runs, task.input.earlier) });
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

/**
 * The run through the task's executor, now or (`ahead`) handed out ahead of its due time; a cancel while it runs is
 * recorded as the run's outcome.
 */
async function runOnce(
  task: TaskEntity,
  history: RunHistory | undefined,
  ahead?: AheadRun,
): Promise<RunOutcome> {
  const scheduledFor = new Date(task.dueAtMs).toISOString();
  const executionId = `${task.taskId}:${uuid4()}`;
  const startedAtMs = Math.max(Date.now(), ahead?.notBeforeMs ?? 0);
  const input = task.runInput();
  // From version 3 the run's own activity makes the callback's first attempt (one activity per run, not two),
  // unless a delivery policy must first see the run's outcome.
  const firstAttemptWithRun =
    (task.input.version ?? 1) >= 3 && !task.input.delivery ? task.input.callbackUrl : undefined;
  try {
    const context = input.runContext && history ? runContext(task, executionId, history) : undefined;
    const outcome = await runAgent(
      input,
      executionId,
      scheduledFor,
      firstAttemptWithRun,
      context,
      ahead?.notBeforeMs,
    );
    const run = input.triggerInput ? { ...outcome.run, triggerInput: input.triggerInput } : outcome.run;
    return { ...outcome, run };
  } catch (err) {
    // A withdrawn run never started: there is no run to record.
    if (isCancellation(err) && !ahead?.withdrawn) recordCancelledRun(task, executionId, startedAtMs);
    throw err;
  }
}

/**
 * The budget check before a run. A task that owns its time (one-time and adaptive) waits for the next period when
 * the budget is spent, and is checked again then; a run of a schedule is answered at once (held or not).
 */
async function waitForBudget(
  task: TaskEntity,
  history: RunHistory,
): Promise<{ budget: BudgetCheck; history: RunHistory }> {
  const activities = proxyActivities<Activities>({
    summary: 'budget check',
    startToCloseTimeout: '30s',
    retry: { maximumAttempts: 5 },
  });
  const check = (earlier: RunHistory) =>
    activities.checkBudget({
      budget: task.input.budget!,
      nowMs: Date.now(),
      ...(lastSpend(earlier.previous) ? { last: lastSpend(earlier.previous)! } : {}),
      estimate: estimateUsage(earlier.previous),
    });
  let budget = await check(history);
  while (budget.held && workflowInfo().workflowId === task.taskId) {
    task.heldReason = budget.held;
    task.reschedule(budget.periodEndMs);
    publish(task);
    await task.timer.due();
    history = await historyOf(task);
    budget = await check(history);
  }
  return { budget, history };
}

/** A run of a schedule whose budget is spent: not run, and recorded as held, with the reason. */
function holdOccurrence(task: TaskEntity, reason: string): RunRecord {
  const nowMs = Date.now();
  const held: RunRecord = {
    executionId: `${task.taskId}:${uuid4()}`,
    status: 'held',
    scheduledFor: new Date(task.dueAtMs).toISOString(),
    startedAtMs: nowMs,
    finishedAtMs: nowMs,
    executionTimeMs: 0,
    result: null,
    heldReason: reason,
  };
  task.runs.push(held);
  task.status = 'completed';
  publishRun(task);
  return held;
}

/**
 * The task's earlier runs: a one-time task knows its own; a run of a recurring task reads its siblings from
 * visibility (`readRunHistory`).
 */
async function historyOf(task: TaskEntity): Promise<RunHistory> {
  const info = workflowInfo();
  if (info.workflowId === task.taskId) {
    // A one-time task knows its own runs; an adaptive one also those it carried over from earlier executions.
    const earlier = task.input.earlier;
    return {
      number: (earlier?.count ?? 0) + task.runs.length + 1,
      previous: [...[...task.runs].reverse(), ...(earlier?.runs ?? [])],
      nextRunAtMs: null,
    };
  }
  return proxyActivities<Activities>({
    summary: `earlier runs of ${task.taskId}`,
    startToCloseTimeout: '30s',
    retry: { maximumAttempts: 5 },
  }).readRunHistory({
    taskId: task.taskId,
    workflowId: info.workflowId,
    startedAtMs: info.startTime.getTime(),
    limit: HISTORY_LIMIT,
  });
}

/** What the run knows of its place among the task's runs (`run_context`). */
function runContext(task: TaskEntity, executionId: string, history: RunHistory): RunContext {
  const previous = history.previous[0];
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    task_id: task.taskId,
    execution_id: executionId,
    scheduled_for: iso(task.dueAtMs),
    run_number: history.number,
    previous_run: previous
      ? {
          execution_id: previous.executionId,
          scheduled_for: previous.scheduledFor,
          finished_at: iso(previous.finishedAtMs),
          status: previous.status,
          result_summary: resultSummary(previous.result),
          ...(previous.error !== undefined ? { error: previous.error } : {}),
        }
      : null,
    next_run_at: history.nextRunAtMs === null ? null : iso(history.nextRunAtMs),
  };
}

/** Sends an alert or a recovery notice, retried for the task's callback window; records how it went. */
async function sendNotice(
  task: TaskEntity,
  notice: NonNullable<DeliveryDecision['notice']>,
): Promise<NoticeOutcome> {
  const run = task.latest!;
  const windowMs = task.input.callbackWindowMs ?? DEFAULT_CALLBACK_WINDOW_MS;
  const body: NoticeBody = {
    event: notice.event,
    task_id: task.taskId,
    execution_id: run.executionId,
    failures: notice.failures,
    ...(notice.event === 'alert' && run.error !== undefined ? { error: run.error } : {}),
    timestamp: Math.floor(Date.now() / 1000),
  };
  const request = {
    url: notice.url,
    body,
    webhookId: `${run.executionId}:${notice.event}`,
    ...(task.input.tenant ? { tenant: task.input.tenant } : {}),
  };
  try {
    const { attempts } = await retriedDelivery(windowMs, notice.url).deliverCallback(request);
    return { ...notice, status: 'delivered', attempts };
  } catch (err) {
    if (isCancellation(err)) throw err;
    const message =
      err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
    return { ...notice, status: 'failed', error: message };
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
  // A run handed out ahead may end before its due time.
  const fromMs = Math.min(startedAtMs, finishedAtMs);
  task.runs.push({
    executionId,
    status: 'cancelled',
    scheduledFor: new Date(task.dueAtMs).toISOString(),
    startedAtMs: fromMs,
    finishedAtMs,
    executionTimeMs: finishedAtMs - fromMs,
    result: null,
    error: 'the task was cancelled while this run was in progress; the run was stopped',
  });
  upsertMemo({ run: summarize(task.latest!) });
}
