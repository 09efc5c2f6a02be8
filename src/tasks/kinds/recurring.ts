/**
 * Recurring tasks: a Temporal Schedule whose id is the task id and whose action starts the same `scheduledTask`
 * workflow a one-time task uses. So `temporal schedule list|toggle|trigger` and the Web UI work on them, and what
 * they change is what the API reports: state is always read back from the schedule (`recurring-snapshot.ts`), and
 * every change is an update of it (`schedule-updates.ts`).
 */
import type { ScheduleDescription, ScheduleOverlapPolicy } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { ConflictError } from '../../errors.js';
import {
  PulseDueAt,
  PulseExecutor,
  PulseTaskId,
  SCHEDULED_TASK_WORKFLOW,
} from '../../shared/search-attributes.js';
import type { ScheduledTaskInput, TriggerInput } from '../../shared/task-types.js';
import { ifExists, onTemporal } from '../../temporal/temporal-errors.js';
import { previewFireTimes, type RecurringWhen } from '../../time/parse-when.js';
import type { BuiltTask } from '../build-task.js';
import { recurringStatus, showsNextRun } from '../task-status.js';
import { taskView, type TaskMemo } from '../task-view.js';
import { tenantClause } from '../../tenants/tenant-scope.js';
import { quote, runsOfSchedule } from '../visibility-query.js';
import { closedRuns } from './once.js';
import { readSnapshot, summaryFacts, type Snapshot } from './recurring-snapshot.js';
import {
  OVERLAP,
  nextFireTimes,
  remainingAfterReschedule,
  schedulePolicies,
  toScheduleSpec,
} from './schedule-spec.js';
import { amendUpdate, cancelUpdate, rescheduleUpdate, setPausedUpdate } from './schedule-updates.js';
import { staticDetailsOf, staticSummaryOf } from './task-summary.js';
import type { KindDeps, KindListFilters, ListedTask, LoadedTask, TaskKind } from './task-kind.js';
import { createKeyedLock } from '../keyed-lock.js';

export function createRecurringKind(deps: KindDeps): TaskKind {
  const { client, taskQueue, now } = deps;
  /**
   * One trigger of a task at a time in this process. Whether a trigger started a run is read from the schedule's
   * count of runs taken, so two triggers that overlapped would both see the one run that started and both answer
   * "triggered".
   */
  const oneTriggerAtATime = createKeyedLock();

  /**
   * Stops future runs (pausing, so the record stays) and cancels every run still going, including one that only
   * retries its callback. Cancelling again stops runs again (a run the first cancel missed).
   */
  async function cancelSchedule(snap: Snapshot): Promise<void> {
    if (snap.status !== 'cancelled') {
      await client.schedule.getHandle(snap.taskId).update(cancelUpdate(now));
    }
    // The schedule knows the runs it tracks for its overlap policy; visibility knows every run it started (manual
    // triggers and runs that finished their work but still deliver a callback included).
    const running = new Set((snap.description?.info.runningActions ?? []).map((a) => a.workflow.workflowId));
    const query = `${runsOfSchedule(snap.taskId)} AND ExecutionStatus = 'Running'`;
    for await (const info of client.workflow.list({ query, pageSize: 1000 })) running.add(info.workflowId);
    await Promise.all(
      [...running].map((workflowId) =>
        // A run that closed in the meantime needs no cancel.
        ifExists(workflowId, () => client.workflow.getHandle(workflowId).cancel()),
      ),
    );
  }

  /** Replaces the recurrence (and the number of runs still to come). */
  async function reschedule(snap: Snapshot, when: RecurringWhen, built: BuiltTask): Promise<void> {
    const previousTimes = (snap.memo.schedule_config?.recurrence as { times?: number | null } | undefined)
      ?.times;
    const remaining = remainingAfterReschedule(snap.taskId, snap.description, previousTimes, when);
    await client.schedule.getHandle(snap.taskId).update(rescheduleUpdate(when, built, remaining, now));
  }

  function loaded(snap: Snapshot): LoadedTask {
    const { taskId, description } = snap;
    const schedule = client.schedule.getHandle(taskId);
    const call = <T>(fn: () => Promise<T>) => onTemporal(taskId, fn);
    const view = taskView({
      taskId,
      kind: 'recurring',
      memo: snap.memo,
      createdMs: snap.createdAtMs,
      status: snap.status,
      nextMs:
        showsNextRun(snap.status) && description
          ? (description.info.nextActionTimes[0]?.getTime() ?? null)
          : null,
      executor: snap.executor,
      uiUrl: deps.uiUrlFor(taskId, 'recurring'),
    });
    return {
      kind: 'recurring',
      view,
      runs: snap.runs
        .filter((r) => r.record)
        .map((r) => r.record!)
        .sort((a, b) => a.startedAtMs - b.startedAtMs),
      memo: snap.memo,
      cannotChangeKind: `Task '${taskId}' is recurring; a "when" that runs once cannot replace its recurrence. Pause or DELETE it instead.`,

      async cancel() {
        if (snap.status === 'completed' && !description) {
          throw new ConflictError(
            'TASK_FINISHED',
            `Task '${taskId}' already completed; there is nothing to cancel.`,
          );
        }
        await call(() => cancelSchedule(snap));
      },

      async amend(built, patch) {
        await call(() => schedule.update(amendUpdate(built, now)));
        if (patch.when !== undefined || patch.repeat !== undefined || patch.timezone !== undefined) {
          await call(() => reschedule(snap, built.recurrence!.when, built));
        }
      },

      async setPaused(paused) {
        // One update pauses (or resumes) and records the period for the ledger.
        await call(() => schedule.update(setPausedUpdate(paused, now)));
      },

      async trigger(triggerInput) {
        if (snap.status === 'cancelled') {
          throw new ConflictError(
            'INVALID_STATE',
            `Task '${taskId}' is cancelled; it can no longer be triggered.`,
          );
        }
        if (!description) {
          throw new ConflictError('TASK_FINISHED', `Task '${taskId}' has finished and its schedule is gone.`);
        }
        if (triggerInput) {
          await call(() => startTriggeredRun(client, description, triggerInput, now()));
          return;
        }
        // A run started by hand is not counted against `times`, and runs beside any run in progress.
        await oneTriggerAtATime(taskId, async () => {
          // Read again under the lock: a trigger that went before this one changed the counts.
          const before = await call(() => schedule.describe());
          await call(() => schedule.trigger(OVERLAP.allow_all));
          await call(() => confirmTriggered(schedule, before));
        });
      },

      async nextRuns(count) {
        if (!showsNextRun(snap.status)) return [];
        const recurrence = snap.memo.schedule_config?.recurrence as
          { spec: RecurringWhen['spec']; timezone: string } | undefined;
        return nextFireTimes(description, recurrence, count, now());
      },

      async resultOf(run) {
        if (!(run as { resultOmitted?: boolean }).resultOmitted) return run.result;
        // Too large for the memo: read it from the run's own workflow.
        const owner = snap.runs.find((r) => r.record?.executionId === run.executionId);
        if (!owner) return run.result;
        const [closed] = await closedRuns(client.workflow.getHandle(owner.workflowId), undefined);
        return closed?.result ?? null;
      },
    };
  }

  return {
    name: 'recurring',
    owns: (built) => built.recurrence !== undefined,

    /** Creates the schedule. A first run that is already due is triggered at once (not counted by Temporal). */
    async start(built) {
      const { when, policy } = built.recurrence!;
      const at = now();
      const runNow = when.at.getTime() <= at.getTime();
      // Manual triggers do not count against remainingActions, so a first run started by hand is subtracted.
      const remaining = when.times === null ? undefined : when.times - (runNow ? 1 : 0);
      // Runs of a schedule are due when the schedule starts them.
      const searchAttributes = built.searchAttributes.filter((p) => p.key.name !== PulseDueAt.name);
      await client.schedule.create({
        scheduleId: built.taskId,
        spec: toScheduleSpec(when, policy.jitterMs, runNow ? new Date(at.getTime() + 1000) : when.at),
        action: {
          type: 'startWorkflow',
          workflowType: SCHEDULED_TASK_WORKFLOW,
          taskQueue,
          workflowId: built.taskId,
          args: [built.input],
          memo: { ...built.memo },
          typedSearchAttributes: searchAttributes,
          // Every run of the schedule carries what the task is and its recurrence, for the Web UI's lists.
          staticSummary: staticSummaryOf(built),
          staticDetails: staticDetailsOf(built),
          ...(built.priority ? { priority: built.priority } : {}),
        },
        policies: schedulePolicies(policy),
        state: remaining !== undefined ? { remainingActions: remaining } : {},
        // The schedule's own memo names its task queue: a listing reads schedule summaries, which do not carry
        // the action's, and another Pulse on the same namespace must not list this one's tasks.
        memo: { ...built.memo, task_queue: taskQueue },
        typedSearchAttributes: searchAttributes,
      });
      if (runNow) await startFirstRun(client, built.taskId, OVERLAP[policy.overlap]);
      return runNow ? at : (previewFireTimes(when, 1, { now: at })[0] ?? when.at);
    },

    async load(taskId) {
      const snap = await readSnapshot(client, taskId);
      // Another Pulse's schedule on this namespace is not a task of this one.
      if (snap?.description && snap.description.action.taskQueue !== taskQueue) return undefined;
      return snap && loaded(snap);
    },

    /**
     * Schedules are few and their state is not in visibility (only who they belong to), so every summary is read
     * and filtered here by the same status rule a describe uses.
     */
    async list(filters: KindListFilters): Promise<ListedTask[]> {
      const clauses = ['PulseScheduleType IS NOT NULL', ...tenantClause()];
      if (filters.scheduleType) clauses.push(`PulseScheduleType = ${quote(filters.scheduleType)}`);
      if (filters.agentId) clauses.push(`PulseAgentId = ${quote(filters.agentId)}`);
      const ranged = filters.fromMs !== undefined || filters.toMs !== undefined;
      const listed: ListedTask[] = [];
      let read = 0;
      for await (const summary of client.schedule.list({
        query: clauses.join(' AND '),
        pageSize: Math.min(1000, Math.max(filters.limit, 10)),
      })) {
        if (++read > filters.limit) break;
        const status = recurringStatus(summaryFacts(summary));
        if (filters.status && status !== filters.status) continue;
        const nextMs = summary.info.nextActionTimes[0]?.getTime() ?? null;
        if (ranged && !inRange(nextMs, filters)) continue;
        const memo = (summary.memo ?? {}) as Partial<TaskMemo>;
        // Another Pulse's schedule on this namespace (schedules made before the field was written are listed).
        if (memo.task_queue !== undefined && memo.task_queue !== taskQueue) continue;
        const createdMs = Date.parse(String(memo.schedule_config?.created_at ?? '')) || 0;
        const view = taskView({
          taskId: summary.scheduleId,
          kind: 'recurring',
          memo,
          createdMs,
          status,
          nextMs: showsNextRun(status) ? nextMs : null,
          executor: summary.typedSearchAttributes?.get(PulseExecutor) ?? null,
          uiUrl: deps.uiUrlFor(summary.scheduleId, 'recurring'),
        });
        listed.push({ view, createdMs });
      }
      return listed;
    },
  };
}

/**
 * The first run of a schedule whose first occurrence is already due, started by a trigger under the schedule's own
 * overlap policy. Not `triggerImmediately` at creation: the SDK sends that as allow-all, and Temporal's scheduler
 * does not count an allow-all start as running for the starts it decides in the same pass, so a scheduler that gets
 * to the new schedule after its next occurrence (a loaded server, an interval of a second) started both, overlapping
 * despite `skip`. A trigger that fails removes the schedule, so a failed create leaves no task behind.
 */
async function startFirstRun(
  client: KindDeps['client'],
  scheduleId: string,
  overlap: ScheduleOverlapPolicy,
): Promise<void> {
  const handle = client.schedule.getHandle(scheduleId);
  try {
    await handle.trigger(overlap);
  } catch (err) {
    // The trigger's error is the one to report; a schedule that cannot be deleted either is reported by it too.
    await handle.delete().catch((cleanup: unknown) => {
      throw new AggregateError(
        [err, cleanup],
        `could not start the first run of ${scheduleId}, nor remove it`,
      );
    });
    throw err;
  }
}

/**
 * A run with its own input, started by Pulse beside the schedule's runs: a Schedule's trigger cannot carry input
 * (temporalio/temporal#8606). It is the schedule's action with the input replaced, due now, and carries
 * `PulseTaskId` where the schedule's runs carry `TemporalScheduledById`, so every reader of a task's runs finds it.
 * Like a manual trigger, it is not counted against `times` and runs beside any run in progress.
 */
async function startTriggeredRun(
  client: KindDeps['client'],
  description: ScheduleDescription,
  triggerInput: TriggerInput,
  at: Date,
): Promise<void> {
  const action = description.action;
  if (action.type !== 'startWorkflow') {
    throw new ConflictError('INVALID_STATE', `Task '${description.scheduleId}' does not start Pulse runs.`);
  }
  const input = action.args?.[0] as ScheduledTaskInput | undefined;
  if (!input) {
    throw new ConflictError('INVALID_STATE', `Task '${description.scheduleId}' has no input to override.`);
  }
  const attributes = action.typedSearchAttributes;
  const pairs = attributes instanceof TypedSearchAttributes ? attributes.getAll() : (attributes ?? []);
  await client.workflow.start(SCHEDULED_TASK_WORKFLOW, {
    taskQueue: action.taskQueue,
    workflowId: `${description.scheduleId}-triggered-${at.toISOString()}`,
    args: [{ ...input, taskId: description.scheduleId, dueAtMs: at.getTime(), triggerInput }],
    memo: { ...(action.memo ?? {}), payload: triggerInput.payload },
    typedSearchAttributes: [
      ...pairs.filter((p) => p.key.name !== PulseTaskId.name && p.key.name !== PulseDueAt.name),
      { key: PulseTaskId, value: description.scheduleId },
      { key: PulseDueAt, value: at },
    ],
    ...(action.staticSummary ? { staticSummary: `${action.staticSummary} (triggered with input)` } : {}),
    ...(action.staticDetails ? { staticDetails: action.staticDetails } : {}),
    ...(action.priority ? { priority: action.priority } : {}),
  });
}

/** How long a trigger waits for the schedule to report the run it started (or dropped). */
const TRIGGER_SETTLE_MS = 5000;

/**
 * A trigger is a request the schedule acts on asynchronously: it starts a run (beside any in progress: the trigger
 * goes as allow-all, so the overlap policy never drops it), or fails to when a run of the same second already holds
 * that workflow id. Answers only once the schedule has counted the run as taken; a run never counted is a 409 saying
 * so rather than "triggered". (Its count of runs skipped for overlap is not read: only the schedule's own times can
 * move it, and a time skipped at that moment would be taken for the trigger.)
 */
async function confirmTriggered(
  schedule: { describe(): Promise<ScheduleDescription> },
  before: ScheduleDescription,
): Promise<void> {
  const deadline = Date.now() + TRIGGER_SETTLE_MS;
  for (;;) {
    const now = await schedule.describe();
    if (now.info.numActionsTaken > before.info.numActionsTaken) return;
    if (Date.now() > deadline) {
      throw new ConflictError(
        'TRIGGER_NOT_STARTED',
        `Task '${now.scheduleId}': the schedule did not start the triggered run within ${TRIGGER_SETTLE_MS / 1000} s ` +
          '(a run started in the same second may hold its workflow id); try again.',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function inRange(ms: number | null, range: { fromMs?: number; toMs?: number }): boolean {
  return (
    ms !== null &&
    (range.fromMs === undefined || ms >= range.fromMs) &&
    (range.toMs === undefined || ms <= range.toMs)
  );
}
