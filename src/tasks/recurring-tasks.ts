/**
 * Recurring tasks are Temporal Schedules whose id is the task id and whose action starts the same
 * `scheduledTask` workflow a one-time task uses. So `temporal schedule list|toggle|trigger` and the Web UI work
 * on them, and what they change is what the API reports: state is always read back from the schedule.
 */
import {
  type Client,
  ScheduleNotFoundError,
  type ScheduleDescription,
  type ScheduleSpec,
  type ScheduleSummary,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { ConflictError, TaskNotFoundError } from '../errors.js';
import {
  PulseAgentId,
  PulseExecutor,
  PulseScheduleType,
  PulseStatus,
  SCHEDULED_TASK_WORKFLOW,
} from '../shared/search-attributes.js';
import type { RunRecord, ScheduledTaskInput, TaskStatus } from '../shared/task-types.js';
import { translateTemporalError } from '../temporal/temporal-errors.js';
import { nextFireAfter, previewFireTimes, type RecurringWhen } from '../time/parse-when.js';
import type { BuiltTask, RecurrencePolicy, TaskMemo } from './build-task.js';

/** Note put on a schedule cancelled through the API (the schedule is paused and kept, so its record stays). */
const CANCELLED_NOTE = 'Cancelled through the Pulse API';
const PAUSED_NOTE = 'Paused through the Pulse API';
/** Search attributes that describe what a task does; a PATCH rewrites them (a missing one is removed). */
const WORK_ATTRIBUTES = new Set([PulseScheduleType.name, PulseExecutor.name, PulseAgentId.name]);

const OVERLAP = {
  skip: 'SKIP',
  buffer_one: 'BUFFER_ONE',
  allow_all: 'ALLOW_ALL',
  cancel_other: 'CANCEL_OTHER',
  terminate_other: 'TERMINATE_OTHER',
} as const;

/** A run of a recurring task: its record once it finished, or the fact that it is still going. */
export interface RecurringRun {
  readonly workflowId: string;
  readonly running: boolean;
  readonly startedAtMs: number;
  readonly record?: RunRecord & { resultOmitted?: boolean };
}

export interface RecurringSnapshot {
  readonly taskId: string;
  readonly memo: Partial<TaskMemo>;
  readonly input: ScheduledTaskInput | undefined;
  readonly status: TaskStatus;
  readonly nextRunMs: number | null;
  readonly createdAtMs: number;
  readonly runs: readonly RecurringRun[];
  readonly description: ScheduleDescription | undefined;
  readonly executor: string | null;
}

/** The Temporal spec for a parsed recurrence; `startAt` makes the first run the one `when` named. */
export function toScheduleSpec(
  when: RecurringWhen,
  jitterMs: number | undefined,
  startAt?: Date,
): ScheduleSpec {
  const spec = when.spec;
  const common = {
    timezone: when.timezone,
    ...(jitterMs ? { jitter: jitterMs } : {}),
    ...(startAt ? { startAt } : {}),
  };
  switch (spec.type) {
    case 'interval':
      return { ...common, intervals: [{ every: spec.everyMs, offset: spec.offsetMs }] };
    case 'cron':
      return { ...common, cronExpressions: [spec.expression] };
    case 'calendar': {
      const { type: _type, ...calendar } = spec;
      return { ...common, calendars: [calendar] };
    }
  }
}

export function schedulePolicies(policy: RecurrencePolicy) {
  return {
    overlap: OVERLAP[policy.overlap],
    pauseOnFailure: policy.pauseOnFailure,
    ...(policy.catchupWindowMs !== undefined ? { catchupWindow: policy.catchupWindowMs } : {}),
  };
}

/** Visibility query for the runs a task's schedule started. */
function runsOf(taskId: string): string {
  const id = taskId.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
  return `TemporalScheduledById = '${id}' AND WorkflowType = '${SCHEDULED_TASK_WORKFLOW}'`;
}

function pairsOf(
  attributes: readonly SearchAttributePair[] | { getAll(): SearchAttributePair[] } | undefined,
): SearchAttributePair[] {
  if (!attributes) return [];
  return Array.isArray(attributes) ? [...attributes] : (attributes as { getAll(): SearchAttributePair[] }).getAll();
}

/**
 * Whether a schedule was cancelled through the API. The cancel writes both a search attribute and the pause note in
 * one update, but a describe reads them from two places (the search attribute from the scheduler workflow's record,
 * the state from a query), and right after the update only the state may show it. Either one is enough.
 */
function wasCancelled(
  attributes: ScheduleSummary['typedSearchAttributes'],
  state: { paused: boolean; note?: string },
): boolean {
  return attributes?.get(PulseStatus) === 'cancelled' || (state.paused && state.note === CANCELLED_NOTE);
}

/** Status of a schedule-backed task, from what the schedule itself says. */
export function recurringStatus(description: ScheduleDescription, cancelled: boolean): TaskStatus {
  if (cancelled) return 'cancelled';
  // Paused wins over a run still in progress: what the user asked for is what the task reads.
  if (description.state.paused) return 'paused';
  if (description.info.runningActions.length > 0) return 'processing';
  const limited = description.raw.schedule?.state?.limitedActions ?? false;
  if (
    (limited && (description.state.remainingActions ?? 0) === 0) ||
    description.info.nextActionTimes.length === 0
  ) {
    return 'completed';
  }
  return 'active';
}

function summaryStatus(summary: ScheduleSummary): TaskStatus {
  if (wasCancelled(summary.typedSearchAttributes, summary.state)) return 'cancelled';
  if (summary.state.paused) return 'paused';
  if (summary.info.nextActionTimes.length === 0) return 'completed';
  return 'active';
}

export interface RecurringDeps {
  readonly client: Client;
  readonly namespace: string;
  readonly taskQueue: string;
}

export function createRecurringTasks(deps: RecurringDeps) {
  const { client, taskQueue } = deps;

  async function listRuns(taskId: string, limit = 1000): Promise<RecurringRun[]> {
    const runs: RecurringRun[] = [];
    const query = runsOf(taskId);
    for await (const info of client.workflow.list({ query, pageSize: Math.min(limit, 1000) })) {
      runs.push(runFromInfo(info));
      if (runs.length >= limit) break;
    }
    return runs;
  }

  function runFromInfo(info: WorkflowExecutionInfo): RecurringRun {
    const record = info.memo?.run as RecurringRun['record'];
    return {
      workflowId: info.workflowId,
      running: info.status.name === 'RUNNING' && !record,
      startedAtMs: info.startTime.getTime(),
      ...(record ? { record } : {}),
    };
  }

  return {
    /** Creates the schedule. A first run that is already due is triggered at once (not counted by Temporal). */
    async create(built: BuiltTask, now: Date): Promise<{ nextRun: Date }> {
      const recurrence = built.recurrence!;
      const when = recurrence.when;
      const runNow = when.at.getTime() <= now.getTime();
      const times = when.times;
      // Manual triggers do not count against remainingActions, so a first run started by hand is subtracted.
      const remaining = times === null ? undefined : times - (runNow ? 1 : 0);
      const startAt = runNow ? new Date(now.getTime() + 1000) : when.at;
      const searchAttributes: SearchAttributePair[] = built.searchAttributes.filter(
        (p) => p.key.name !== 'PulseDueAt',
      );
      try {
        await client.schedule.create({
          scheduleId: built.taskId,
          spec: toScheduleSpec(when, recurrence.policy.jitterMs, startAt),
          action: {
            type: 'startWorkflow',
            workflowType: SCHEDULED_TASK_WORKFLOW,
            taskQueue,
            workflowId: built.taskId,
            args: [built.input],
            memo: { ...built.memo },
            typedSearchAttributes: searchAttributes,
          },
          policies: schedulePolicies(recurrence.policy),
          state: {
            ...(remaining !== undefined ? { remainingActions: remaining } : {}),
            ...(runNow ? { triggerImmediately: true } : {}),
          },
          memo: { ...built.memo },
          typedSearchAttributes: searchAttributes,
        });
      } catch (err) {
        throw translateTemporalError(err, built.taskId);
      }
      const next = runNow ? now : (previewFireTimes(when, 1, { now })[0] ?? when.at);
      return { nextRun: next };
    },

    /** Reads a recurring task; undefined when no schedule and no runs carry this id. */
    async snapshot(taskId: string): Promise<RecurringSnapshot | undefined> {
      let description: ScheduleDescription | undefined;
      try {
        description = await client.schedule.getHandle(taskId).describe();
      } catch (err) {
        if (!(err instanceof ScheduleNotFoundError)) throw translateTemporalError(err, taskId);
      }
      if (description && description.action.workflowType !== SCHEDULED_TASK_WORKFLOW) return undefined;
      const runs = await listRuns(taskId);
      if (!description) {
        // Temporal removes a finished schedule some days after its last run; its runs still tell the story.
        if (runs.length === 0) return undefined;
        const latest = runs[0]!;
        const info = await client.workflow.getHandle(latest.workflowId).describe();
        return {
          taskId,
          memo: (info.memo ?? {}) as Partial<TaskMemo>,
          input: undefined,
          status: runs.some((r) => r.running) ? 'processing' : 'completed',
          nextRunMs: null,
          createdAtMs: runs[runs.length - 1]!.startedAtMs,
          runs,
          description: undefined,
          executor: null,
        };
      }
      const action = description.action;
      const cancelled = wasCancelled(description.typedSearchAttributes, description.state);
      const status = recurringStatus(description, cancelled);
      const input = action.args?.[0] as ScheduledTaskInput | undefined;
      return {
        taskId,
        memo: (action.memo ?? description.memo ?? {}) as Partial<TaskMemo>,
        input,
        status,
        nextRunMs:
          status === 'active' || status === 'processing'
            ? (description.info.nextActionTimes[0]?.getTime() ?? null)
            : null,
        createdAtMs: description.info.createdAt.getTime(),
        runs,
        description,
        executor: input?.executor ?? null,
      };
    },

    summaryStatus,

    async list(query: string, limit: number): Promise<ScheduleSummary[]> {
      const out: ScheduleSummary[] = [];
      for await (const summary of client.schedule.list({
        query,
        pageSize: Math.min(1000, Math.max(limit, 10)),
      })) {
        out.push(summary);
        if (out.length >= limit) break;
      }
      return out;
    },

    async pause(taskId: string, paused: boolean): Promise<void> {
      const handle = client.schedule.getHandle(taskId);
      if (paused) await handle.pause(PAUSED_NOTE);
      else await handle.unpause('Resumed through the Pulse API');
    },

    /**
     * Cancels: stops future runs (pausing, so the record stays) and cancels every run still going, including one
     * that only retries its callback. Cancelling again stops runs again (a run the first cancel missed).
     */
    async cancel(snapshot: RecurringSnapshot): Promise<void> {
      if (snapshot.status !== 'cancelled') {
        await client.schedule.getHandle(snapshot.taskId).update((previous) => ({
          ...previous,
          state: { ...previous.state, paused: true, note: CANCELLED_NOTE },
          typedSearchAttributes: [
            ...pairsOf(previous.typedSearchAttributes).filter((p) => p.key.name !== PulseStatus.name),
            { key: PulseStatus, value: 'cancelled' },
          ],
        }));
      }
      // The schedule knows the runs it tracks for its overlap policy; visibility knows every run it started (manual
      // triggers and runs that finished their work but still deliver a callback included).
      const running = new Set(
        (snapshot.description?.info.runningActions ?? []).map((action) => action.workflow.workflowId),
      );
      const query = `${runsOf(snapshot.taskId)} AND ExecutionStatus = 'Running'`;
      for await (const info of client.workflow.list({ query, pageSize: 1000 })) running.add(info.workflowId);
      await Promise.all(
        [...running].map((workflowId) =>
          client.workflow
            .getHandle(workflowId)
            .cancel()
            .catch(() => undefined), // it closed in the meantime
        ),
      );
    },

    /** Starts one run now, outside the schedule (not counted against `times`). */
    async trigger(taskId: string): Promise<void> {
      await client.schedule.getHandle(taskId).trigger(OVERLAP.allow_all);
    },

    /** Replaces the recurrence (and the number of runs still to come). */
    async reschedule(snapshot: RecurringSnapshot, when: RecurringWhen, built: BuiltTask): Promise<void> {
      // Runs the schedule itself took, from what `times` allowed and what is left: manual triggers (API or CLI)
      // also count in numActionsTaken, but `times` counts only scheduled runs.
      const description = snapshot.description;
      const previousTimes = (
        snapshot.memo.schedule_config?.recurrence as { times?: number | null } | undefined
      )?.times;
      const limited = description?.raw.schedule?.state?.limitedActions ?? false;
      const taken =
        limited && typeof previousTimes === 'number'
          ? previousTimes - (description?.state.remainingActions ?? 0)
          : (description?.info.numActionsTaken ?? 0);
      const remaining = when.times === null ? undefined : Math.max(0, when.times - taken);
      if (remaining === 0) {
        throw new ConflictError(
          'TIMES_USED_UP',
          `Task '${snapshot.taskId}' already ran ${taken} times; a recurrence of ${when.times} would never run again.`,
        );
      }
      await client.schedule.getHandle(snapshot.taskId).update((previous) => ({
        ...previous,
        spec: toScheduleSpec(when, built.recurrence?.policy.jitterMs, when.at),
        action: { ...previous.action, memo: { ...built.memo } },
        state: {
          ...previous.state,
          ...(remaining !== undefined ? { remainingActions: remaining } : { remainingActions: undefined }),
        },
      }));
    },

    /**
     * Replaces what each future run does (payload, metadata), the memo describing it, and the search attributes
     * that describe the work, on the schedule and on the runs it starts. Status attributes are left as they are.
     */
    async amend(
      taskId: string,
      input: ScheduledTaskInput,
      memo: TaskMemo,
      attributes: readonly SearchAttributePair[],
    ): Promise<void> {
      const work = attributes.filter((p) => WORK_ATTRIBUTES.has(p.key.name));
      const replaced = (previous: readonly SearchAttributePair[]): SearchAttributePair[] => [
        ...previous.filter((p) => !WORK_ATTRIBUTES.has(p.key.name)),
        ...work,
      ];
      await client.schedule.getHandle(taskId).update((previous) => ({
        ...previous,
        action: {
          ...previous.action,
          args: [input],
          memo: { ...memo },
          typedSearchAttributes: replaced(pairsOf(previous.action.typedSearchAttributes)),
        } as typeof previous.action,
        typedSearchAttributes: replaced(pairsOf(previous.typedSearchAttributes)),
      }));
    },

    async nextFireTimes(snapshot: RecurringSnapshot, count: number, now: Date): Promise<Date[]> {
      if (snapshot.status !== 'active' && snapshot.status !== 'processing') return [];
      const fromServer = snapshot.description?.info.nextActionTimes ?? [];
      if (count <= fromServer.length) return fromServer.slice(0, count);
      const recurrence = snapshot.memo.schedule_config?.recurrence as
        { spec: RecurringWhen['spec']; timezone: string } | undefined;
      if (!recurrence) return fromServer;
      const remaining = snapshot.description?.raw.schedule?.state?.limitedActions
        ? (snapshot.description.state.remainingActions ?? 0)
        : Infinity;
      // Continue after the server's own list (which knows the start time and what already ran), so the
      // preview never invents runs before the first one.
      const times = [...fromServer];
      let after = times[times.length - 1] ?? now;
      while (times.length < Math.min(count, remaining)) {
        const next = nextFireAfter(recurrence.spec, recurrence.timezone, after);
        if (!next) break;
        times.push(next);
        after = next;
      }
      return times;
    },

    notFound: (taskId: string) => new TaskNotFoundError(taskId),
  };
}

export type RecurringTasks = ReturnType<typeof createRecurringTasks>;
