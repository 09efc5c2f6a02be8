import { z } from 'zod';
import type { FieldError } from '../errors.js';
import type { ExecutionRequest } from '../shared/task-types.js';
import type { Executor, ExecutionContext, TaskParams } from './executor.js';
import { assertSuccessful, httpCall } from './http-call.js';
import { runContextHeaders } from './run-context-headers.js';

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

/** `payload` of an `http_request` task (CONTRACT.md). */
export const HttpRequestPayload = z.object({
  url: z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' }),
  method: z
    .string()
    .transform((m) => m.toUpperCase())
    .pipe(z.enum(HTTP_METHODS, { error: `must be one of ${HTTP_METHODS.join(', ')}` }))
    .default('POST'),
  body: z.unknown().optional(),
  headers: z.record(z.string(), z.string()).nullish(),
  timeout: z.number().positive().max(3600).nullish(),
});

const DEFAULT_TIMEOUT_S = 30;

/** Calls the URL of an `http_request` task and returns `{status_code, headers, body}`. */
export function createHttpRequestExecutor(
  outbound: { dispatcherFor?: (tenant: string | undefined) => unknown } = {},
): Executor {
  return {
    name: 'http',
    description: 'Calls a URL (http_request tasks): method, headers, JSON or text body, timeout.',
    isAvailable: () => ({ available: true }),
    validateParams(task: TaskParams): FieldError[] {
      const parsed = HttpRequestPayload.safeParse(task.payload);
      if (parsed.success) return [];
      return parsed.error.issues.map((issue) => ({
        field: ['payload', ...issue.path.map(String)].join('.'),
        message: issue.message,
      }));
    },
    async execute(request: ExecutionRequest, context: ExecutionContext): Promise<unknown> {
      const payload = HttpRequestPayload.parse(request.payload);
      // The same execution id on every attempt lets the target de-duplicate a retried call.
      const headers: Record<string, string> = {
        'x-pulse-task-id': request.taskId,
        'x-pulse-execution-id': request.executionId,
        ...runContextHeaders(request.runContext),
        ...(payload.headers ?? {}),
      };
      let body: string | undefined;
      if (payload.body !== undefined && payload.body !== null && !['GET', 'HEAD'].includes(payload.method)) {
        if (typeof payload.body === 'string') {
          body = payload.body;
        } else {
          body = JSON.stringify(payload.body);
          if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
            headers['content-type'] = 'application/json';
          }
        }
      }
      const timeoutMs = Math.min((payload.timeout ?? DEFAULT_TIMEOUT_S) * 1000, request.timeoutMs);
      const response = await httpCall(payload.url, {
        method: payload.method,
        headers,
        body,
        timeoutMs,
        signal: context.signal,
        dispatcher: outbound.dispatcherFor?.(request.tenant),
      });
      assertSuccessful(`${payload.method} ${payload.url}`, response);
      return {
        status_code: response.status,
        headers: response.headers,
        body: response.body,
        ...(response.truncated ? { truncated: true } : {}),
      };
    },
  };
}
