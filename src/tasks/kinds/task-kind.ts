/**
 * The two kinds of task behind one interface. A one-time task is a `scheduledTask` workflow whose id is the task
 * id (`once.ts`); a recurring task is a Temporal Schedule with that id whose action starts the same workflow
 * (`recurring.ts`). The service's commands load a task and call it; a kind answers for its own rules (what may be
 * cancelled, changed or triggered, and how). A new kind is a file implementing `TaskKind`; a new command is a
 * method here, in each kind, and in the service.
 */
import type { Client } from '@temporalio/client';
import type { PatchTaskRequest } from '../../api/schemas.js';
import type { RunRecord, TaskStatus, TriggerInput } from '../../shared/task-types.js';
import type { BuiltTask } from '../build-task.js';
import type { TaskKindName, TaskMemo, TaskView } from '../task-view.js';

/** What every kind is built from. */
export interface KindDeps {
  readonly client: Client;
  readonly taskQueue: string;
  readonly now: () => Date;
  readonly uiUrlFor: (taskId: string, kind: TaskKindName) => string;
}

/** A task as read now, with the commands that act on it. */
export interface LoadedTask {
  readonly kind: TaskKindName;
  /** The task without its runs. */
  readonly view: TaskView;
  /** Its finished runs, oldest first. */
  readonly runs: readonly RunRecord[];
  /** The memo it was created with (for idempotency: the request's hash). */
  readonly memo: Partial<TaskMemo>;
  /** Stops future runs and the run in progress; refuses (409) when there is nothing to cancel. */
  cancel(): Promise<void>;
  /** Replaces what the task does, and when it runs if the patch names a new time. */
  amend(built: BuiltTask, patch: PatchTaskRequest): Promise<void>;
  setPaused(paused: boolean): Promise<void>;
  /** Runs it once, now, outside its schedule. */
  /** A run now; with `triggerInput`, that run uses it instead of the task's payload and records it. */
  trigger(triggerInput?: TriggerInput): Promise<void>;
  /** The next `count` fire times (none while paused or finished). */
  nextRuns(count: number): Promise<Date[]>;
  /** A run's full result (a result too large for the task's memo is read from where it was kept). */
  resultOf(run: RunRecord): Promise<unknown>;
  /** Why a patch that would turn it into the other kind is refused. */
  readonly cannotChangeKind: string;
}

/** One entry of `GET /tasks` before sorting and paging. */
export interface ListedTask {
  readonly view: TaskView;
  readonly createdMs: number;
}

/** The filters of `GET /tasks` as each kind applies them; times in ms, both bounds inclusive. */
export interface KindListFilters {
  readonly status?: TaskStatus;
  readonly scheduleType?: string;
  readonly agentId?: string;
  readonly fromMs?: number;
  readonly toMs?: number;
  /** Most entries to read. */
  readonly limit: number;
}

export interface TaskKind {
  readonly name: TaskKindName;
  /** Whether a built task is of this kind. */
  owns(built: BuiltTask): boolean;
  /** Starts a built task; resolves to its first execution. */
  start(built: BuiltTask, options: { readonly idempotent: boolean }): Promise<Date>;
  /** Reads a task of this kind; undefined when there is none with this id. */
  load(taskId: string): Promise<LoadedTask | undefined>;
  list(filters: KindListFilters): Promise<ListedTask[]>;
}
