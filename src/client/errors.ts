/**
 * Everything `PulseClient` throws. `PulseApiError` and its subclasses carry the API's own `status`, `code`,
 * `detail` and field `errors`; `PulseConnectionError` means no answer came back at all.
 */
import type { FieldError } from './types.js';

/** Base class of every error the client throws. */
export class PulseClientError extends Error {
  override name = 'PulseClientError';
}

/** The API answered with an error status; `code` is its machine code (`INVALID_WHEN`, `TASK_NOT_FOUND`, ...). */
export class PulseApiError extends PulseClientError {
  override name = 'PulseApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly errors: readonly FieldError[] = [],
    /** The request that was refused, e.g. `POST /tasks/schedule`. */
    readonly request = '',
  ) {
    super(detail);
  }
}

/** 400 or 422: the request is malformed or unusable (time, executor, payload); see `errors` for the fields. */
export class PulseValidationError extends PulseApiError {
  override name = 'PulseValidationError';
}

/** 401 or 403: the API key is missing or wrong. */
export class PulseAuthError extends PulseApiError {
  override name = 'PulseAuthError';
}

/** 404: no such task (or no such route). */
export class PulseNotFoundError extends PulseApiError {
  override name = 'PulseNotFoundError';
}

/** 409: an illegal state change, or an idempotency key reused with a different body. */
export class PulseConflictError extends PulseApiError {
  override name = 'PulseConflictError';
}

/** 429: too many requests; `retryAfterSeconds` is the server's `Retry-After`, when it sent one. */
export class PulseRateLimitedError extends PulseApiError {
  override name = 'PulseRateLimitedError';
  retryAfterSeconds: number | undefined;
}

/** 5xx: the service is up but cannot serve (503: Temporal is not reachable). */
export class PulseServerError extends PulseApiError {
  override name = 'PulseServerError';
}

/** No HTTP answer: refused connection, DNS failure, reset, or the request timed out. */
export class PulseConnectionError extends PulseClientError {
  override name = 'PulseConnectionError';
  constructor(
    message: string,
    readonly baseUrl: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The request got no answer within the client's `timeoutMs`. */
export class PulseTimeoutError extends PulseConnectionError {
  override name = 'PulseTimeoutError';
}

/** `waitForResult` gave up: the run had not finished when its `timeoutMs` ran out. */
export class PulseWaitTimeoutError extends PulseClientError {
  override name = 'PulseWaitTimeoutError';
  constructor(
    readonly taskId: string,
    readonly waitedMs: number,
  ) {
    super(`Task '${taskId}' had no finished run after ${waitedMs} ms.`);
  }
}

/** The error class for an error answer of the API, chosen by status. */
export function apiErrorFor(
  status: number,
  body: unknown,
  fallback: string,
  request: string,
  headers?: { get(name: string): string | null },
): PulseApiError {
  const parsed = body as Partial<{ detail: unknown; code: unknown; errors: unknown }> | null;
  const detail = typeof parsed?.detail === 'string' ? parsed.detail : fallback;
  const code = typeof parsed?.code === 'string' ? parsed.code : `HTTP_${status}`;
  const errors = Array.isArray(parsed?.errors) ? (parsed.errors as FieldError[]) : [];
  const args = [status, code, detail, errors, request] as const;
  if (status === 400 || status === 422) return new PulseValidationError(...args);
  if (status === 401 || status === 403) return new PulseAuthError(...args);
  if (status === 404) return new PulseNotFoundError(...args);
  if (status === 409) return new PulseConflictError(...args);
  if (status === 429) {
    const error = new PulseRateLimitedError(...args);
    const header = headers?.get('retry-after');
    const retryAfter = header ? Number(header) : NaN;
    error.retryAfterSeconds = Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined;
    return error;
  }
  if (status >= 500) return new PulseServerError(...args);
  return new PulseApiError(...args);
}
