/**
 * Serializable shapes that cross the workflow boundary. Node-free on purpose: workflows import this file, and
 * everything here must survive being stored in Temporal history and replayed.
 */

/** Lifecycle of a task as the API reports it. */
export type TaskStatus = 'active' | 'processing' | 'paused' | 'completed' | 'failed' | 'cancelled';

/** Outcome of one run, as the callback and the history report it. */
export type RunStatus = 'success' | 'failed' | 'cancelled' | 'held';

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
  /** The run's context, for a task that asked for it (`run_context`): executors pass it on as headers. */
  readonly runContext?: RunContext;
  /** The task is adaptive: the activity reads the next run the result asks for. */
  readonly adaptive?: true;
  /** The task has a budget: the activity reads the usage the result reports (at `path`, if given). */
  readonly usage?: { readonly path?: string };
  /** The tenant the task belongs to: its signing secret, its concurrent-run limit. */
  readonly tenant?: string;
  /**
   * Epoch milliseconds: a run handed out ahead of its due time (`runLeadMs`) waits in the worker until then, and
   * starts only if its task still wants it (`activities/run-ahead.ts`).
   */
  readonly notBeforeMs?: number;
}

/** What the `executeAgent` activity returns on success. */
export interface ExecutionOutput {
  readonly result: unknown;
  readonly executionTimeMs: number;
  /** SHA-256 of the result's canonical JSON (RFC 8785): how `on_change` delivery compares runs. */
  readonly resultHash?: string;
  /** The result said `"nothing_to_report": true`: the run's callback is not sent. */
  readonly nothingToReport?: boolean;
  /** The result said when to run next (`next_run_in` / `next_run_at`). */
  readonly nextRun?: NextRunRequest;
  /** What the result reported it used (tasks with a budget). */
  readonly usage?: Usage;
}

/**
 * What a run knows of its place among the task's runs (`run_context`), as the agent receives it: a keyword argument
 * of RunAgent and Python agents, a property of a JS agent's params, `x-pulse-*` headers of HTTP calls.
 */
export interface RunContext {
  readonly task_id: string;
  readonly execution_id: string;
  /** ISO-8601 instant of the occurrence this run serves. */
  readonly scheduled_for: string;
  /** 1 for the task's first run. */
  readonly run_number: number;
  readonly previous_run: {
    readonly execution_id: string;
    readonly scheduled_for: string;
    readonly finished_at: string;
    readonly status: RunStatus;
    /** The result as text (JSON unless it was a string), cut to 1,000 characters. */
    readonly result_summary: string | null;
    readonly error?: string;
  } | null;
  /** ISO-8601 instant of the task's next occurrence after this one; null when none is planned. */
  readonly next_run_at: string | null;
}

/** How a task asked for its run context: for agents, the keyword argument that carries it. */
export interface RunContextOption {
  readonly kwarg?: string;
}

/** Which runs' callbacks are sent (`delivery.mode`). */
export type DeliveryMode = 'always' | 'on_change' | 'on_failure';

/** A task's delivery policy (`delivery`); absent means every run's callback is sent to `callbackUrl`. */
export interface DeliveryPolicy {
  readonly mode: DeliveryMode;
  /** Failed runs' callbacks, alerts and recovery notices go here instead of `callbackUrl`. */
  readonly failureUrl?: string;
  /** An alert after this many failed runs in a row, and a recovery notice at the next success. */
  readonly alertAfter?: number;
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
   * Tenants: how long before its due time a one-time run is handed to a worker, which holds it until the due time
   * (docs/tenants.md, "Runs handed out ahead"). Absent or 0: the run is handed out when due.
   */
  readonly runLeadMs?: number;
  /**
   * The workflow behaviour the task was created for (`TASK_INPUT_VERSION` when Pulse made it; absent, 1, in tasks
   * made before versions and by hand). Histories replay by it: a version changes what the workflow records.
   */
  readonly version?: number;
  /** Set on a run started by `POST /tasks/{id}/trigger` with input: what that one run uses instead. */
  readonly triggerInput?: TriggerInput;
  /** Set when the task asked for each run's context (`run_context`). */
  readonly runContext?: RunContextOption;
  /** Set when not every run's callback goes to `callbackUrl` (`delivery`). */
  readonly delivery?: DeliveryPolicy;
  /** Set when the agent's result picks each next run (`adaptive`): the workflow continues as new for it. */
  readonly adaptive?: AdaptivePolicy;
  /** An adaptive task's runs before this workflow execution (it continued as new from them). */
  readonly earlier?: EarlierRuns;
  /** Set when the task has a spending limit per period (`budget`). */
  readonly budget?: BudgetPolicy;
  /** The tenant the task belongs to (docs/tenants.md): its signing secret and fairness key on the worker. */
  readonly tenant?: string;
}

/** A task's spending limit per calendar period in its time zone (`budget`); at least one of tokens and cost. */
export interface BudgetPolicy {
  readonly period: 'day' | 'month';
  readonly timeZone: string;
  readonly tokens?: number;
  readonly cost?: number;
  /** Dotted path in the result to the usage object (default: `usage`, or `body.usage` of an HTTP call). */
  readonly usagePath?: string;
}

/** What one run reported it used. */
export interface Usage {
  readonly tokens?: number;
  readonly cost?: number;
}

/** What a task spent in one budget period, up to and including a run. */
export interface Spend {
  /** The period: `2026-12-02` (day) or `2026-12` (month), in the budget's time zone. */
  readonly period: string;
  readonly tokens: number;
  readonly cost: number;
}

/** A budget check before a run (the `checkBudget` activity). */
export interface BudgetCheck {
  readonly period: string;
  /** When the period ends (the next one begins), epoch ms. */
  readonly periodEndMs: number;
  /** Spent in the period before this run. */
  readonly spent: Spend;
  /** Why the run is held (not run); absent when it may run. */
  readonly held?: string;
}

/** Bounds of an adaptive task's next run, measured from the end of a run. */
export interface AdaptivePolicy {
  readonly minIntervalMs: number;
  readonly maxIntervalMs: number;
  /** Total runs, the first included; absent = no end. */
  readonly times?: number;
}

/** What an execution of an adaptive task carries of the runs before it. */
export interface EarlierRuns {
  /** How many runs came before. */
  readonly count: number;
  /** The latest of them, most recent first, results cut to their summary. */
  readonly runs: readonly RunRecord[];
}

/** What an agent's result asked of its next run (adaptive tasks), as the activity read it. */
export interface NextRunRequest {
  /** `next_run_in`, in ms. */
  readonly inMs?: number;
  /** `next_run_at`, in epoch ms. */
  readonly atMs?: number;
  /** `next_run_in` or `next_run_at` was null: no more runs. */
  readonly stop?: true;
  /** What was wrong with what the result said (the run then waits max_interval). */
  readonly invalid?: string;
}

/** How an adaptive task's next run was set after a run. */
export interface NextRunDecision {
  /** ISO-8601 instant of the next run; null when the task ended. */
  readonly at: string | null;
  readonly reason: string;
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
  /** Where the callback went (or, skipped, would have gone). */
  readonly url: string;
  /**
   * `skipped`: the delivery policy or the agent ("nothing to report") decided not to send it; see `reason`.
   * `retrying`: the first attempt failed (see `error`) and it is being retried within the delivery window.
   */
  readonly status: 'delivered' | 'failed' | 'skipped' | 'retrying';
  readonly attempts?: number;
  readonly error?: string;
  readonly reason?: string;
}

/** A callback whose delivery is over: delivered, failed for good, or not sent. */
export type SettledCallback = CallbackOutcome & {
  readonly status: Exclude<CallbackOutcome['status'], 'retrying'>;
};

/** An alert (failures in a row) or a recovery notice sent after a run, and how its delivery went. */
export interface NoticeOutcome {
  readonly event: 'alert' | 'recovery';
  readonly url: string;
  /** Failed runs in a row: up to this run (alert), or before it (recovery). */
  readonly failures: number;
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
  /** See `ExecutionOutput`. */
  readonly resultHash?: string;
  readonly nothingToReport?: boolean;
  /** The alert or recovery notice this run caused (`delivery.alert_after`). */
  readonly notice?: NoticeOutcome;
  /** Adaptive tasks: what the result asked of the next run, and when it was set. */
  readonly nextRunRequest?: NextRunRequest;
  readonly nextRun?: NextRunDecision;
  /** Tasks with a budget: what this run used, and what the task spent in the period up to it. */
  readonly usage?: Usage;
  readonly spend?: Spend;
  /** Status `held`: why the occurrence was not run (its budget). A run that waited for its budget: why it did. */
  readonly heldReason?: string;
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

/**
 * Body of an alert (`delivery.alert_after` failed runs in a row) or of the recovery notice at the next success,
 * POSTed and signed like a callback; `event` tells it from a run's callback.
 */
export interface NoticeBody {
  readonly event: 'alert' | 'recovery';
  readonly task_id: string;
  /** The run that caused the notice. */
  readonly execution_id: string;
  /** Failed runs in a row: up to this run (alert), or before it (recovery). */
  readonly failures: number;
  /** The failed run's error (alert). */
  readonly error?: string;
  readonly timestamp: number;
}
