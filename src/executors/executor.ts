/**
 * The one interface every executor implements. An executor turns an `ExecutionRequest` into a JSON result; it
 * throws a non-retryable `ApplicationFailure` for permanent errors and a plain `Error` for transient ones.
 */
import type { FieldError } from '../errors.js';
import type { ExecutionRequest } from '../shared/task-types.js';

export interface ExecutionContext {
  /** Aborted when the task is cancelled or the attempt times out; pass it to `fetch` and child processes. */
  readonly signal: AbortSignal;
  /** Reports progress; also how a cancellation reaches a long run. */
  heartbeat(details?: unknown): void;
}

export interface Availability {
  readonly available: boolean;
  /** Why it is not available (shown by `GET /executors`). */
  readonly reason?: string;
}

/** Fields of a task an executor looks at before accepting it. */
export type TaskParams = Pick<ExecutionRequest, 'scheduleType' | 'payload' | 'metadata' | 'webhook'>;

export interface Executor {
  /** Registered name, lower-case (`http`, `webhook`, `serverless`, ...). */
  readonly name: string;
  readonly description: string;
  isAvailable(): Availability;
  /** Returns the problems with the task's parameters; empty when the executor can run it. */
  validateParams(task: TaskParams): FieldError[];
  execute(request: ExecutionRequest, context: ExecutionContext): Promise<unknown>;
}
