/**
 * Reading a recurring task: its schedule's description and the runs visibility lists for it, gathered into one
 * `Snapshot` that the kind's commands act on. A schedule Temporal has already removed still has a snapshot, told by
 * its runs; a schedule made by hand gets its memo from its action's input.
 */
import type { Client, ScheduleDescription, ScheduleSummary, WorkflowExecutionInfo } from '@temporalio/client';
import { PulseStatus, SCHEDULED_TASK_WORKFLOW } from '../../shared/search-attributes.js';
import type { RunRecord, ScheduledTaskInput, TaskStatus } from '../../shared/task-types.js';
import { ifExists, onTemporal } from '../../temporal/temporal-errors.js';
import { orphanedRecurringStatus, recurringStatus, type ScheduleFacts } from '../task-status.js';
import type { TaskMemo } from '../task-view.js';
import { runsOfSchedule } from '../visibility-query.js';
import { liveTaskState } from './live-state.js';
import { isExhausted } from './schedule-spec.js';

/** Most runs of one task read to show its history. */
const MAX_RUNS = 1000;

/**
 * A run of a recurring task: whether its workflow is still going, and its record once its work is done (while it
 * still delivers its callback, both).
 */
export interface RecurringRun {
  readonly workflowId: string;
  readonly running: boolean;
  readonly startedAtMs: number;
  /** `resultOmitted`: the result was too large for the run's memo; its workflow's result holds it. */
  readonly record?: RunRecord & { resultOmitted?: boolean };
}

function runFromInfo(
  info: Pick<WorkflowExecutionInfo, 'workflowId' | 'status' | 'startTime' | 'memo'>,
): RecurringRun {
  const record = info.memo?.run as RecurringRun['record'];
  return {
    workflowId: info.workflowId,
    running: info.status.name === 'RUNNING' && !record,
    startedAtMs: info.startTime.getTime(),
    ...(record ? { record } : {}),
  };
}

function factsOf(description: ScheduleDescription): ScheduleFacts {
  return {
    reported: description.typedSearchAttributes.get(PulseStatus),
    paused: description.state.paused,
    note: description.state.note,
    running: description.info.runningActions.length > 0,
    exhausted: isExhausted(description),
  };
}

/** The status facts a schedule listing carries (no running actions: a listing does not say). */
export function summaryFacts(summary: ScheduleSummary): ScheduleFacts {
  return {
    reported: summary.typedSearchAttributes?.get(PulseStatus),
    paused: summary.state.paused,
    note: summary.state.note,
    running: false,
    exhausted: summary.info.nextActionTimes.length === 0,
  };
}

/** What is known of a recurring task: its schedule (gone some days after its last run) and its runs. */
export interface Snapshot {
  readonly taskId: string;
  readonly description: ScheduleDescription | undefined;
  readonly memo: Partial<TaskMemo>;
  readonly status: TaskStatus;
  readonly createdAtMs: number;
  readonly executor: string | null;
  readonly runs: readonly RecurringRun[];
}

async function listRuns(client: Client, query: string): Promise<RecurringRun[]> {
  const runs: RecurringRun[] = [];
  for await (const info of client.workflow.list({ query, pageSize: MAX_RUNS })) {
    runs.push(runFromInfo(info));
    if (runs.length >= MAX_RUNS) break;
  }
  return runs;
}

/** The task `taskId` as Temporal has it now; undefined when there is no such recurring task. */
export async function readSnapshot(client: Client, taskId: string): Promise<Snapshot | undefined> {
  const description = await ifExists(taskId, () => client.schedule.getHandle(taskId).describe());
  if (description && description.action.workflowType !== SCHEDULED_TASK_WORKFLOW) return undefined;
  const listed = await onTemporal(taskId, () => listRuns(client, runsOfSchedule(taskId)));
  const runs = await withRecords(
    client,
    description ? await withUnlisted(client, description, listed) : listed,
  );
  if (description) {
    const input = description.action.args?.[0] as ScheduledTaskInput | undefined;
    return {
      taskId,
      description,
      memo: memoOf(description, input),
      // A run the schedule does not track (a manual trigger, started beside its runs) is as much in progress.
      status: recurringStatus({
        ...factsOf(description),
        running: description.info.runningActions.length > 0 || runs.some((r) => r.running),
      }),
      createdAtMs: description.info.createdAt.getTime(),
      executor: input?.executor ?? null,
      runs,
    };
  }
  if (runs.length === 0) return undefined;
  // Temporal removes a finished schedule some days after its last run; its runs still tell the story.
  const latest = await onTemporal(taskId, () => client.workflow.getHandle(runs[0]!.workflowId).describe());
  return {
    taskId,
    description: undefined,
    memo: (latest.memo ?? {}) as Partial<TaskMemo>,
    status: orphanedRecurringStatus(runs.some((r) => r.running)),
    createdAtMs: runs[runs.length - 1]!.startedAtMs,
    executor: null,
    runs,
  };
}

/**
 * The runs visibility lists, plus those the schedule says it started that visibility does not list yet (it is
 * eventually consistent: on a cluster a run can finish, callback and all, before its listing shows it).
 */
export async function withUnlisted(
  client: Client,
  description: ScheduleDescription,
  listed: RecurringRun[],
): Promise<RecurringRun[]> {
  const known = new Set(listed.map((r) => r.workflowId));
  const started = [
    ...description.info.runningActions,
    ...description.info.recentActions.map((a) => a.action),
  ];
  const missing = [...new Set(started.map((a) => a.workflow.workflowId))].filter((id) => !known.has(id));
  if (missing.length === 0) return listed;
  const found = await Promise.all(
    missing.map((id) => ifExists(id, () => client.workflow.getHandle(id).describe())),
  );
  const unlisted = found.filter((d) => d !== undefined).map(runFromInfo);
  return [...listed, ...unlisted].sort((a, b) => b.startedAtMs - a.startedAtMs);
}

/** Most runs without a record in their listing that one read looks up one by one. */
const MAX_LOOKUPS = 10;

/**
 * The runs, each with its record where one exists. A listing can lack it twice over: a run that has finished its
 * work but still delivers its callback keeps its record in its workflow's state until the callback settles (the
 * callback can reach its receiver first), and visibility can show a run before the memo it wrote. The newest such
 * runs are read from their workflows: the `taskState` query while one runs, its description (memo) otherwise.
 */
export async function withRecords(client: Client, runs: RecurringRun[]): Promise<RecurringRun[]> {
  const lacking = runs.filter((r) => !r.record).slice(0, MAX_LOOKUPS);
  if (lacking.length === 0) return runs;
  const looked = new Map(
    await Promise.all(lacking.map(async (run) => [run.workflowId, await lookUp(client, run)] as const)),
  );
  return runs.map((run) => looked.get(run.workflowId) ?? run);
}

/** The run as its workflow has it now; undefined when it cannot be read. */
async function lookUp(client: Client, run: RecurringRun): Promise<RecurringRun | undefined> {
  const handle = client.workflow.getHandle(run.workflowId);
  try {
    const description = await handle.describe();
    const fromMemo = description.memo?.run as RecurringRun['record'] | undefined;
    const running = description.status.name === 'RUNNING';
    if (fromMemo) return { ...run, running: false, record: fromMemo };
    if (!running) return { ...run, running: false };
    const state = await liveTaskState(client, handle);
    // Still running: its work, or (with a record) the delivery of its callback.
    const record = state.runs[state.runs.length - 1];
    return { ...run, running: true, ...(record ? { record } : {}) };
  } catch {
    // Gone, no worker answering in time, or a read that failed: the run shows as its listing has it.
    return undefined;
  }
}

/**
 * The memo a schedule was made with, or, for a schedule made by hand (`temporal schedule create`), what its
 * action's input says: its type, payload and callback, instead of `unknown` and an empty payload.
 */
function memoOf(description: ScheduleDescription, input: ScheduledTaskInput | undefined): Partial<TaskMemo> {
  const memo = (description.action.memo ?? description.memo ?? {}) as Partial<TaskMemo>;
  if (memo.schedule_type || !input || typeof input !== 'object') return memo;
  const calendars = description.spec.calendars?.length ?? 0;
  const intervals = description.spec.intervals ?? [];
  return {
    ...memo,
    schedule_type: input.scheduleType,
    payload: input.payload ?? {},
    metadata: input.metadata ?? {},
    schedule_config: {
      ...(memo.schedule_config ?? {}),
      created_by: 'temporal schedule (no Pulse memo)',
      ...(description.spec.timezone ? { timezone: description.spec.timezone } : {}),
      ...(intervals.length > 0 ? { intervals: intervals.map((i) => i.every) } : {}),
      ...(calendars > 0 ? { calendars } : {}),
    },
    ...(input.callbackUrl ? { callback_url: input.callbackUrl } : {}),
  };
}
