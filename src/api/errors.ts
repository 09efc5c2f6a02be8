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
import { ErrorResponse } from './schemas.js';

/** An error response in the OpenAPI document. */
export const errorBody = (description: string) => ({
  content: { 'application/json': { schema: ErrorResponse } },
  description,
});

function toFieldErrors(issues: readonly z.core.$ZodIssue[], prefix?: string): FieldError[] {
  return issues.map((issue) => {
    const path = [...(prefix ? [prefix] : []), ...issue.path.map(String)];
    return { field: path.join('.') || '(body)', message: issue.message };
  });
}

/** The routes' validation hook: a request that does not match its schema is a 422 listing every bad field. */
export function rejectInvalid(result: { success: boolean; error?: z.ZodError; target?: string }): undefined {
  if (result.success || !result.error) return undefined;
  const prefix = result.target === 'json' ? undefined : result.target;
  const errors = toFieldErrors(result.error.issues, prefix === 'param' ? 'path' : prefix);
  const detail = `Invalid request: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`;
  throw new SchemaValidationError(detail, errors);
}

/** `app.onError`: domain errors with their status, Hono's own (bad JSON, auth challenges), else a 500. */
export function handleApiError(logger: Logger) {
  return (err: Error, c: Context): Response => {
    if (err instanceof PulseApiError) {
      // The rest of an oversized body is never read, so the connection cannot carry another request.
      if (err.status === 413) c.header('Connection', 'close');
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
