/**
 * Every error type Pulse names. API errors carry their HTTP status and machine code; permanent run failures are
 * non-retryable `ApplicationFailure`s (Temporal must not retry them); anything else thrown plainly is transient
 * and retried by Temporal.
 */
import { ApplicationFailure } from '@temporalio/common';

/** One bad field of a request, as listed in a 4xx body's `errors`. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** An error the API turns into `{detail, code, errors?}` with its own status. */
export class PulseApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 503,
    readonly code: string,
    readonly detail: string,
    readonly errors?: readonly FieldError[],
  ) {
    super(detail);
    this.name = 'PulseApiError';
  }
}

/** 422: the body or query does not match the schema. */
export class SchemaValidationError extends PulseApiError {
  constructor(detail: string, errors: readonly FieldError[]) {
    super(422, 'VALIDATION_ERROR', detail, errors);
  }
}

/** 413: a task whose own data (payload, metadata, settings) is larger than a task may hold. */
export class TaskTooLargeError extends PulseApiError {
  constructor(detail: string) {
    super(413, 'TASK_TOO_LARGE', detail);
  }
}

/** 400: well-formed but unusable input (unparseable time, unknown executor, missing agent fields). */
export class BadRequestError extends PulseApiError {
  constructor(code: string, detail: string, errors?: readonly FieldError[]) {
    super(400, code, detail, errors);
  }
}

export class TaskNotFoundError extends PulseApiError {
  constructor(taskId: string) {
    super(404, 'TASK_NOT_FOUND', `No task with id '${taskId}'.`);
  }
}

/** The caller may not do this (a tenant's limit), whatever it sends. */
export class ForbiddenError extends PulseApiError {
  constructor(code: string, detail: string) {
    super(403, code, detail);
  }
}

export class ConflictError extends PulseApiError {
  constructor(code: string, detail: string) {
    super(409, code, detail);
  }
}

export class TemporalUnavailableError extends PulseApiError {
  constructor(detail: string) {
    super(503, 'TEMPORAL_UNAVAILABLE', detail);
  }
}

/** A run failure that retrying cannot fix (bad params, an agent's 4xx). */
export function permanentFailure(type: string, message: string, details?: unknown[]): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details });
}
