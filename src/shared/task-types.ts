/**
 * Serializable shapes that cross the workflow boundary. Node-free on purpose: workflows import this file, and
 * everything here must survive being stored in Temporal history and replayed.
 */

/** Lifecycle of a task as the API reports it. */
export type TaskStatus = 'active' | 'processing' | 'paused' | 'completed' | 'failed' | 'cancelled';

/** Outcome of one run, as the callback and the history report it. */
export type RunStatus = 'success' | 'failed' | 'cancelled';

/** Agent-run retry policy (CONTRACT.md `retry`), already parsed into milliseconds. */
export interface RunRetryPolicy {
  readonly maximumAttempts: number;
  readonly initialIntervalMs: number;
  readonly backoffCoefficient: number;
  readonly maximumIntervalMs: number;
}

/** Where a generic task's payload is pushed at due time. */
export interface WebhookTarget {
  readonly url: string;
  readonly timeoutMs: number;
}

/** Everything an executor needs for one run; built by the workflow, handed to the `executeAgent` activity. */
export interface ExecutionRequest {
  readonly taskId: string;
  readonly executionId: string;
  readonly scheduleType: string;
  /** Registered executor name, resolved when the task was scheduled (absent: chosen at run time). */
  readonly executor?: string;
  readonly payload: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
  /** ISO-8601 instant the run was due. */
  readonly scheduledFor: string;
  readonly timeoutMs: number;
  readonly webhook?: WebhookTarget;
}

/** What the `executeAgent` activity returns on success. */
export interface ExecutionOutput {
  readonly result: unknown;
  readonly executionTimeMs: number;
}

/** Input of the `scheduledTask` workflow; also what a hand-made `temporal schedule create` must send. */
export interface ScheduledTaskInput {
  /** Defaults to the schedule id (runs of a schedule) or the workflow id. */
  readonly taskId?: string;
  readonly scheduleType: string;
  /** Executor name; when absent the worker chooses one as the API would. */
  readonly executor?: string;
  readonly payload: Record<string, unknown>;
  readonly metadata?: Record<string, unknown>;
  /** Epoch milliseconds. Absent means due at once. */
  readonly dueAtMs?: number;
  readonly callbackUrl?: string;
  readonly webhook?: WebhookTarget;
  /** Per-attempt run timeout; default 10 minutes. */
  readonly timeoutMs?: number;
  readonly retry?: RunRetryPolicy;
  /** How long a callback is retried before it is recorded as failed; default 24 h. */
  readonly callbackWindowMs?: number;
  /** How long a run may go without a heartbeat before its worker is presumed dead; default 10 s. */
  readonly heartbeatTimeoutMs?: number;
  /**
   * The workflow behaviour the task was created for (`TASK_INPUT_VERSION` when Pulse made it; absent, 1, in tasks
   * made before versions and by hand). Histories replay by it: a version changes what the workflow records.
   */
  readonly version?: number;
  /** Set on a run started by `POST /tasks/{id}/trigger` with input: what that one run uses instead. */
  readonly triggerInput?: TriggerInput;
}

/** What one triggered run uses instead of the task's own payload; recorded on that run. */
export interface TriggerInput {
  readonly payload: Record<string, unknown>;
}

/**
 * Version of the tasks Pulse creates now, which decides what a run writes to visibility (`workflows/progress.ts`):
 * 1 at every step, 2 after a quiet start (kept for replay in `workflows/legacy/`), 3 only when the run closes.
 * Versions travel in the input rather than as `patched()` markers because a marker makes the SDK upsert
 * `TemporalChangeVersion`: one more visibility write per run, the very cost the versions remove.
 */
export const TASK_INPUT_VERSION = 3;

/** How delivering the callback of one run ended. */
export interface CallbackOutcome {
  readonly url: string;
  readonly status: 'delivered' | 'failed';
  readonly attempts?: number;
  readonly error?: string;
}

/** One run of a task, as kept in the workflow's state and result. */
export interface RunRecord {
  readonly executionId: string;
  readonly status: RunStatus;
  /** ISO-8601 instant the run was due. */
  readonly scheduledFor: string;
  readonly startedAtMs: number;
  readonly finishedAtMs: number;
  readonly executionTimeMs: number;
  readonly result: unknown;
  readonly error?: string;
  readonly callback?: CallbackOutcome;
  /** The input this run used instead of the task's payload (a trigger with input). */
  readonly triggerInput?: TriggerInput;
}

/** Answer of the `taskState` query. */
export interface TaskState {
  readonly taskId: string;
  readonly status: TaskStatus;
  /** Next due time in epoch ms; null once the run has started or the task ended. */
  readonly dueAtMs: number | null;
  readonly paused: boolean;
  readonly runs: readonly RunRecord[];
  /** External-worker tasks under claim: when the lease runs out (after which the task is claimable again). */
  readonly leaseExpiresAtMs?: number;
}

/** Body of the callback POSTed after every run (CONTRACT.md "Callback"). */
export interface CallbackBody {
  readonly task_id: string;
  readonly execution_id: string;
  readonly status: 'success' | 'failed';
  readonly result: unknown;
  readonly execution_time_ms: number;
  readonly timestamp: number;
  readonly error?: string;
}
