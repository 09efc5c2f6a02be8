/**
 * The API's commands on tasks, on top of Temporal. Each command loads the task (whichever kind it is: see
 * `kinds/task-kind.ts`) and asks it; the rules of status, views, listing, ids and destinations live in their own
 * modules. Temporal is the store; the only memory here is of the tasks just made, for a tenant's `active_tasks`
 * limit while visibility catches up (`tenants/active-task-gate.ts`).
 */
import type { Client } from '@temporalio/client';
import type { z } from '@hono/zod-openapi';
import type {
  CancelResponse,
  PatchTaskRequest,
  PolledTask,
  PreviewResponse,
  ResultResponse,
  ResultsResponse,
  ScheduleTaskRequest,
  ScheduleTaskResponse,
  TriggerRequest,
  TriggerResponse,
} from '../api/schemas.js';
import { checkBudget } from '../budget/budget-period.js';
import { BadRequestError, ConflictError, TaskNotFoundError } from '../errors.js';
import { canSee, currentScope } from '../tenants/tenant-scope.js';
import { createActiveTaskGate } from '../tenants/active-task-gate.js';
import { countActive, ofTenant } from '../tenants/tenant-tasks.js';
import { AGENT_SCHEDULE_TYPES, type ExecutorFactory } from '../executors/executor-factory.js';
import type { DestinationGuard } from '../security/ssrf-guard.js';
import { EXTERNAL_EXECUTOR } from '../shared/executor-names.js';
import type { TriggerInput } from '../shared/task-types.js';
import { translateTemporalError } from '../temporal/temporal-errors.js';
import { WhenParseError, previewFireTimes } from '../time/parse-when.js';
import { isValidTimeZone } from '../time/time-zone.js';
import { buildTask, changesWork, parseSchedule, patchedRequest, type BuiltTask } from './build-task.js';
import { checkDestinations, defaultDestinationGuard } from './destinations.js';
import { createExternalWorkers, type AckBody, type Claim } from './external-workers.js';
import { hashRequest, idempotentTaskId, newTaskId, type IdempotencyKey } from './ids.js';
import { createOnceKind } from './kinds/once.js';
import { createRecurringKind } from './kinds/recurring.js';
import type { LoadedTask, TaskKind } from './kinds/task-kind.js';
import { estimateUsage, lastSpend } from '../../workflows/budget.js';
import { listTasks, type ListFilters, type TaskList } from './task-list.js';
import { RESULT_STATUS, isFinished } from './task-status.js';
import {
  historyEntry,
  isoSeconds,
  runError,
  toRunView,
  uiUrl,
  withRuns,
  type HistoryEntry,
  type TaskKindName,
  type TaskView,
} from './task-view.js';

/** Most upcoming runs a budget preview counts in the period (a month of every-minute runs is more). */
const BUDGET_PREVIEW_RUNS = 1000;

export type { IdempotencyKey } from './ids.js';
export type { ListFilters } from './task-list.js';
export type { RunView, TaskView } from './task-view.js';

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
  /** With tenants: a tenant's fairness weight (its share of the workers when many runs are due at once). */
  readonly weightOf?: (tenant: string) => number | undefined;
  /** `PULSE_RUN_LEAD` with tenants: how long ahead of its due time a run is handed to a worker (0: when due). */
  readonly runLeadMs?: number;
  /** With tenants: the SSRF guard with a tenant's own allowed hosts. */
  readonly guardFor?: (tenant: string | undefined) => DestinationGuard | undefined;
  readonly now?: () => Date;
}

/** `POST /tasks/schedule`'s answer, with the executor chosen (for metrics; not part of the response body). */
export type ScheduledTask = z.infer<typeof ScheduleTaskResponse> & { executor?: string };
export type Preview = z.infer<typeof PreviewResponse>;
export type TaskResult = z.infer<typeof ResultResponse>;

/** The commands the API, the agent tools and the MCP server call; a fake of it is enough to test them. */
export interface TaskService {
  /** Validates and starts a task; nothing is started when validation fails. */
  schedule(body: ScheduleTaskRequest, idempotency?: IdempotencyKey): Promise<ScheduledTask>;
  get(taskId: string): Promise<TaskView>;
  list(filters: ListFilters): Promise<TaskList>;
  /** Cancels a task; a run in progress is cancelled too. Cancelling a cancelled task is a no-op. */
  cancel(taskId: string): Promise<z.infer<typeof CancelResponse>>;
  /** Pauses/resumes, reschedules, or changes what a task does; returns the task as it now is. */
  patch(taskId: string, patch: PatchTaskRequest): Promise<TaskView>;
  /** Runs a task once, now, outside its schedule. */
  /** A run now; with input, that run uses it instead of the task's payload (validated as the task's would be). */
  trigger(taskId: string, input?: TriggerRequest): Promise<z.infer<typeof TriggerResponse>>;
  /** The next `count` fire times of a task. */
  preview(taskId: string, count: number): Promise<Preview>;
  /** The next fire times of a `when`, before anything is scheduled. */
  previewWhen(when: string, timezone: string | undefined, count: number): Preview;
  history(taskId: string, limit: number): Promise<{ history: HistoryEntry[] }>;
  results(taskId: string): Promise<z.infer<typeof ResultsResponse>>;
  result(taskId: string, executionId?: string): Promise<TaskResult>;
  /** Due, unclaimed external-worker tasks of the given types, oldest due first. */
  poll(types: readonly string[], limit: number): Promise<{ tasks: PolledTask[]; next_poll_at: string }>;
  claim(taskId: string, workerId: string, leaseMs?: number): Promise<Claim>;
  ack(taskId: string, body: AckBody): Promise<{ next_execution: string | null }>;
  uiUrlFor(taskId: string, kind?: TaskKindName): string;
}

export function createTaskService(deps: TaskServiceDeps): TaskService {
  const { client, namespace, taskQueue } = deps;
  const now = deps.now ?? (() => new Date());
  const guard = deps.destinationGuard ?? defaultDestinationGuard();
  const uiUrlFor = (taskId: string, kind: TaskKindName = 'once') =>
    uiUrl(deps.uiUrl, namespace, taskId, kind);
  const kindDeps = { client, taskQueue, now, uiUrlFor };
  const kinds: readonly TaskKind[] = [createOnceKind(kindDeps), createRecurringKind(kindDeps)];
  const workers = createExternalWorkers({
    client,
    taskQueue,
    now,
    leaseMs: deps.workerLeaseMs,
    maxResultBytes: deps.maxResultBytes,
  });
  /** A tenant's `active_tasks` limit, counting the tasks made here that visibility does not show yet. */
  const activeTasks = createActiveTaskGate(countActive(client, taskQueue), () => now().getTime());

  /** Builds a task from a request and checks where it will connect; a 400 for anything it cannot be. */
  async function build(
    request: ScheduleTaskRequest,
    taskId: string,
    tenant?: string,
    createdAt?: string,
  ): Promise<BuiltTask> {
    const built = buildTask(request, {
      executors: deps.executors,
      now: now(),
      defaultTimezone: deps.defaultTimezone,
      callbackWindowMs: deps.callbackWindowMs,
      taskId,
      ...(createdAt ? { createdAt } : {}),
    });
    await checkDestinations(deps.guardFor?.(tenant) ?? guard, built.input);
    if (!tenant) return built;
    const weight = deps.weightOf?.(tenant);
    return ofTenant(built, tenant, {
      ...(weight !== undefined ? { weight } : {}),
      ...(deps.runLeadMs !== undefined ? { runLeadMs: deps.runLeadMs } : {}),
    });
  }

  const kindOf = (built: BuiltTask): TaskKind => kinds.find((kind) => kind.owns(built))!;

  /** Finds a task of any kind; another tenant's task is not found, exactly like one that does not exist. */
  async function find(taskId: string): Promise<LoadedTask | undefined> {
    for (const kind of kinds) {
      const loaded = await kind.load(taskId);
      if (loaded) return canSee(loaded.memo.tenant) ? loaded : undefined;
    }
    return undefined;
  }

  async function load(taskId: string): Promise<LoadedTask> {
    const loaded = await find(taskId);
    if (!loaded) throw new TaskNotFoundError(taskId);
    return loaded;
  }

  /**
   * The task an earlier request with the same idempotency key created, as that request's response; a 409 when
   * the key was used for a different request; undefined when the key is new.
   */
  /**
   * The payload one triggered run uses: the given payload, or the task's with the given agent params, checked as a
   * PATCH of the payload would be (schema, executor, SSRF guard).
   */
  async function triggerInputOf(loaded: LoadedTask, input: TriggerRequest): Promise<TriggerInput> {
    const view = loaded.view;
    if (view.executor === EXTERNAL_EXECUTOR) {
      throw new BadRequestError(
        'TRIGGER_INPUT_UNSUPPORTED',
        `Task '${view.id}' is run by an external worker, which reads the task's own payload; trigger it without input.`,
      );
    }
    if (input.params !== undefined && !AGENT_SCHEDULE_TYPES.has(view.schedule_type)) {
      throw new BadRequestError(
        'VALIDATION_ERROR',
        `params are an agent's keyword arguments; task '${view.id}' is ${view.schedule_type}: give payload instead.`,
        [{ field: 'params', message: `applies to agent tasks only, not ${view.schedule_type}` }],
      );
    }
    const payload = {
      ...(input.payload ?? view.payload),
      ...(input.params !== undefined ? { params: input.params } : {}),
    };
    const built = await build(patchedRequest(view, { payload }), view.id, loaded.memo.tenant);
    return { payload: built.input.payload };
  }

  async function earlierTask(taskId: string, requestHash: string): Promise<ScheduledTask | undefined> {
    const loaded = await find(taskId);
    if (!loaded) return undefined;
    if (loaded.memo.request_hash !== requestHash) {
      throw new ConflictError(
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was already used with a different request body; use a new key for a new task.',
      );
    }
    const { view } = loaded;
    const dueAt = view.schedule_config.due_at as string | undefined;
    return {
      task_id: taskId,
      schedule_type: view.schedule_type,
      next_execution: view.next_execution_iso ?? dueAt ?? null,
      status: 'active',
      workflow_id: taskId,
      ui_url: view.ui_url,
      ...(view.executor ? { executor: view.executor } : {}),
    };
  }

  /** Starts a built task; a concurrent request with the same idempotency key that won the race is answered. */
  async function start(
    built: BuiltTask,
    scheduleType: ScheduleTaskRequest['schedule_type'],
    requestHash: string | undefined,
  ): Promise<ScheduledTask> {
    const taskId = built.taskId;
    const kind = kindOf(built);
    let first: Date;
    try {
      first = await kind.start(
        { ...built, memo: { ...built.memo, ...(requestHash ? { request_hash: requestHash } : {}) } },
        { idempotent: requestHash !== undefined },
      );
    } catch (err) {
      const translated = translateTemporalError(err, taskId);
      if (translated instanceof ConflictError && translated.code === 'TASK_EXISTS' && requestHash) {
        // A concurrent duplicate won the race; it is the same task if it is the same request.
        const same = await earlierTask(taskId, requestHash);
        if (same) return same;
      }
      throw translated;
    }
    return {
      task_id: taskId,
      schedule_type: scheduleType,
      next_execution: first.toISOString(),
      status: 'active',
      workflow_id: taskId,
      ui_url: uiUrlFor(taskId, kind.name),
      ...(built.input.executor ? { executor: built.input.executor } : {}),
    };
  }

  /** The tenant a new task belongs to: the request's; an admin key must name one (`x-pulse-tenant`). */
  function schedulingTenant(): string | undefined {
    const scope = currentScope();
    if (!scope) return undefined;
    if (scope.tenantId === undefined) {
      throw new BadRequestError(
        'TENANT_REQUIRED',
        'An admin key schedules for a tenant: name it in the x-pulse-tenant header.',
      );
    }
    return scope.tenantId;
  }

  /** The period's spend so far and where the runs still due in it take it, from the task's past runs. */
  async function budgetPreview(loaded: LoadedTask, request: NonNullable<ScheduleTaskRequest['budget']>) {
    const timeZone = (loaded.view.schedule_config.timezone as string | undefined) ?? deps.defaultTimezone;
    const budget = {
      period: request.period,
      timeZone,
      ...(request.tokens != null ? { tokens: request.tokens } : {}),
      ...(request.cost != null ? { cost: request.cost } : {}),
    };
    const previous = [...loaded.runs].reverse();
    const estimate = estimateUsage(previous);
    const last = lastSpend(previous);
    const check = checkBudget({ budget, nowMs: now().getTime(), estimate, ...(last ? { last } : {}) });
    const due = (await loaded.nextRuns(BUDGET_PREVIEW_RUNS)).filter((t) => t.getTime() < check.periodEndMs);
    const project = (name: 'tokens' | 'cost') => check.spent[name] + (estimate[name] ?? 0) * due.length;
    return {
      period: check.period,
      period_ends_at: new Date(check.periodEndMs).toISOString(),
      limit: { tokens: budget.tokens ?? null, cost: budget.cost ?? null },
      spent: { tokens: check.spent.tokens, cost: check.spent.cost },
      estimate_per_run: { tokens: estimate.tokens ?? null, cost: estimate.cost ?? null },
      runs_due_in_period: due.length,
      estimated_period_spend: { tokens: project('tokens'), cost: project('cost') },
      next_run_held: check.held ?? null,
    };
  }

  return {
    uiUrlFor,
    poll: workers.poll,
    // Another tenant's task is a 404 before anything reaches its workflow.
    claim: async (taskId, workerId, leaseMs) => {
      if (currentScope()) await load(taskId);
      return workers.claim(taskId, workerId, leaseMs);
    },
    ack: async (taskId, body) => {
      if (currentScope()) await load(taskId);
      return workers.ack(taskId, body);
    },

    async schedule(body, idempotency) {
      const tenant = schedulingTenant();
      const requestHash = idempotency ? hashRequest(body) : undefined;
      const taskId = idempotency ? idempotentTaskId(idempotency) : newTaskId();
      const built = await build(body, taskId, tenant);
      // The same key again: answer with the task the first request created, start nothing.
      const earlier = async () => (requestHash ? earlierTask(taskId, requestHash) : undefined);
      const create = () => start(built, body.schedule_type, requestHash);
      const limit = currentScope()?.limits?.active_tasks;
      if (tenant && limit !== undefined) return activeTasks.admit(tenant, limit, taskId, { earlier, create });
      return (await earlier()) ?? create();
    },

    async get(taskId) {
      const loaded = await load(taskId);
      return withRuns(loaded.view, loaded.runs);
    },

    list: (filters) => listTasks(kinds, taskQueue, filters),

    async cancel(taskId) {
      await (await load(taskId)).cancel();
      activeTasks.forget(taskId);
      return { status: 'cancelled', task_id: taskId };
    },

    async patch(taskId, patch) {
      const loaded = await load(taskId);
      if (isFinished(loaded.view.status)) {
        throw new ConflictError(
          'INVALID_STATE',
          `Task '${taskId}' is ${loaded.view.status}; it can no longer be changed.`,
        );
      }
      if (changesWork(patch)) {
        const createdAt = loaded.memo.schedule_config?.created_at;
        const built = await build(
          patchedRequest(loaded.view, patch),
          taskId,
          loaded.memo.tenant,
          typeof createdAt === 'string' ? createdAt : undefined,
        );
        if (kindOf(built).name !== loaded.kind)
          throw new BadRequestError('CANNOT_CHANGE_KIND', loaded.cannotChangeKind);
        await loaded.amend(built, patch);
      }
      if (patch.status !== undefined) await loaded.setPaused(patch.status === 'paused');
      const changed = await load(taskId);
      return withRuns(changed.view, changed.runs);
    },

    async trigger(taskId, input) {
      const loaded = await load(taskId);
      const given = input && (input.payload !== undefined || input.params !== undefined);
      await loaded.trigger(given ? await triggerInputOf(loaded, input) : undefined);
      return { status: 'triggered', task_id: taskId };
    },

    async preview(taskId, count) {
      const loaded = await load(taskId);
      const next = await loaded.nextRuns(count);
      const budget = loaded.view.schedule_config.budget as ScheduleTaskRequest['budget'];
      return {
        task_id: taskId,
        kind: loaded.view.kind,
        timezone: loaded.view.schedule_config.timezone as string | undefined,
        next: next.map((t) => t.toISOString()),
        ...(budget ? { budget: await budgetPreview(loaded, budget) } : {}),
      };
    },

    previewWhen(when, timezone, count) {
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

    async history(taskId, limit) {
      const loaded = await load(taskId);
      return { history: [...loaded.runs].reverse().slice(0, limit).map(historyEntry) };
    },

    async results(taskId) {
      const loaded = await load(taskId);
      const executions = [...loaded.runs].reverse().map(toRunView);
      return { task_id: taskId, total_executions: executions.length, executions };
    },

    async result(taskId, executionId) {
      const loaded = await load(taskId);
      const run = executionId
        ? loaded.runs.find((r) => r.executionId === executionId)
        : loaded.runs[loaded.runs.length - 1];
      if (run) {
        return {
          status: RESULT_STATUS[run.status],
          result: await loaded.resultOf(run),
          execution_id: run.executionId,
          ...(runError(run) !== null ? { error: runError(run)! } : {}),
          stored_at: isoSeconds(run.finishedAtMs),
        };
      }
      if (executionId) {
        return {
          status: 'not_found',
          result: null,
          execution_id: executionId,
          error: `Task '${taskId}' has no run '${executionId}'.`,
        };
      }
      if (!isFinished(loaded.view.status)) return { status: 'pending', result: null, execution_id: null };
      return {
        status: 'not_found',
        result: null,
        execution_id: null,
        error: `Task '${taskId}' is ${loaded.view.status} and never ran.`,
      };
    },
  };
}
