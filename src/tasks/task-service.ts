/**
 * The API's view of tasks, on top of Temporal: scheduling starts a `scheduledTask` workflow whose id is the task
 * id; reading combines the workflow's description (memo, search attributes), its `taskState` query while it
 * runs, and its result once it is closed. Listing is a visibility query, so nothing lives in memory here.
 */
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  type WorkflowExecutionDescription,
  type WorkflowExecutionInfo,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers.js';
import { createHash, randomUUID } from 'node:crypto';
import type { ScheduleTaskRequest } from '../api/schemas.js';
import { BadRequestError, ConflictError, TaskNotFoundError } from '../errors.js';
import type { ExecutorFactory } from '../executors/executor-factory.js';
import { FailureType } from '../shared/failure-types.js';
import {
  PulseDueAt,
  PulseExecutor,
  PulseStatus,
  SCHEDULED_TASK_WORKFLOW,
} from '../shared/search-attributes.js';
import { taskStateQuery } from '../shared/task-messages.js';
import type { RunRecord, ScheduledTaskInput, TaskState, TaskStatus } from '../shared/task-types.js';
import { translateTemporalError } from '../temporal/temporal-errors.js';
import { buildTask, type TaskMemo } from './build-task.js';

export interface TaskServiceDeps {
  readonly client: Client;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly executors: ExecutorFactory;
  readonly uiUrl: string;
  readonly defaultTimezone: string;
  readonly now?: () => Date;
}

export interface RunView {
  execution_id: string;
  status: string;
  scheduled_for: string;
  executed_at: number;
  executed_at_iso: string;
  execution_time_ms: number;
  result: unknown;
  error: string | null;
  callback: Record<string, unknown> | null;
}

export interface TaskView {
  id: string;
  schedule_type: string;
  created_at: number;
  created_at_iso: string;
  payload: Record<string, unknown>;
  schedule_config: Record<string, unknown>;
  status: TaskStatus;
  metadata: Record<string, unknown>;
  next_execution: number | null;
  next_execution_iso: string | null;
  executor: string | null;
  workflow_id: string;
  ui_url: string;
  runs?: RunView[];
  last_run?: RunView | null;
}

export interface ListFilters {
  status?: TaskStatus;
  schedule_type?: string;
  agent_id?: string;
  limit: number;
  offset: number;
  cursor?: string;
}

/** The parts of a workflow's description or list entry a task view is built from. */
type TaskInfo = Omit<WorkflowExecutionInfo, 'raw'>;

/** A task's live state: its description plus what the workflow itself reports. */
interface TaskSnapshot {
  readonly description: WorkflowExecutionDescription;
  readonly status: TaskStatus;
  readonly dueAtMs: number | null;
  readonly runs: readonly RunRecord[];
}

// Short: a query with no worker polling waits out the whole deadline, and the fallback is nearly as good.
const QUERY_DEADLINE_MS = 2000;
const CANCEL_SETTLE_MS = 5000;

const unixSeconds = (ms: number): number => Math.floor(ms / 1000);
const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Quotes a value for a visibility query. */
function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function toRunView(run: RunRecord): RunView {
  return {
    execution_id: run.executionId,
    status: run.status,
    scheduled_for: run.scheduledFor,
    executed_at: unixSeconds(run.startedAtMs),
    executed_at_iso: isoSeconds(run.startedAtMs),
    execution_time_ms: run.executionTimeMs,
    result: run.result,
    error: run.error ?? null,
    callback: run.callback ? { ...run.callback } : null,
  };
}

/**
 * A task's status from its workflow's execution status and the status it last reported. A cancelled or terminated
 * workflow is a cancelled task even if its run had finished (the user stopped what was left, e.g. the callback).
 * `statusClause` below is the same rule as a visibility query; keep the two in step.
 */
function statusFromExecution(info: TaskInfo, reported: TaskStatus | undefined): TaskStatus {
  switch (info.status.name) {
    case 'RUNNING':
      return reported ?? 'active';
    case 'COMPLETED':
      return 'completed';
    case 'CANCELLED':
    case 'TERMINATED':
      return 'cancelled';
    default:
      return 'failed';
  }
}

/** Visibility-query form of `statusFromExecution`. */
function statusClause(status: TaskStatus): string {
  switch (status) {
    case 'active':
    case 'paused':
    case 'processing':
      return `(PulseStatus = '${status}' AND ExecutionStatus = 'Running')`;
    case 'completed':
      return `(ExecutionStatus = 'Completed' OR (PulseStatus = 'completed' AND ExecutionStatus = 'Running'))`;
    case 'failed':
      return `(ExecutionStatus IN ('Failed', 'TimedOut') OR (PulseStatus = 'failed' AND ExecutionStatus = 'Running'))`;
    case 'cancelled':
      return `ExecutionStatus IN ('Canceled', 'Terminated')`;
  }
}

export type TaskService = ReturnType<typeof createTaskService>;

export function createTaskService(deps: TaskServiceDeps) {
  const { client, namespace, taskQueue } = deps;
  const now = deps.now ?? (() => new Date());

  const uiUrlFor = (taskId: string): string =>
    `${deps.uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(taskId)}`;

  function baseView(info: TaskInfo, status: TaskStatus, dueAtMs: number | null): TaskView {
    const memo = (info.memo ?? {}) as Partial<TaskMemo>;
    const createdMs = info.startTime.getTime();
    const nextMs = status === 'active' ? dueAtMs : null;
    return {
      id: info.workflowId,
      schedule_type: memo.schedule_type ?? 'unknown',
      created_at: unixSeconds(createdMs),
      created_at_iso: isoSeconds(createdMs),
      payload: memo.payload ?? {},
      schedule_config: memo.schedule_config ?? {},
      status,
      metadata: memo.metadata ?? {},
      next_execution: nextMs === null ? null : unixSeconds(nextMs),
      next_execution_iso: nextMs === null ? null : new Date(nextMs).toISOString(),
      executor: info.typedSearchAttributes.get(PulseExecutor) ?? null,
      workflow_id: info.workflowId,
      ui_url: uiUrlFor(info.workflowId),
    };
  }

  async function describeTask(
    taskId: string,
  ): Promise<{ handle: WorkflowHandle; description: WorkflowExecutionDescription }> {
    const handle = client.workflow.getHandle(taskId);
    try {
      const description = await handle.describe();
      if (description.type !== SCHEDULED_TASK_WORKFLOW) throw new TaskNotFoundError(taskId);
      return { handle, description };
    } catch (err) {
      throw translateTemporalError(err, taskId);
    }
  }

  /**
   * Reads the run record a closed workflow ended with (its result, or the detail of its failure); for a workflow
   * cancelled after its run (e.g. during callback delivery), the run the workflow kept in its memo.
   */
  async function closedRuns(
    handle: WorkflowHandle,
    memo: Record<string, unknown> | undefined,
  ): Promise<RunRecord[]> {
    const fromMemo = memo?.run as (RunRecord & { resultOmitted?: boolean }) | undefined;
    try {
      const run = (await handle.result()) as RunRecord | undefined;
      return run ? [run] : [];
    } catch (err) {
      if (err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure) {
        if (err.cause.type === FailureType.RunFailed && err.cause.details?.[0]) {
          return [err.cause.details[0] as RunRecord];
        }
      }
      return fromMemo ? [fromMemo] : [];
    }
  }

  async function snapshot(taskId: string): Promise<TaskSnapshot> {
    const { handle, description } = await describeTask(taskId);
    const reported = description.typedSearchAttributes.get(PulseStatus) as TaskStatus | undefined;
    const dueAt = description.typedSearchAttributes.get(PulseDueAt);
    if (description.status.name === 'RUNNING') {
      try {
        const state: TaskState = await client.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
          handle.query(taskStateQuery),
        );
        return { description, status: state.status, dueAtMs: state.dueAtMs, runs: state.runs };
      } catch {
        // No worker answering right now: what the workflow keeps in its search attributes and memo is the next
        // best thing.
        const run = description.memo?.run as RunRecord | undefined;
        return {
          description,
          status: reported ?? 'active',
          dueAtMs: dueAt?.getTime() ?? null,
          runs: run ? [run] : [],
        };
      }
    }
    const runs = await closedRuns(handle, description.memo);
    return { description, status: statusFromExecution(description, reported), dueAtMs: null, runs };
  }

  function fullView(snap: TaskSnapshot): TaskView {
    const runs = snap.runs.map(toRunView);
    return {
      ...baseView(snap.description, snap.status, snap.dueAtMs),
      runs,
      last_run: runs.length > 0 ? runs[runs.length - 1]! : null,
    };
  }

  return {
    uiUrlFor,

    /** Validates and starts a task; nothing is started when validation fails. */
    async schedule(body: ScheduleTaskRequest) {
      const taskId = `task_${randomUUID().replace(/-/g, '')}`;
      const built = buildTask(body, {
        executors: deps.executors,
        now: now(),
        defaultTimezone: deps.defaultTimezone,
        taskId,
      });
      try {
        await client.workflow.start<(input: ScheduledTaskInput) => Promise<RunRecord>>(
          SCHEDULED_TASK_WORKFLOW,
          {
            taskQueue,
            workflowId: taskId,
            args: [built.input],
            memo: { ...built.memo },
            typedSearchAttributes: built.searchAttributes,
          },
        );
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) {
          throw new ConflictError('TASK_EXISTS', `A task with id '${taskId}' already exists.`);
        }
        throw translateTemporalError(err, taskId);
      }
      return {
        task_id: taskId,
        schedule_type: body.schedule_type,
        next_execution: built.dueAt.toISOString(),
        status: 'active' as const,
        workflow_id: taskId,
        ui_url: uiUrlFor(taskId),
      };
    },

    async get(taskId: string): Promise<TaskView> {
      return fullView(await snapshot(taskId));
    },

    async list(
      filters: ListFilters,
    ): Promise<{ tasks: TaskView[]; count: number; next_cursor: string | null }> {
      const clauses = [`WorkflowType = ${quote(SCHEDULED_TASK_WORKFLOW)}`, `TaskQueue = ${quote(taskQueue)}`];
      if (filters.schedule_type) clauses.push(`PulseScheduleType = ${quote(filters.schedule_type)}`);
      if (filters.agent_id) clauses.push(`PulseAgentId = ${quote(filters.agent_id)}`);
      if (filters.status) clauses.push(statusClause(filters.status));
      const query = clauses.join(' AND ');
      let token: Uint8Array | undefined = filters.cursor ? decodeCursor(filters.cursor, query) : undefined;
      let toSkip = filters.cursor ? 0 : filters.offset;
      const tasks: TaskView[] = [];
      try {
        do {
          const page = await client.workflowService.listWorkflowExecutions({
            namespace,
            query,
            pageSize: Math.min(1000, toSkip + filters.limit - tasks.length),
            nextPageToken: token,
          });
          for (const raw of page.executions ?? []) {
            if (toSkip > 0) {
              toSkip--;
              continue;
            }
            if (tasks.length >= filters.limit) break;
            const info = await executionInfoFromRaw(raw, client.options.loadedDataConverter, raw, namespace);
            const reported = info.typedSearchAttributes.get(PulseStatus) as TaskStatus | undefined;
            const dueAt = info.typedSearchAttributes.get(PulseDueAt);
            tasks.push(baseView(info, statusFromExecution(info, reported), dueAt?.getTime() ?? null));
          }
          token = page.nextPageToken?.length ? page.nextPageToken : undefined;
        } while (token && tasks.length < filters.limit);
      } catch (err) {
        // The server cannot always tell a forged page token from a broken one; either way the cursor is at fault.
        if (filters.cursor) throw invalidCursor();
        throw translateTemporalError(err);
      }
      return {
        tasks,
        count: tasks.length,
        next_cursor: token ? encodeCursor(token, query) : null,
      };
    },

    /** Cancels a task; a run in progress is cancelled too. Cancelling a cancelled task is a no-op. */
    async cancel(taskId: string): Promise<{ status: 'cancelled'; task_id: string }> {
      const snap = await snapshot(taskId);
      if (snap.status === 'cancelled') return { status: 'cancelled', task_id: taskId };
      if (snap.description.status.name !== 'RUNNING') {
        throw new ConflictError(
          'TASK_FINISHED',
          `Task '${taskId}' already ${snap.status === 'completed' ? 'completed' : 'ended as ' + snap.status}; there is nothing to cancel.`,
        );
      }
      const handle = client.workflow.getHandle(taskId);
      try {
        await handle.cancel();
      } catch (err) {
        throw translateTemporalError(err, taskId);
      }
      // Wait briefly for the workflow to acknowledge, so a GET right after the DELETE already says cancelled.
      await client.connection
        .withDeadline(Date.now() + CANCEL_SETTLE_MS, () => handle.result())
        .catch(() => undefined);
      return { status: 'cancelled', task_id: taskId };
    },

    async history(taskId: string, limit: number) {
      const snap = await snapshot(taskId);
      const history = [...snap.runs]
        .reverse()
        .slice(0, limit)
        .map((run) => {
          const view = toRunView(run);
          return {
            execution_id: view.execution_id,
            executed_at: view.executed_at,
            executed_at_iso: view.executed_at_iso,
            status: view.status,
            execution_time_ms: view.execution_time_ms,
            error: view.error,
          };
        });
      return { history };
    },

    async result(taskId: string, executionId?: string) {
      const snap = await snapshot(taskId);
      const run = executionId
        ? snap.runs.find((r) => r.executionId === executionId)
        : snap.runs[snap.runs.length - 1];
      if (!run) {
        if (executionId) {
          return {
            status: 'not_found' as const,
            result: null,
            execution_id: executionId,
            error: `Task '${taskId}' has no run '${executionId}'.`,
          };
        }
        if (['active', 'paused', 'processing'].includes(snap.status)) {
          return { status: 'pending' as const, result: null, execution_id: null };
        }
        return {
          status: 'not_found' as const,
          result: null,
          execution_id: null,
          error: `Task '${taskId}' is ${snap.status} and never ran.`,
        };
      }
      return {
        status: run.status === 'success' ? ('completed' as const) : ('failed' as const),
        result: run.result,
        execution_id: run.executionId,
        ...(run.error !== undefined ? { error: run.error } : {}),
      };
    },
  };
}

const invalidCursor = () =>
  new BadRequestError(
    'INVALID_CURSOR',
    'cursor is not a next_cursor returned by GET /tasks with the same filters.',
  );

/** A cursor is Temporal's page token tied to the query it belongs to, so it cannot be reused with other filters. */
function encodeCursor(token: Uint8Array, query: string): string {
  return Buffer.from(
    JSON.stringify({
      q: createHash('sha256').update(query).digest('base64url').slice(0, 16),
      t: Buffer.from(token).toString('base64url'),
    }),
  ).toString('base64url');
}

function decodeCursor(cursor: string, query: string): Uint8Array {
  try {
    const { q, t } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      q?: unknown;
      t?: unknown;
    };
    const expected = createHash('sha256').update(query).digest('base64url').slice(0, 16);
    if (q !== expected || typeof t !== 'string' || t === '') throw invalidCursor();
    return Buffer.from(t, 'base64url');
  } catch {
    throw invalidCursor();
  }
}
