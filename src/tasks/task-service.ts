/**
 * The API's view of tasks, on top of Temporal. A one-time task is a `scheduledTask` workflow whose id is the task
 * id: reading it combines the workflow's description (memo, search attributes), its `taskState` query while it
 * runs, and its result once it is closed. A recurring task is a Temporal Schedule with the same id
 * (`recurring-tasks.ts`). Listing is a visibility query, so nothing lives in memory here.
 */
import {
  type Client,
  ScheduleAlreadyRunning,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  type WorkflowExecutionDescription,
  type WorkflowExecutionInfo,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createHash, randomUUID } from 'node:crypto';
import type { PatchTaskRequest, ScheduleTaskRequest } from '../api/schemas.js';
import { BadRequestError, ConflictError, TaskNotFoundError } from '../errors.js';
import type { ExecutorFactory } from '../executors/executor-factory.js';
import { EXTERNAL_EXECUTOR } from '../shared/executor-names.js';
import { FailureType } from '../shared/failure-types.js';
import {
  PulseAgentId,
  PulseDueAt,
  PulseExecutor,
  PulseStatus,
  SCHEDULED_TASK_WORKFLOW,
} from '../shared/search-attributes.js';
import {
  type AmendRequest,
  amendUpdate,
  rescheduleUpdate,
  setPausedUpdate,
  taskStateQuery,
} from '../shared/task-messages.js';
import type { RunRecord, ScheduledTaskInput, TaskState, TaskStatus } from '../shared/task-types.js';
import { translateTemporalError } from '../temporal/temporal-errors.js';
import { WhenParseError, previewFireTimes } from '../time/parse-when.js';
import { isValidTimeZone } from '../time/time-zone.js';
import {
  createDestinationGuard,
  DestinationRefusedError,
  type DestinationGuard,
} from '../security/ssrf-guard.js';
import { buildTask, parseSchedule, type BuiltTask, type TaskMemo } from './build-task.js';
import { createExternalWorkers } from './external-workers.js';
import { createRecurringTasks, type RecurringSnapshot } from './recurring-tasks.js';

export interface TaskServiceDeps {
  readonly client: Client;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly executors: ExecutorFactory;
  readonly uiUrl: string;
  readonly defaultTimezone: string;
  /** Refuses user-supplied destinations in private, loopback or metadata address space (the SSRF guard). */
  readonly destinationGuard?: DestinationGuard;
  /** `PULSE_MAX_RESULT_BYTES`: largest result kept (applies to external workers' acks here). */
  readonly maxResultBytes?: number;
  /** `PULSE_WORKER_LEASE`: how long an external worker's claim lasts without an ack. */
  readonly workerLeaseMs?: number;
  /** `PULSE_CALLBACK_WINDOW` in ms: how long callbacks are retried by default. */
  readonly callbackWindowMs?: number;
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
  /** `once` (a workflow) or `recurring` (a Temporal Schedule). */
  kind: 'once' | 'recurring';
  callback_url: string | null;
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
  /** Only tasks whose next execution is at or after this time (unix seconds). */
  start_time?: number;
  /** Only tasks whose next execution is at or before this time (unix seconds). */
  end_time?: number;
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
/** Most tasks of each kind one `GET /tasks` reads before sorting (pages beyond it are not reachable). */
const MAX_LIST_SCAN = 10_000;
const CANCEL_SETTLE_MS = 5000;

/** `/result`'s status for a run's outcome (CONTRACT.md names the first two; a run stopped by a cancel is the third). */
const RESULT_STATUS = { success: 'completed', failed: 'failed', cancelled: 'cancelled' } as const;

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
 * A running task that still reports `active` past its due time has started its run: the workflow publishes
 * `processing` only once a run has taken a couple of seconds (`QUIET_START_MS`). Tasks left to external workers
 * are the exception: theirs stays `active` until a worker claims it.
 * `statusClause` below is the same rule as a visibility query; keep the two in step.
 */
function statusFromExecution(info: TaskInfo, reported: TaskStatus | undefined, nowMs: number): TaskStatus {
  switch (info.status.name) {
    case 'RUNNING': {
      const dueAtMs = info.typedSearchAttributes.get(PulseDueAt)?.getTime();
      const external = info.typedSearchAttributes.get(PulseExecutor) === EXTERNAL_EXECUTOR;
      if (reported === 'active' && !external && dueAtMs !== undefined && dueAtMs <= nowMs)
        return 'processing';
      return reported ?? 'active';
    }
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
function statusClause(status: TaskStatus, now: Date): string {
  const due = quote(now.toISOString());
  const external = quote(EXTERNAL_EXECUTOR);
  const started = `(PulseStatus = 'active' AND PulseDueAt <= ${due} AND PulseExecutor != ${external})`;
  switch (status) {
    case 'active':
      return `(PulseStatus = 'active' AND ExecutionStatus = 'Running' AND (PulseDueAt > ${due} OR PulseDueAt IS NULL OR PulseExecutor = ${external}))`;
    case 'processing':
      return `((PulseStatus = 'processing' OR ${started}) AND ExecutionStatus = 'Running')`;
    case 'paused':
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
  const recurring = createRecurringTasks({ client, namespace, taskQueue });
  // Secure by default: without an explicit guard, private and metadata destinations are refused.
  const guard =
    deps.destinationGuard ?? createDestinationGuard({ allowPrivateNetworks: false, allowedHosts: [] });

  /**
   * Every destination the task will connect to, checked now, so a refused one is a 400 at schedule time. The
   * same guard checks the address again at connection time (DNS may change in between).
   */
  async function checkDestinations(built: BuiltTask): Promise<void> {
    const input = built.input;
    const targets: Array<[string, string]> = [];
    if (input.callbackUrl) targets.push(['callback_url', input.callbackUrl]);
    if (input.webhook) targets.push(['webhook_url', input.webhook.url]);
    if (input.scheduleType === 'http_request' && typeof input.payload.url === 'string') {
      targets.push(['payload.url', input.payload.url]);
    }
    const host = input.payload.agent_host ?? input.metadata?.agent_host;
    const port = input.payload.agent_port ?? input.metadata?.agent_port;
    if (input.executor === 'local' && (host != null || port != null)) {
      const name = String(host ?? '127.0.0.1');
      targets.push([
        'payload.agent_host',
        `http://${name.includes(':') && !name.startsWith('[') ? `[${name}]` : name}:${port ?? 8450}/`,
      ]);
    }
    for (const [field, url] of targets) {
      try {
        await guard.checkUrl(url, field);
      } catch (err) {
        if (err instanceof DestinationRefusedError) {
          throw new BadRequestError('DESTINATION_REFUSED', err.message, [{ field, message: err.reason }]);
        }
        throw err;
      }
    }
  }
  const workers = createExternalWorkers({
    client,
    taskQueue,
    now,
    leaseMs: deps.workerLeaseMs,
    maxResultBytes: deps.maxResultBytes,
  });

  const uiUrlFor = (taskId: string, kind: 'once' | 'recurring' = 'once'): string =>
    `${deps.uiUrl}/namespaces/${encodeURIComponent(namespace)}/${kind === 'once' ? 'workflows' : 'schedules'}/${encodeURIComponent(taskId)}`;

  function viewOf(fields: {
    taskId: string;
    kind: 'once' | 'recurring';
    memo: Partial<TaskMemo>;
    createdMs: number;
    status: TaskStatus;
    nextMs: number | null;
    executor: string | null;
  }): TaskView {
    const next = fields.status === 'active' || fields.status === 'processing' ? fields.nextMs : null;
    return {
      id: fields.taskId,
      schedule_type: fields.memo.schedule_type ?? 'unknown',
      created_at: unixSeconds(fields.createdMs),
      created_at_iso: isoSeconds(fields.createdMs),
      payload: fields.memo.payload ?? {},
      schedule_config: fields.memo.schedule_config ?? {},
      status: fields.status,
      metadata: fields.memo.metadata ?? {},
      next_execution: next === null ? null : unixSeconds(next),
      next_execution_iso: next === null ? null : new Date(next).toISOString(),
      executor: fields.executor,
      workflow_id: fields.taskId,
      ui_url: uiUrlFor(fields.taskId, fields.kind),
      kind: fields.kind,
      callback_url: fields.memo.callback_url ?? null,
    };
  }

  function onceView(info: TaskInfo, status: TaskStatus, dueAtMs: number | null): TaskView {
    return viewOf({
      taskId: info.workflowId,
      kind: 'once',
      memo: (info.memo ?? {}) as Partial<TaskMemo>,
      createdMs: info.startTime.getTime(),
      status,
      nextMs: status === 'active' ? dueAtMs : null,
      executor: info.typedSearchAttributes.get(PulseExecutor) ?? null,
    });
  }

  /** Describes the one-time task's workflow; undefined when there is none (it may be a recurring task). */
  async function describeOnce(
    taskId: string,
  ): Promise<{ handle: WorkflowHandle; description: WorkflowExecutionDescription } | undefined> {
    const handle = client.workflow.getHandle(taskId);
    try {
      const description = await handle.describe();
      if (description.type !== SCHEDULED_TASK_WORKFLOW) return undefined;
      return { handle, description };
    } catch (err) {
      const translated = translateTemporalError(err, taskId);
      if (translated instanceof TaskNotFoundError) return undefined;
      throw translated;
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
      return fromMemo ? [fromMemo] : [];
    }
  }

  async function onceSnapshot(taskId: string): Promise<TaskSnapshot | undefined> {
    const found = await describeOnce(taskId);
    if (!found) return undefined;
    const { handle, description } = found;
    const reported = description.typedSearchAttributes.get(PulseStatus) as TaskStatus | undefined;
    const dueAt = description.typedSearchAttributes.get(PulseDueAt);
    if (description.status.name === 'RUNNING') {
      try {
        const state: TaskState = await client.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
          handle.query(taskStateQuery),
        );
        // A claim whose lease ran out leaves the task waiting for a worker again (the workflow sets no timer
        // for it, so its own status still says processing).
        const leaseLapsed = state.leaseExpiresAtMs !== undefined && state.leaseExpiresAtMs <= now().getTime();
        return {
          description,
          status: leaseLapsed ? 'active' : state.status,
          dueAtMs: state.dueAtMs,
          runs: state.runs,
        };
      } catch {
        // No worker answering right now: what the workflow keeps in its search attributes and memo is the next
        // best thing.
        const run = description.memo?.run as RunRecord | undefined;
        return {
          description,
          status: statusFromExecution(description, reported, now().getTime()),
          dueAtMs: dueAt?.getTime() ?? null,
          runs: run ? [run] : [],
        };
      }
    }
    const runs = await closedRuns(handle, description.memo);
    return {
      description,
      status: statusFromExecution(description, reported, now().getTime()),
      dueAtMs: null,
      runs,
    };
  }

  type Loaded =
    | {
        readonly kind: 'once';
        readonly snap: TaskSnapshot;
        readonly view: TaskView;
        readonly runs: RunRecord[];
      }
    | {
        readonly kind: 'recurring';
        readonly snap: RecurringSnapshot;
        readonly view: TaskView;
        readonly runs: RunRecord[];
      };

  /** Finds a task of either kind, with its runs oldest first. */
  async function load(taskId: string): Promise<Loaded> {
    const once = await onceSnapshot(taskId);
    if (once) {
      return {
        kind: 'once',
        snap: once,
        view: onceView(once.description, once.status, once.dueAtMs),
        runs: [...once.runs],
      };
    }
    const snap = await recurring.snapshot(taskId);
    if (!snap) throw new TaskNotFoundError(taskId);
    const runs = snap.runs
      .filter((r) => r.record)
      .map((r) => r.record!)
      .sort((a, b) => a.startedAtMs - b.startedAtMs);
    const view = viewOf({
      taskId,
      kind: 'recurring',
      memo: snap.memo,
      createdMs: snap.createdAtMs,
      status: snap.status,
      nextMs: snap.nextRunMs,
      executor: snap.executor,
    });
    return { kind: 'recurring', snap, view, runs };
  }

  /**
   * The task an earlier request with the same idempotency key created, as that request's response; a 409 when
   * the key was used for a different request; undefined when the key is new.
   */
  async function earlierTask(taskId: string, requestHash: string) {
    let loaded: Loaded;
    try {
      loaded = await load(taskId);
    } catch (err) {
      if (err instanceof TaskNotFoundError) return undefined;
      throw err;
    }
    const memo = (loaded.kind === 'once' ? loaded.snap.description.memo : loaded.snap.memo) as
      { request_hash?: string } | undefined;
    if (memo?.request_hash !== requestHash) {
      throw new ConflictError(
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was already used with a different request body; use a new key for a new task.',
      );
    }
    const config = loaded.view.schedule_config as { due_at?: string };
    return {
      task_id: taskId,
      schedule_type: loaded.view.schedule_type,
      next_execution: loaded.view.next_execution_iso ?? config.due_at ?? null,
      status: 'active' as const,
      workflow_id: taskId,
      ui_url: loaded.view.ui_url,
      executor: loaded.view.executor ?? undefined,
    };
  }

  function withRuns(loaded: Loaded): TaskView {
    const runs = loaded.runs.map(toRunView);
    return { ...loaded.view, runs, last_run: runs.length > 0 ? runs[runs.length - 1]! : null };
  }

  /** Rebuilds the request a task was scheduled with, with a patch applied, so it is validated like a new one. */
  function patchedRequest(view: TaskView, patch: PatchTaskRequest): ScheduleTaskRequest {
    const config = view.schedule_config as Record<string, unknown>;
    const whenChanged = patch.when !== undefined || patch.repeat !== undefined;
    return {
      schedule_type: view.schedule_type,
      when: (patch.when ?? config.when) as ScheduleTaskRequest['when'],
      payload: patch.payload ?? view.payload,
      metadata: patch.metadata ?? view.metadata,
      repeat: (patch.repeat !== undefined
        ? patch.repeat
        : whenChanged && patch.when !== undefined
          ? undefined
          : config.repeat) as ScheduleTaskRequest['repeat'],
      timezone: patch.timezone ?? (config.timezone as string | undefined),
      policy: config.policy as ScheduleTaskRequest['policy'],
      retry: config.retry as ScheduleTaskRequest['retry'],
      webhook_url: config.webhook_url as string | undefined,
      webhook_timeout: config.webhook_timeout as number | undefined,
      webhook_retries: config.webhook_retries as number | undefined,
      // A patched metadata.callback_url replaces the callback; otherwise the task keeps the one it has.
      callback_url:
        patch.metadata && typeof patch.metadata.callback_url === 'string'
          ? patch.metadata.callback_url
          : (view.callback_url ?? undefined),
      callback_window: config.callback_window as string | undefined,
    };
  }

  function assertChangeable(view: TaskView): void {
    if (['completed', 'failed', 'cancelled'].includes(view.status)) {
      throw new ConflictError(
        'INVALID_STATE',
        `Task '${view.id}' is ${view.status}; it can no longer be changed.`,
      );
    }
  }

  async function oneTimeUpdate<T>(taskId: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw translateTemporalError(err, taskId);
    }
  }

  return {
    uiUrlFor,
    poll: workers.poll,
    claim: workers.claim,
    ack: workers.ack,

    /** Validates and starts a task; nothing is started when validation fails. */
    async schedule(body: ScheduleTaskRequest, idempotency?: IdempotencyKey) {
      const requestHash = idempotency ? hashRequest(body) : undefined;
      const taskId = idempotency ? idempotentTaskId(idempotency) : `task_${randomUUID().replace(/-/g, '')}`;
      const startedAt = now();
      const built = buildTask(body, {
        executors: deps.executors,
        now: startedAt,
        defaultTimezone: deps.defaultTimezone,
        callbackWindowMs: deps.callbackWindowMs,
        taskId,
      });
      await checkDestinations(built);
      const memo = { ...built.memo, ...(requestHash ? { request_hash: requestHash } : {}) };
      const response = (nextExecution: string, kind: 'once' | 'recurring') => ({
        task_id: taskId,
        schedule_type: body.schedule_type,
        next_execution: nextExecution,
        status: 'active' as const,
        workflow_id: taskId,
        ui_url: uiUrlFor(taskId, kind),
        executor: built.input.executor,
      });
      // The same key again: answer with the task the first request created, start nothing.
      if (requestHash) {
        const earlier = await earlierTask(taskId, requestHash);
        if (earlier) return earlier;
      }
      try {
        if (built.recurrence) {
          const { nextRun } = await recurring.create({ ...built, memo }, startedAt);
          return response(nextRun.toISOString(), 'recurring');
        }
        await client.workflow.start<(input: ScheduledTaskInput) => Promise<RunRecord>>(
          SCHEDULED_TASK_WORKFLOW,
          {
            taskQueue,
            workflowId: taskId,
            args: [built.input],
            memo,
            typedSearchAttributes: built.searchAttributes,
            // An idempotency key names one task for good: a finished task is not started again by a late retry.
            ...(requestHash ? { workflowIdReusePolicy: 'REJECT_DUPLICATE' as const } : {}),
          },
        );
        return response(built.dueAt.toISOString(), 'once');
      } catch (err) {
        const alreadyThere =
          err instanceof WorkflowExecutionAlreadyStartedError ||
          err instanceof ScheduleAlreadyRunning ||
          (err instanceof Error && err.cause instanceof ScheduleAlreadyRunning);
        if (alreadyThere && requestHash) {
          // A concurrent duplicate won the race; it is the same task if it is the same request.
          const earlier = await earlierTask(taskId, requestHash);
          if (earlier) return earlier;
        }
        if (alreadyThere)
          throw new ConflictError('TASK_EXISTS', `A task with id '${taskId}' already exists.`);
        throw translateTemporalError(err, taskId);
      }
    },

    async get(taskId: string): Promise<TaskView> {
      return withRuns(await load(taskId));
    },

    async list(
      filters: ListFilters,
    ): Promise<{ tasks: TaskView[]; count: number; next_cursor: string | null }> {
      const clauses = [
        `WorkflowType = ${quote(SCHEDULED_TASK_WORKFLOW)}`,
        `TaskQueue = ${quote(taskQueue)}`,
        'TemporalScheduledById IS NULL',
      ];
      const scheduleClauses = ['PulseScheduleType IS NOT NULL'];
      if (filters.schedule_type) {
        clauses.push(`PulseScheduleType = ${quote(filters.schedule_type)}`);
        scheduleClauses.push(`PulseScheduleType = ${quote(filters.schedule_type)}`);
      }
      if (filters.agent_id) {
        clauses.push(`PulseAgentId = ${quote(filters.agent_id)}`);
        scheduleClauses.push(`PulseAgentId = ${quote(filters.agent_id)}`);
      }
      if (filters.status) clauses.push(statusClause(filters.status, now()));
      const { start_time: startTime, end_time: endTime } = filters;
      if (startTime !== undefined && endTime !== undefined && startTime > endTime) {
        throw new BadRequestError(
          'INVALID_TIME_RANGE',
          `start_time (${startTime}) is after end_time (${endTime}); give start_time <= end_time, both in unix seconds.`,
          [{ field: 'query.start_time', message: 'must not be after end_time' }],
        );
      }
      // Bounds in milliseconds: end_time names a whole second, so all of it is in the range.
      const fromMs = startTime === undefined ? undefined : startTime * 1000;
      const toMs = endTime === undefined ? undefined : endTime * 1000 + 999;
      const inRange = (ms: number | null): boolean =>
        ms !== null && (fromMs === undefined || ms >= fromMs) && (toMs === undefined || ms <= toMs);
      // A one-time task's next execution is its PulseDueAt; a recurring task's is its schedule's next action.
      if (fromMs !== undefined) clauses.push(`PulseDueAt >= ${quote(new Date(fromMs).toISOString())}`);
      if (toMs !== undefined) clauses.push(`PulseDueAt <= ${quote(new Date(toMs).toISOString())}`);
      const query = clauses.join(' AND ');
      // A cursor belongs to its filters. Not to the query itself, which holds the current time when filtering by
      // status and so differs from one page's request to the next.
      const scope = JSON.stringify([
        taskQueue,
        filters.status,
        filters.schedule_type,
        filters.agent_id,
        // Only when given, so cursors handed out before the time filters existed stay valid.
        ...(startTime !== undefined || endTime !== undefined ? [startTime ?? null, endTime ?? null] : []),
      ]);
      const offset = filters.cursor ? decodeCursor(filters.cursor, scope) : filters.offset;
      // Temporal lists open workflows first and schedules separately, so a page in creation order needs every
      // candidate read and sorted; the scan is capped to keep a request bounded.
      const views: Array<TaskView & { createdMs: number }> = [];
      try {
        for await (const info of client.workflow.list({ query, pageSize: 1000 })) {
          const reported = info.typedSearchAttributes.get(PulseStatus) as TaskStatus | undefined;
          const dueAt = info.typedSearchAttributes.get(PulseDueAt);
          views.push({
            ...onceView(info, statusFromExecution(info, reported, now().getTime()), dueAt?.getTime() ?? null),
            createdMs: info.startTime.getTime(),
          });
          if (views.length >= MAX_LIST_SCAN) break;
        }
        for (const summary of await recurring.list(scheduleClauses.join(' AND '), MAX_LIST_SCAN)) {
          const status = recurring.summaryStatus(summary);
          if (filters.status && status !== filters.status) continue;
          const nextMs = summary.info.nextActionTimes[0]?.getTime() ?? null;
          if ((fromMs !== undefined || toMs !== undefined) && !inRange(nextMs)) continue;
          const memo = (summary.memo ?? {}) as Partial<TaskMemo>;
          const created = Date.parse(String(memo.schedule_config?.created_at ?? '')) || 0;
          views.push({
            ...viewOf({
              taskId: summary.scheduleId,
              kind: 'recurring',
              memo,
              createdMs: created,
              status,
              nextMs,
              executor: summary.typedSearchAttributes?.get(PulseExecutor) ?? null,
            }),
            createdMs: created,
          });
        }
      } catch (err) {
        throw translateTemporalError(err);
      }
      // Newest first, to the millisecond, ties by id: a total order, so pages never overlap or skip.
      views.sort((a, b) => b.createdMs - a.createdMs || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
      const tasks = views
        .slice(offset, offset + filters.limit)
        .map(({ createdMs: _createdMs, ...view }) => view);
      const more = views.length > offset + filters.limit;
      return {
        tasks,
        count: tasks.length,
        next_cursor: more ? encodeCursor(offset + filters.limit, scope) : null,
      };
    },

    /** Cancels a task; a run in progress is cancelled too. Cancelling a cancelled task is a no-op. */
    async cancel(taskId: string): Promise<{ status: 'cancelled'; task_id: string }> {
      const loaded = await load(taskId);
      if (loaded.kind === 'once' && loaded.view.status === 'cancelled') {
        return { status: 'cancelled', task_id: taskId };
      }
      if (loaded.kind === 'recurring') {
        if (loaded.view.status === 'completed' && !loaded.snap.description) {
          throw new ConflictError(
            'TASK_FINISHED',
            `Task '${taskId}' already completed; there is nothing to cancel.`,
          );
        }
        await recurring.cancel(loaded.snap).catch((err: unknown) => {
          throw translateTemporalError(err, taskId);
        });
        return { status: 'cancelled', task_id: taskId };
      }
      if (loaded.snap.description.status.name !== 'RUNNING') {
        throw new ConflictError(
          'TASK_FINISHED',
          `Task '${taskId}' already ${loaded.view.status === 'completed' ? 'completed' : 'ended as ' + loaded.view.status}; there is nothing to cancel.`,
        );
      }
      const handle = client.workflow.getHandle(taskId);
      await oneTimeUpdate(taskId, () => handle.cancel());
      // Wait briefly for the workflow to acknowledge, so a GET right after the DELETE already says cancelled.
      await client.connection
        .withDeadline(Date.now() + CANCEL_SETTLE_MS, () => handle.result())
        .catch(() => undefined);
      return { status: 'cancelled', task_id: taskId };
    },

    /** Pauses/resumes, reschedules, or changes what a task does; returns the task as it now is. */
    async patch(taskId: string, patch: PatchTaskRequest): Promise<TaskView> {
      const loaded = await load(taskId);
      assertChangeable(loaded.view);
      const changesWork =
        patch.when !== undefined ||
        patch.repeat !== undefined ||
        patch.payload !== undefined ||
        patch.metadata !== undefined ||
        patch.timezone !== undefined;
      if (changesWork) {
        if (loaded.view.status === 'processing' && loaded.kind === 'once') {
          throw new ConflictError(
            'INVALID_STATE',
            `Task '${taskId}' is running; it can no longer be changed.`,
          );
        }
        const request = patchedRequest(loaded.view, patch);
        const built = buildTask(request, {
          executors: deps.executors,
          now: now(),
          defaultTimezone: deps.defaultTimezone,
          callbackWindowMs: deps.callbackWindowMs,
          taskId,
        });
        await checkDestinations(built);
        const becomesRecurring = built.recurrence !== undefined;
        if (becomesRecurring !== (loaded.kind === 'recurring')) {
          throw new BadRequestError(
            'CANNOT_CHANGE_KIND',
            loaded.kind === 'once'
              ? `Task '${taskId}' runs once; to make it recurring, DELETE it and schedule a recurring task.`
              : `Task '${taskId}' is recurring; a "when" that runs once cannot replace its recurrence. Pause or DELETE it instead.`,
          );
        }
        const { dueAtMs: _dueAtMs, taskId: _taskId, ...work } = built.input;
        // The attributes the Web UI and GET /tasks?agent_id= read follow the work they describe.
        const attributes = workAttributes(built);
        if (loaded.kind === 'once') {
          const handle = client.workflow.getHandle(taskId);
          await oneTimeUpdate(taskId, () =>
            handle.executeUpdate(amendUpdate, {
              args: [{ input: work, memo: { ...built.memo }, attributes }],
            }),
          );
          if (patch.when !== undefined || patch.timezone !== undefined) {
            await oneTimeUpdate(taskId, () =>
              handle.executeUpdate(rescheduleUpdate, { args: [{ dueAtMs: built.dueAt.getTime() }] }),
            );
          }
        } else {
          await recurring.amend(taskId, built.input, built.memo, built.searchAttributes);
          if (patch.when !== undefined || patch.repeat !== undefined || patch.timezone !== undefined) {
            await recurring.reschedule(loaded.snap, built.recurrence!.when, built);
          }
        }
      }
      if (patch.status !== undefined) {
        const paused = patch.status === 'paused';
        if (loaded.kind === 'once') {
          await oneTimeUpdate(taskId, () =>
            client.workflow.getHandle(taskId).executeUpdate(setPausedUpdate, { args: [{ paused }] }),
          );
        } else {
          await recurring.pause(taskId, paused).catch((err: unknown) => {
            throw translateTemporalError(err, taskId);
          });
        }
      }
      return withRuns(await load(taskId));
    },

    /** Runs a task once, now, outside its schedule. */
    async trigger(taskId: string): Promise<{ status: 'triggered'; task_id: string }> {
      const loaded = await load(taskId);
      if (loaded.kind === 'recurring') {
        if (loaded.view.status === 'cancelled') {
          throw new ConflictError(
            'INVALID_STATE',
            `Task '${taskId}' is cancelled; it can no longer be triggered.`,
          );
        }
        if (!loaded.snap.description) {
          throw new ConflictError('TASK_FINISHED', `Task '${taskId}' has finished and its schedule is gone.`);
        }
        await recurring.trigger(taskId);
        return { status: 'triggered', task_id: taskId };
      }
      if (!['active', 'paused'].includes(loaded.view.status)) {
        throw new ConflictError(
          'INVALID_STATE',
          `Task '${taskId}' is ${loaded.view.status}; it runs only once.`,
        );
      }
      const handle = client.workflow.getHandle(taskId);
      await oneTimeUpdate(taskId, () =>
        handle.executeUpdate(rescheduleUpdate, { args: [{ dueAtMs: now().getTime() }] }),
      );
      if (loaded.view.status === 'paused') {
        await oneTimeUpdate(taskId, () =>
          handle.executeUpdate(setPausedUpdate, { args: [{ paused: false }] }),
        );
      }
      return { status: 'triggered', task_id: taskId };
    },

    /** The next `count` fire times of a task. */
    async preview(taskId: string, count: number) {
      const loaded = await load(taskId);
      const config = loaded.view.schedule_config as { timezone?: string };
      if (loaded.kind === 'once') {
        const next = loaded.view.next_execution_iso;
        return {
          task_id: taskId,
          kind: 'once' as const,
          timezone: config.timezone,
          next: next && loaded.view.status !== 'paused' ? [next] : [],
        };
      }
      const times = await recurring.nextFireTimes(loaded.snap, count, now());
      return {
        task_id: taskId,
        kind: 'recurring' as const,
        timezone: config.timezone,
        next: times.map((t) => t.toISOString()),
      };
    },

    /** The next fire times of a `when`, before anything is scheduled. */
    previewWhen(when: string, timezone: string | undefined, count: number) {
      const zone = timezone ?? deps.defaultTimezone;
      if (!isValidTimeZone(zone)) {
        throw new BadRequestError(
          'INVALID_TIMEZONE',
          `timezone '${zone}' is not an IANA time zone name such as 'Europe/Berlin'.`,
        );
      }
      const at = now();
      try {
        const parsed = parseSchedule(when, undefined, at, zone);
        const first = parsed.at.getTime() < at.getTime() ? at : parsed.at;
        const next = parsed.kind === 'once' ? [first] : previewFireTimes(parsed, count, { now: at });
        return { kind: parsed.kind, timezone: zone, next: next.map((t) => t.toISOString()) };
      } catch (err) {
        if (err instanceof WhenParseError) throw new BadRequestError('INVALID_WHEN', err.message);
        throw err;
      }
    },

    async history(taskId: string, limit: number) {
      const loaded = await load(taskId);
      const history = [...loaded.runs]
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
            // Pulse's own: whether this run's result reached its callback (null: no callback).
            callback_status: (view.callback?.status as string | undefined) ?? null,
          };
        });
      return { history };
    },

    async results(taskId: string) {
      const loaded = await load(taskId);
      const executions = [...loaded.runs].reverse().map(toRunView);
      return { task_id: taskId, total_executions: executions.length, executions };
    },

    async result(taskId: string, executionId?: string) {
      const loaded = await load(taskId);
      const run = executionId
        ? loaded.runs.find((r) => r.executionId === executionId)
        : loaded.runs[loaded.runs.length - 1];
      if (!run) {
        if (executionId) {
          return {
            status: 'not_found' as const,
            result: null,
            execution_id: executionId,
            error: `Task '${taskId}' has no run '${executionId}'.`,
          };
        }
        if (['active', 'paused', 'processing'].includes(loaded.view.status)) {
          return { status: 'pending' as const, result: null, execution_id: null };
        }
        return {
          status: 'not_found' as const,
          result: null,
          execution_id: null,
          error: `Task '${taskId}' is ${loaded.view.status} and never ran.`,
        };
      }
      let result = run.result;
      if ((run as { resultOmitted?: boolean }).resultOmitted && loaded.kind === 'recurring') {
        // Too large for the memo: read it from the run's own workflow.
        const owner = loaded.snap.runs.find((r) => r.record?.executionId === run.executionId);
        if (owner)
          result =
            (await closedRuns(client.workflow.getHandle(owner.workflowId), undefined))[0]?.result ?? null;
      }
      return {
        status: RESULT_STATUS[run.status],
        result,
        execution_id: run.executionId,
        ...(run.error !== undefined ? { error: run.error } : {}),
        stored_at: isoSeconds(run.finishedAtMs),
      };
    },
  };
}

const invalidCursor = () =>
  new BadRequestError(
    'INVALID_CURSOR',
    'cursor is not a next_cursor returned by GET /tasks with the same filters.',
  );

/** A cursor is a position in the list tied to the query it belongs to, so it cannot be reused with other filters. */
function cursorKey(scope: string): string {
  return createHash('sha256').update(scope).digest('base64url').slice(0, 16);
}

/** Who sent an `Idempotency-Key`: keys are scoped per API key, so two clients cannot collide. */
export interface IdempotencyKey {
  readonly key: string;
  readonly principal: string;
}

/** The search attributes that describe what a task does (as opposed to where it stands). */
function workAttributes(built: BuiltTask): NonNullable<AmendRequest['attributes']> {
  const value = (name: string) => built.searchAttributes.find((p) => p.key.name === name)?.value;
  return {
    scheduleType: built.input.scheduleType,
    executor: String(value(PulseExecutor.name) ?? built.input.executor ?? ''),
    agentId: (value(PulseAgentId.name) as string | undefined) ?? null,
  };
}

function idempotentTaskId({ key, principal }: IdempotencyKey): string {
  return `task_${createHash('sha256').update(`${principal}\n${key}`).digest('hex').slice(0, 32)}`;
}

/** JSON with sorted keys, so the same request hashes the same whatever the key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function hashRequest(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('base64url');
}

function encodeCursor(offset: number, scope: string): string {
  return Buffer.from(JSON.stringify({ q: cursorKey(scope), o: offset })).toString('base64url');
}

function decodeCursor(cursor: string, scope: string): number {
  try {
    const { q, o } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      q?: unknown;
      o?: unknown;
    };
    if (q !== cursorKey(scope) || typeof o !== 'number' || !Number.isInteger(o) || o < 0 || o > 100_000) {
      throw invalidCursor();
    }
    return o;
  } catch {
    throw invalidCursor();
  }
}
