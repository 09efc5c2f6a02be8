/**
 * An in-memory `TaskService` for API tests that need no Temporal: `createApp` over it answers like Pulse does for
 * everything the API layer and the pure task rules decide. Scheduling and PATCH run the real `buildTask` (time
 * parsing, executor choice, payload checks) and the destination guard, so a body the real service refuses is
 * refused here with the same 400; what is stored is a plain map. What only Temporal decides (visibility queries,
 * cursors, a run's real outcome) is not modelled: the end-to-end suites cover it.
 */
import type { PatchTaskRequest, ScheduleTaskRequest } from '../../src/api/schemas.js';
import { BadRequestError, ConflictError, TaskNotFoundError } from '../../src/errors.js';
import { createExecutorFactory, type ExecutorFactory } from '../../src/executors/executor-factory.js';
import {
  DestinationRefusedError,
  createDestinationGuard,
  type DestinationGuard,
} from '../../src/security/ssrf-guard.js';
import { buildTask, parseSchedule, type BuiltTask } from '../../src/tasks/build-task.js';
import type { TaskService, TaskView } from '../../src/tasks/task-service.js';
import { WhenParseError, previewFireTimes } from '../../src/time/parse-when.js';
import { isValidTimeZone } from '../../src/time/time-zone.js';

interface StoredTask {
  request: ScheduleTaskRequest;
  built: BuiltTask;
  status: 'active' | 'paused' | 'cancelled';
  createdAtMs: number;
  claim?: { workerId: string; executionId: string };
}

export interface FakeTaskOptions {
  readonly executors?: ExecutorFactory;
  /** Default: refuses private, loopback and metadata destinations, as the real default does. */
  readonly guard?: DestinationGuard;
  readonly now?: () => Date;
  readonly uiUrl?: string;
}

export interface FakeTasks extends TaskService {
  /** Every task scheduled, by id. */
  readonly stored: ReadonlyMap<string, StoredTask>;
  /** The next call to `method` throws `error` (a bug, a Temporal outage: whatever the test needs). */
  failNext(method: keyof TaskService, error: unknown): void;
}

export function createFakeTasks(options: FakeTaskOptions = {}): FakeTasks {
  const executors = options.executors ?? createExecutorFactory();
  const guard = options.guard ?? createDestinationGuard({ allowPrivateNetworks: false, allowedHosts: [] });
  const now = options.now ?? (() => new Date());
  const uiUrl = options.uiUrl ?? 'http://localhost:8233';
  const stored = new Map<string, StoredTask>();
  const faults = new Map<string, unknown>();
  let sequence = 0;

  const uiUrlFor = (taskId: string, kind: 'once' | 'recurring' = 'once') =>
    `${uiUrl}/namespaces/default/${kind === 'once' ? 'workflows' : 'schedules'}/${encodeURIComponent(taskId)}`;

  async function build(request: ScheduleTaskRequest, taskId: string): Promise<BuiltTask> {
    const built = buildTask(request, { executors, now: now(), defaultTimezone: 'UTC', taskId });
    const { input } = built;
    const targets: Array<[string, string | undefined]> = [
      ['callback_url', input.callbackUrl],
      ['webhook_url', input.webhook?.url],
      ['payload.url', input.scheduleType === 'http_request' ? (input.payload.url as string) : undefined],
    ];
    for (const [field, url] of targets) {
      if (url === undefined) continue;
      await guard.checkUrl(url, field).catch((err: unknown) => {
        if (!(err instanceof DestinationRefusedError)) throw err;
        throw new BadRequestError('DESTINATION_REFUSED', err.message, [{ field, message: err.reason }]);
      });
    }
    return built;
  }

  function find(taskId: string): StoredTask {
    const task = stored.get(taskId);
    if (!task) throw new TaskNotFoundError(taskId);
    return task;
  }

  function view(taskId: string): TaskView {
    const task = find(taskId);
    const kind = task.built.recurrence ? 'recurring' : 'once';
    const dueMs = task.status === 'cancelled' ? null : task.built.dueAt.getTime();
    return {
      id: taskId,
      schedule_type: task.request.schedule_type,
      created_at: Math.floor(task.createdAtMs / 1000),
      created_at_iso: new Date(task.createdAtMs).toISOString(),
      payload: task.request.payload,
      schedule_config: { when: task.request.when, timezone: task.request.timezone ?? 'UTC' },
      status: task.status,
      metadata: task.request.metadata ?? {},
      next_execution: dueMs === null ? null : Math.floor(dueMs / 1000),
      next_execution_iso: dueMs === null ? null : new Date(dueMs).toISOString(),
      executor: task.built.input.executor ?? null,
      workflow_id: taskId,
      ui_url: uiUrlFor(taskId, kind),
      kind,
      callback_url: task.built.input.callbackUrl ?? null,
      runs: [],
      last_run: null,
    };
  }

  function changeable(taskId: string): StoredTask {
    const task = find(taskId);
    if (task.status === 'cancelled') {
      throw new ConflictError('INVALID_STATE', `Task '${taskId}' is cancelled; it can no longer be changed.`);
    }
    return task;
  }

  const service: TaskService = {
    uiUrlFor,

    async schedule(body: ScheduleTaskRequest, idempotency?: { key: string; principal: string }) {
      const taskId = idempotency ? `task_key_${idempotency.key}` : `task_fake${++sequence}`;
      const built = await build(body, taskId);
      const kind = built.recurrence ? ('recurring' as const) : ('once' as const);
      if (!stored.has(taskId))
        stored.set(taskId, { request: body, built, status: 'active', createdAtMs: Date.now() });
      return {
        task_id: taskId,
        schedule_type: body.schedule_type,
        next_execution: built.dueAt.toISOString(),
        status: 'active' as const,
        workflow_id: taskId,
        ui_url: uiUrlFor(taskId, kind),
        executor: built.input.executor,
      };
    },

    async get(taskId: string) {
      return view(taskId);
    },

    async list(filters: { limit: number; offset: number; cursor?: string }) {
      if (filters.cursor !== undefined) {
        throw new BadRequestError('INVALID_CURSOR', 'cursor is not a next_cursor returned by GET /tasks.');
      }
      const tasks = [...stored.keys()].slice(filters.offset, filters.offset + filters.limit).map(view);
      return { tasks, count: tasks.length, next_cursor: null };
    },

    async cancel(taskId: string) {
      const task = find(taskId);
      if (task.status === 'cancelled')
        throw new ConflictError('TASK_FINISHED', `Task '${taskId}' is cancelled.`);
      task.status = 'cancelled';
      return { status: 'cancelled' as const, task_id: taskId };
    },

    async patch(taskId: string, patch: PatchTaskRequest) {
      const task = changeable(taskId);
      const { status, ...work } = patch;
      const defined = Object.fromEntries(Object.entries(work).filter(([, value]) => value !== undefined));
      if (Object.keys(defined).length > 0) {
        const request = { ...task.request, ...defined } as ScheduleTaskRequest;
        const built = await build(request, taskId);
        if (!built.recurrence !== !task.built.recurrence) {
          throw new BadRequestError(
            'CANNOT_CHANGE_KIND',
            `Task '${taskId}' cannot change between once and recurring.`,
          );
        }
        Object.assign(task, { request, built });
      }
      if (status !== undefined) task.status = status;
      return view(taskId);
    },

    async trigger(taskId: string) {
      changeable(taskId);
      return { status: 'triggered' as const, task_id: taskId };
    },

    async preview(taskId: string, count: number) {
      const task = view(taskId);
      return {
        task_id: taskId,
        kind: task.kind,
        timezone: 'UTC',
        next: task.next_execution_iso ? [task.next_execution_iso].slice(0, count) : [],
      };
    },

    previewWhen(when: string, timezone: string | undefined, count: number) {
      const zone = timezone ?? 'UTC';
      if (!isValidTimeZone(zone)) {
        throw new BadRequestError('INVALID_TIMEZONE', `timezone '${zone}' is not an IANA time zone name.`);
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

    async history(taskId: string) {
      find(taskId);
      return { history: [] };
    },

    async results(taskId: string) {
      find(taskId);
      return { task_id: taskId, total_executions: 0, executions: [] };
    },

    async result(taskId: string) {
      find(taskId);
      return { status: 'pending' as const, result: null, execution_id: null };
    },

    async poll() {
      return { tasks: [], next_poll_at: new Date(Date.now() + 1000).toISOString() };
    },

    async claim(taskId: string, workerId: string) {
      const task = changeable(taskId);
      if (task.built.dueAt.getTime() > now().getTime() || task.built.input.executor !== 'external') {
        throw new ConflictError('NOT_CLAIMABLE', `Task '${taskId}' is not due.`);
      }
      task.claim = { workerId, executionId: `${taskId}:run` };
      const lease = new Date(now().getTime() + 60_000).toISOString();
      return { status: 'claimed' as const, execution_id: task.claim.executionId, lease_expires_at: lease };
    },

    async ack(taskId: string, body: { worker_id: string }) {
      const task = find(taskId);
      if (task.claim?.workerId !== body.worker_id) {
        throw new ConflictError('NOT_CLAIMED', `Worker '${body.worker_id}' holds no claim on '${taskId}'.`);
      }
      delete task.claim;
      return { next_execution: null };
    },
  };

  // Every method first throws the fault a test planted for it, if any.
  const faulty = Object.fromEntries(
    Object.entries(service).map(([name, method]) => [
      name,
      (...args: unknown[]) => {
        if (faults.has(name)) {
          const error = faults.get(name);
          faults.delete(name);
          throw error;
        }
        return (method as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  );
  return {
    ...(faulty as unknown as TaskService),
    stored,
    failNext: (method, error) => void faults.set(method, error),
  };
}
