/**
 * One-time tasks: a `scheduledTask` workflow whose id is the task id. Reading one combines the workflow's
 * description (memo, search attributes), its `taskState` query while it runs, and its result once it is closed.
 * Changes are workflow updates, so the workflow itself validates them against its state.
 */
import {
  WorkflowFailedError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowExecutionInfo,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError } from '../../errors.js';
import { EXTERNAL_EXECUTOR } from '../../shared/executor-names.js';
import { FailureType } from '../../shared/failure-types.js';
import {
  PulseDueAt,
  PulseExecutor,
  PulseStatus,
  SCHEDULED_TASK_WORKFLOW,
} from '../../shared/search-attributes.js';
import { amendUpdate, rescheduleUpdate, setPausedUpdate } from '../../shared/task-messages.js';
import type { RunRecord, ScheduledTaskInput, TaskStatus, TriggerInput } from '../../shared/task-types.js';
import { ifExists, onTemporal } from '../../temporal/temporal-errors.js';
import { canTriggerOnce, liveOnceStatus, onceStatus, onceStatusQuery } from '../task-status.js';
import { taskView, type TaskMemo, type TaskView } from '../task-view.js';
import { tenantClause } from '../../tenants/tenant-scope.js';
import { quote, scheduledTasksOn } from '../visibility-query.js';
import { liveTaskState } from './live-state.js';
import { staticDetailsOf, staticSummaryOf } from './task-summary.js';
import type { KindDeps, KindListFilters, ListedTask, LoadedTask, TaskKind } from './task-kind.js';

/** How long a cancel waits for the workflow to acknowledge, so a GET right after the DELETE says cancelled. */
const CANCEL_SETTLE_MS = 5000;
/**
 * How long it then waits for visibility to show the close, so what reads visibility right after the DELETE (a
 * listing, the ledger, a calendar feed, a tenant's `active_tasks` count) agrees with it.
 */
const CANCEL_VISIBLE_MS = 3000;

/** Waits, up to `CANCEL_VISIBLE_MS`, until visibility shows the run closed; a read that fails ends the wait. */
async function untilVisiblyClosed(client: Client, workflowId: string, runId: string): Promise<void> {
  const query = `WorkflowId = ${quote(workflowId)} AND RunId = ${quote(runId)} AND ExecutionStatus != 'Running'`;
  const deadline = Date.now() + CANCEL_VISIBLE_MS;
  while (Date.now() < deadline) {
    const { count } = await client.workflow.count(query).catch(() => ({ count: 1 }));
    if (count > 0) return;
    await sleep(50);
  }
}

/** The parts of a workflow's description or list entry a task view is built from. */
type TaskInfo = Omit<WorkflowExecutionInfo, 'raw'>;

/** Whether the task is adaptive (its runs pick the next): one workflow id, an execution per run. */
function isAdaptive(memo: Record<string, unknown> | undefined): boolean {
  const config = memo?.schedule_config as Record<string, unknown> | undefined;
  return config?.adaptive != null;
}

/** When the task was created: its workflow's start, or for an adaptive task its first execution's (in its memo). */
function createdMsOf(info: TaskInfo): number {
  const config = info.memo?.schedule_config as { created_at?: unknown } | undefined;
  const created =
    isAdaptive(info.memo) && typeof config?.created_at === 'string' ? Date.parse(config.created_at) : NaN;
  return Number.isNaN(created) ? info.startTime.getTime() : created;
}

function statusOf(info: TaskInfo, nowMs: number): TaskStatus {
  const attributes = info.typedSearchAttributes;
  return onceStatus(
    {
      execution: info.status.name,
      reported: attributes.get(PulseStatus) as TaskStatus | undefined,
      dueAtMs: attributes.get(PulseDueAt)?.getTime(),
      external: attributes.get(PulseExecutor) === EXTERNAL_EXECUTOR,
    },
    nowMs,
  );
}

/**
 * The run record a closed workflow ended with (its result, or the detail of its failure); for a workflow
 * cancelled after its run (e.g. during callback delivery), the run the workflow kept in its memo.
 */
export async function closedRuns(
  handle: WorkflowHandle,
  memo: Record<string, unknown> | undefined,
): Promise<RunRecord[]> {
  const fromMemo = memo?.run as RunRecord | undefined;
  try {
    const run = (await handle.result()) as RunRecord | undefined;
    return run ? [run] : [];
  } catch (err) {
    if (err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure) {
      if (err.cause.type === FailureType.RunFailed && err.cause.details?.[0]) {
        return [err.cause.details[0] as RunRecord];
      }
    }
    // Cancelled, terminated or timed out: the workflow's result says nothing about the run; its memo does.
    return fromMemo ? [fromMemo] : [];
  }
}

export function createOnceKind(deps: KindDeps): TaskKind {
  const { client, taskQueue, now } = deps;

  function viewOf(info: TaskInfo, status: TaskStatus, dueAtMs: number | null): TaskView {
    return taskView({
      taskId: info.workflowId,
      kind: isAdaptive(info.memo) ? 'adaptive' : 'once',
      memo: (info.memo ?? {}) as Partial<TaskMemo>,
      createdMs: createdMsOf(info),
      status,
      // Once its run has started, a one-time task has no next execution.
      nextMs: status === 'active' ? dueAtMs : null,
      executor: info.typedSearchAttributes.get(PulseExecutor) ?? null,
      uiUrl: deps.uiUrlFor(info.workflowId, 'once'),
    });
  }

  /** Status, due time and runs: live from the workflow while it runs, from its record once it is closed. */
  async function snapshot(handle: WorkflowHandle, description: WorkflowExecutionDescription) {
    if (description.status.name === 'RUNNING') {
      try {
        const state = await liveTaskState(client, handle);
        return {
          status: liveOnceStatus(state, now().getTime()),
          dueAtMs: state.dueAtMs,
          runs: state.runs,
        };
      } catch {
        // No worker answering the query right now (or in time): what the workflow keeps in its search attributes
        // and memo is the next best thing, and a read must not fail for it.
        const run = description.memo?.run as RunRecord | undefined;
        return {
          status: statusOf(description, now().getTime()),
          dueAtMs: description.typedSearchAttributes.get(PulseDueAt)?.getTime() ?? null,
          runs: run ? [run] : [],
        };
      }
    }
    return {
      status: statusOf(description, now().getTime()),
      dueAtMs: null,
      runs: await closedRuns(handle, description.memo),
    };
  }

  /**
   * An adaptive task's runs before its current execution: each continued as new after its run, and keeps that
   * run in its memo.
   */
  async function earlierRuns(taskId: string): Promise<RunRecord[]> {
    const query = `WorkflowId = ${quote(taskId)} AND ExecutionStatus = 'ContinuedAsNew'`;
    const runs: RunRecord[] = [];
    for await (const info of client.workflow.list({ query, pageSize: 1000 })) {
      const run = info.memo?.run as RunRecord | undefined;
      if (run?.status) runs.push(run);
    }
    return runs.sort((a, b) => a.startedAtMs - b.startedAtMs);
  }

  function loaded(
    handle: WorkflowHandle,
    description: WorkflowExecutionDescription,
    snap: { status: TaskStatus; dueAtMs: number | null; runs: readonly RunRecord[] },
  ): LoadedTask {
    const taskId = description.workflowId;
    const view = viewOf(description, snap.status, snap.dueAtMs);
    const update = <T>(call: () => Promise<T>) => onTemporal(taskId, call);
    const reschedule = (dueAtMs: number, triggerInput?: TriggerInput) =>
      update(() =>
        handle.executeUpdate(rescheduleUpdate, {
          args: [{ dueAtMs, ...(triggerInput ? { triggerInput } : {}) }],
        }),
      );
    const setPaused = (paused: boolean) =>
      update(() => handle.executeUpdate(setPausedUpdate, { args: [{ paused }] }));
    return {
      kind: 'once',
      view,
      runs: snap.runs,
      memo: (description.memo ?? {}) as Partial<TaskMemo>,
      cannotChangeKind: `Task '${taskId}' runs once; to make it recurring, DELETE it and schedule a recurring task.`,

      async cancel() {
        if (view.status === 'cancelled') return;
        if (description.status.name !== 'RUNNING') {
          const ended = view.status === 'completed' ? 'completed' : `ended as ${view.status}`;
          throw new ConflictError(
            'TASK_FINISHED',
            `Task '${taskId}' already ${ended}; there is nothing to cancel.`,
          );
        }
        await update(() => handle.cancel());
        // The result of a cancelled workflow is a failure, and the wait may time out: only the wait matters.
        await client.connection
          .withDeadline(Date.now() + CANCEL_SETTLE_MS, () => handle.result())
          .catch(() => undefined);
        await untilVisiblyClosed(client, taskId, description.runId);
      },

      async amend(built, patch) {
        if (view.status === 'processing') {
          throw new ConflictError(
            'INVALID_STATE',
            `Task '${taskId}' is running; it can no longer be changed.`,
          );
        }
        const { dueAtMs: _dueAtMs, taskId: _taskId, ...work } = built.input;
        await update(() =>
          handle.executeUpdate(amendUpdate, {
            args: [{ input: work, memo: { ...built.memo }, attributes: built.attributes }],
          }),
        );
        if (patch.when !== undefined || patch.timezone !== undefined) await reschedule(built.dueAt.getTime());
      },

      setPaused: async (paused) => {
        await setPaused(paused);
      },

      async trigger(triggerInput) {
        if (!canTriggerOnce(view.status)) {
          throw new ConflictError('INVALID_STATE', `Task '${taskId}' is ${view.status}; it runs only once.`);
        }
        await reschedule(now().getTime(), triggerInput);
        if (view.status === 'paused') await setPaused(false);
      },

      async nextRuns() {
        const next = view.next_execution_iso;
        return next && view.status !== 'paused' ? [new Date(next)] : [];
      },

      resultOf: async (run) => run.result,
    };
  }

  return {
    name: 'once',
    owns: (built) => built.recurrence === undefined,

    async start(built, { idempotent }) {
      await client.workflow.start<(input: ScheduledTaskInput) => Promise<RunRecord>>(
        SCHEDULED_TASK_WORKFLOW,
        {
          taskQueue,
          workflowId: built.taskId,
          args: [built.input],
          memo: { ...built.memo },
          typedSearchAttributes: built.searchAttributes,
          // What the Web UI lists and shows for the task, instead of a bare id and type.
          staticSummary: staticSummaryOf(built),
          staticDetails: staticDetailsOf(built),
          ...(built.priority ? { priority: built.priority } : {}),
          // An idempotency key names one task for good: a finished task is not started again by a late retry.
          ...(idempotent ? { workflowIdReusePolicy: 'REJECT_DUPLICATE' as const } : {}),
        },
      );
      return built.dueAt;
    },

    async load(taskId) {
      const handle = client.workflow.getHandle(taskId);
      const description = await ifExists(taskId, () => handle.describe());
      // Not ours (some other workflow under this id, or another Pulse's task on this namespace), or none: perhaps a
      // recurring task.
      if (description?.type !== SCHEDULED_TASK_WORKFLOW || description.taskQueue !== taskQueue)
        return undefined;
      const snap = await snapshot(handle, description);
      if (!isAdaptive(description.memo)) return loaded(handle, description, snap);
      const current = new Set(snap.runs.map((r) => r.executionId));
      const earlier = (await earlierRuns(taskId)).filter((r) => !current.has(r.executionId));
      return loaded(handle, description, { ...snap, runs: [...earlier, ...snap.runs] });
    },

    async list(filters: KindListFilters): Promise<ListedTask[]> {
      const clauses = [
        ...scheduledTasksOn(taskQueue),
        'TemporalScheduledById IS NULL',
        'PulseTaskId IS NULL',
        // An adaptive task's earlier executions are its past runs, not tasks.
        `ExecutionStatus != 'ContinuedAsNew'`,
        ...tenantClause(),
      ];
      if (filters.scheduleType) clauses.push(`PulseScheduleType = ${quote(filters.scheduleType)}`);
      if (filters.agentId) clauses.push(`PulseAgentId = ${quote(filters.agentId)}`);
      if (filters.status) clauses.push(onceStatusQuery(filters.status, now()));
      // A one-time task's next execution is its PulseDueAt, while it runs: a closed task has none, whatever
      // PulseDueAt it kept (one terminated from the Temporal CLI keeps the time it was due).
      if (filters.fromMs !== undefined || filters.toMs !== undefined)
        clauses.push(`ExecutionStatus = 'Running'`);
      if (filters.fromMs !== undefined)
        clauses.push(`PulseDueAt >= ${quote(new Date(filters.fromMs).toISOString())}`);
      if (filters.toMs !== undefined)
        clauses.push(`PulseDueAt <= ${quote(new Date(filters.toMs).toISOString())}`);
      const listed: ListedTask[] = [];
      for await (const info of client.workflow.list({ query: clauses.join(' AND '), pageSize: 1000 })) {
        const dueAt = info.typedSearchAttributes.get(PulseDueAt);
        listed.push({
          view: viewOf(info, statusOf(info, now().getTime()), dueAt?.getTime() ?? null),
          createdMs: createdMsOf(info),
        });
        if (listed.length >= filters.limit) break;
      }
      return listed;
    },
  };
}
