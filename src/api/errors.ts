/**
 * The one place the API turns errors into responses: services throw plain domain errors (`PulseApiError` and its
 * kinds, with Temporal's already translated by `translateTemporalError`), and `handleApiError` answers them with
 * `{detail, code, errors?}` and their status. Anything else is a bug: logged, and a 500 without the stack.
 */
import type { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { PulseApiError, SchemaValidationError, type FieldError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { ErrorResponse, PatchTaskRequest, ScheduleTaskRequest } from './schemas.js';

/** Top-level keys of the request bodies, for "did you mean" on an unknown one. */
const KNOWN_BODY_KEYS = [
  ...new Set([...Object.keys(ScheduleTaskRequest.shape), ...Object.keys(PatchTaskRequest.shape)]),
];

/** An error response in the OpenAPI document. */
export const errorBody = (description: string) => ({
  content: { 'application/json': { schema: ErrorResponse } },
  description,
});

/** An issue zod reports for a value that is not there at all (in any branch of a union). */
function isMissing(issue: z.core.$ZodIssue): boolean {
  if (issue.code === 'invalid_type') return / received undefined$/.test(issue.message);
  if (issue.code === 'invalid_union') {
    return (
      issue.errors.length > 0 && issue.errors.every((branch) => branch.length > 0 && branch.every(isMissing))
    );
  }
  return false;
}

/** The known key `key` most likely meant (a typo, or camelCase for snake_case), if any. */
function likelyMeant(key: string, known: readonly string[]): string | undefined {
  const plain = (k: string) => k.toLowerCase().replace(/[_-]/g, '');
  const exact = known.find((k) => plain(k) === plain(key));
  if (exact) return exact;
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(plain(key), plain(candidate));
    if (distance <= 2 && (!best || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        previous[j]! + 1,
        row[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = row;
  }
  return previous[b.length]!;
}

/** What to send instead of a field a request does not take, where there is something. */
const REPLACED_BY: Readonly<Record<string, string>> = {
  callback_url: "a task's callback is changed with metadata.callback_url",
};

function toFieldErrors(
  issues: readonly z.core.$ZodIssue[],
  prefix?: string,
  knownKeys: readonly string[] = [],
): FieldError[] {
  return issues.flatMap((issue) => {
    const path = [...(prefix ? [prefix] : []), ...issue.path.map(String)];
    if (issue.code === 'unrecognized_keys') {
      // One line per key, each naming what it probably meant: a typo must not be silently dropped.
      return issue.keys.map((key) => {
        const field = [...path, key].join('.');
        // A field of another request (PATCH has no `callback_url`; it takes `metadata.callback_url`).
        if (path.length === 0 && knownKeys.includes(key)) {
          const hint = REPLACED_BY[key];
          return { field, message: `not accepted by this request${hint ? `; ${hint}` : ''}` };
        }
        const meant = path.length === 0 ? likelyMeant(key, knownKeys) : undefined;
        return { field, message: `unknown field${meant ? `; did you mean '${meant}'?` : ''}` };
      });
    }
    return [{ field: path.join('.') || '(body)', message: isMissing(issue) ? 'required' : issue.message }];
  });
}

/** The routes' validation hook: a request that does not match its schema is a 422 listing every bad field. */
export function rejectInvalid(result: { success: boolean; error?: z.ZodError; target?: string }): undefined {
  if (result.success || !result.error) return undefined;
  const prefix = result.target === 'json' ? undefined : result.target;
  throw schemaError(result.error.issues, prefix === 'param' ? 'path' : prefix, KNOWN_BODY_KEYS);
}

/**
 * A 422 listing every field that does not match its schema, in the one form every route, tool and MCP call
 * answers with: `required` for a missing field, `unknown field` (with the likely key) for an unexpected one.
 */
export function schemaError(
  issues: readonly z.core.$ZodIssue[],
  prefix?: string,
  knownKeys: readonly string[] = [],
): SchemaValidationError {
  const errors = toFieldErrors(issues, prefix, knownKeys);
  const detail = `Invalid request: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`;
  return new SchemaValidationError(detail, errors);
}

/** `app.onError`: domain errors with their status, Hono's own (bad JSON, auth challenges), else a 500. */
export function handleApiError(logger: Logger) {
  return (err: Error, c: Context): Response => {
    if (err instanceof PulseApiError) {
      // The rest of an oversized body is never read, so the connection cannot carry another request.
      if (err.code === 'PAYLOAD_TOO_LARGE') c.header('Connection', 'close');
      return c.json(
        { detail: err.detail, code: err.code, ...(err.errors ? { errors: err.errors } : {}) },
        err.status,
      );
    }
    if (err instanceof HTTPException) {
      // A middleware that built its own answer (the bearer-auth challenge).
      if (err.res) return err.getResponse();
      if (err.status === 413) return c.json({ detail: err.message, code: 'PAYLOAD_TOO_LARGE' }, 413);
      if (err.status === 400 && /JSON/i.test(err.message)) {
        return c.json({ detail: 'The request body is not valid JSON.', code: 'INVALID_JSON' }, 400);
      }
      return c.json({ detail: err.message || 'Bad request', code: 'BAD_REQUEST' }, err.status);
    }
    logger.error({ err, method: c.req.method, path: c.req.path }, 'unexpected error in the API');
    return c.json({ detail: 'Internal error; the server log has the details.', code: 'INTERNAL_ERROR' }, 500);
  };
}

/** `app.notFound`: an unknown route, in the same shape as every other error. */
export function routeNotFound(c: Context): Response {
  return c.json({ detail: `No route for ${c.req.method} ${c.req.path}.`, code: 'NOT_FOUND' }, 404);
}
