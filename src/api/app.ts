/**
 * The HTTP API as a value: `createApp(deps)` returns a Hono app that can be served on a port or called with
 * `app.request()` in a test.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { createHash, timingSafeEqual } from 'node:crypto';
import { BadRequestError, PulseApiError, SchemaValidationError, type FieldError } from '../errors.js';
import {
  METRICS_CONTENT_TYPE,
  metricScheduleType,
  pulseMetrics,
  renderMetrics,
} from '../observability/metrics.js';
import type { DestinationGuard } from '../security/ssrf-guard.js';
import { createRateLimiter } from './rate-limit.js';
import { registerToolRoutes } from './tools.js';
import { registerWorkerRoutes } from './worker-routes.js';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { ExecutorFactory } from '../executors/executor-factory.js';
import { createTaskService } from '../tasks/task-service.js';
import { checkHealth } from './health.js';
import {
  CancelResponse,
  ErrorResponse,
  ExecutorListResponse,
  HistoryQuery,
  HistoryResponse,
  ListTasksQuery,
  ListTasksResponse,
  MAX_JSON_DEPTH,
  PatchTaskRequest,
  PreviewQuery,
  PreviewResponse,
  PreviewWhenQuery,
  ResultsResponse,
  TriggerResponse,
  ResultQuery,
  ResultResponse,
  ScheduleTaskRequest,
  ScheduleTaskResponse,
  TaskIdParam,
  TaskView,
  pathBeyondDepth,
} from './schemas.js';

export interface AppDeps {
  readonly client: Client;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly executors: ExecutorFactory;
  /** Base URL of the Temporal Web UI, for `ui_url`. */
  readonly uiUrl: string;
  readonly apiKeys: readonly string[];
  readonly bodyLimitBytes: number;
  readonly defaultTimezone: string;
  /** The SSRF guard for user-supplied URLs; defaults to refusing private, loopback and metadata addresses. */
  readonly destinationGuard?: DestinationGuard;
  /** `PULSE_METRICS_PUBLIC`: serve `/metrics` without the API key (for a scraper on a private network). */
  readonly metricsPublic?: boolean;
  /** The Temporal SDK's metrics endpoint in this process, appended to `/metrics`. */
  readonly workerMetricsUrl?: string;
  /** `PULSE_MAX_RESULT_BYTES`: bound on results external workers ack. */
  readonly maxResultBytes?: number;
  /** `PULSE_WORKER_LEASE` in ms: default lease of an external worker's claim. */
  readonly workerLeaseMs?: number;
  /** `PULSE_RATE_LIMIT`: requests a minute per client; 0 or absent = no limit. */
  readonly rateLimitPerMinute?: number;
  /** `PULSE_CALLBACK_WINDOW` in ms. */
  readonly callbackWindowMs?: number;
  /** `DEFAULT_EXECUTOR`, reported by `GET /executors`. */
  readonly defaultExecutor?: string;
  /** With `PULSE_TRACING` on: runs each request under the caller's `traceparent`, so spans join its trace. */
  readonly withTraceParent?: <T>(headers: Headers, handle: () => Promise<T>) => Promise<T>;
  readonly now?: () => Date;
}

const errorBody = (description: string) => ({
  content: { 'application/json': { schema: ErrorResponse } },
  description,
});

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

const commonErrors = {
  401: errorBody('Missing or wrong API key'),
  422: errorBody('The request does not match the schema'),
  503: errorBody('Temporal is not reachable'),
};

function toFieldErrors(issues: readonly z.core.$ZodIssue[], prefix?: string): FieldError[] {
  return issues.map((issue) => {
    const path = [...(prefix ? [prefix] : []), ...issue.path.map(String)];
    return { field: path.join('.') || '(body)', message: issue.message };
  });
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Compares a presented key with every configured key in constant time (per key). */
function keyMatches(presented: string, keys: readonly Buffer[]): boolean {
  const candidate = digest(presented);
  let matched = false;
  for (const key of keys) matched = timingSafeEqual(candidate, key) || matched;
  return matched;
}

export function createApp(deps: AppDeps) {
  const tasks = createTaskService(deps);
  const keyDigests = deps.apiKeys.map(digest);
  const limiter = deps.rateLimitPerMinute ? createRateLimiter(deps.rateLimitPerMinute) : undefined;
  const metrics = pulseMetrics();

  /** Who is calling: the API key's fingerprint, or the client address when auth is off. */
  const principalOf = (c: Context<{ Variables: { principal?: string } }>): string => {
    const known = c.get('principal');
    if (known) return known;
    try {
      return `addr:${getConnInfo(c).remote.address ?? 'unknown'}`;
    } catch {
      return 'addr:unknown';
    }
  };

  const app = new OpenAPIHono<{ Variables: { principal?: string } }>({
    defaultHook: (result) => {
      if (!result.success) {
        const target = (result as { target?: string }).target;
        const prefix = target === 'json' ? undefined : target;
        const errors = toFieldErrors(result.error.issues, prefix === 'param' ? 'path' : prefix);
        const detail = `Invalid request: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`;
        throw new SchemaValidationError(detail, errors);
      }
      return undefined;
    },
  });

  const { withTraceParent } = deps;
  if (withTraceParent) app.use('*', (c, next) => withTraceParent(c.req.raw.headers, next));

  // Latency by route template (not raw path, so task ids do not explode the label set) and status.
  app.use('*', async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const route =
        c.req.routePath && c.req.routePath !== '*' && c.req.routePath !== '/*'
          ? c.req.routePath
          : 'unmatched';
      metrics.apiRequests.observe(
        { method: c.req.method, route, status: String(c.res.status) },
        (performance.now() - started) / 1000,
      );
    }
  });

  app.onError((err, c) => {
    if (err instanceof PulseApiError) {
      // The rest of an oversized body is never read, so the connection cannot carry another request.
      if (err.status === 413) c.header('Connection', 'close');
      return c.json(
        { detail: err.detail, code: err.code, ...(err.errors ? { errors: err.errors } : {}) },
        err.status,
      );
    }
    if (err instanceof HTTPException) {
      if (err.status === 413) return c.json({ detail: err.message, code: 'PAYLOAD_TOO_LARGE' }, 413);
      if (err.status === 400 && /JSON/i.test(err.message)) {
        return c.json({ detail: 'The request body is not valid JSON.', code: 'INVALID_JSON' }, 400);
      }
      return c.json({ detail: err.message || 'Bad request', code: 'BAD_REQUEST' }, err.status);
    }
    console.error('[api] unexpected error', err);
    return c.json({ detail: 'Internal error; the server log has the details.', code: 'INTERNAL_ERROR' }, 500);
  });

  app.notFound((c) =>
    c.json({ detail: `No route for ${c.req.method} ${c.req.path}.`, code: 'NOT_FOUND' }, 404),
  );

  app.use('*', async (c, next) => {
    if (keyDigests.length === 0 || c.req.path === '/health') return next();
    if (c.req.path === '/metrics' && deps.metricsPublic) return next();
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const presented = match?.[1]?.trim();
    if (presented && keyMatches(presented, keyDigests))
      c.set('principal', `key:${digest(presented).toString('hex').slice(0, 16)}`);
    if (!presented || !keyMatches(presented, keyDigests)) {
      c.header('WWW-Authenticate', 'Bearer');
      throw new PulseApiError(
        401,
        'UNAUTHORIZED',
        'A valid API key is required: send "Authorization: Bearer <key>".',
      );
    }
    return next();
  });

  if (limiter) {
    app.use('*', async (c, next) => {
      if (c.req.path === '/health') return next();
      const wait = limiter.take(principalOf(c));
      if (wait > 0) {
        c.header('Retry-After', String(Math.ceil(wait / 1000)));
        throw new PulseApiError(
          429,
          'RATE_LIMITED',
          `Too many requests: the limit is ${deps.rateLimitPerMinute} a minute; retry in ${Math.ceil(wait / 1000)} s.`,
        );
      }
      return next();
    });
  }

  app.use(
    '*',
    bodyLimit({
      maxSize: deps.bodyLimitBytes,
      onError: () => {
        throw new PulseApiError(
          413,
          'PAYLOAD_TOO_LARGE',
          `The request body exceeds ${deps.bodyLimitBytes} bytes.`,
        );
      },
    }),
  );

  // A JSON body sent with another content type would otherwise be read as empty and blamed on its fields.
  app.use('*', async (c, next) => {
    if (['POST', 'PATCH', 'PUT'].includes(c.req.method) && c.req.header('content-length') !== '0') {
      const type = c.req.header('content-type');
      // JSON only, stated: a body without a content type is what a browser page may send cross-site without a
      // CORS preflight, so accepting it would let any web page schedule tasks on an unauthenticated Pulse.
      if (type === undefined || !/^application\/(.+\+)?json\b/i.test(type)) {
        throw new PulseApiError(
          422,
          'UNSUPPORTED_CONTENT_TYPE',
          `The request body must be JSON, sent with content-type: application/json${type ? ` (not '${type}')` : ''}.`,
        );
      }
    }
    return next();
  });

  // Before any route parses the body: a body nested past MAX_JSON_DEPTH is refused here for every route (schedule,
  // PATCH, tools, MCP, ack), as it would overflow the stack later in Temporal's payload converter.
  app.use('*', async (c, next) => {
    if (!['POST', 'PATCH', 'PUT'].includes(c.req.method) || !c.req.raw.body) return next();
    const text = await c.req.text();
    // Routes reading c.req.raw (MCP) need a body that is still unread; the others get the cached text.
    c.req.raw = new Request(c.req.raw, { body: text });
    const path = pathBeyondDepth(text);
    if (path) {
      const where = path.slice(0, 4).join('.') + (path.length > 4 ? '…' : '');
      const message = `nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`;
      throw new BadRequestError(
        'JSON_TOO_DEEP',
        `The request body ${message} (at ${where}); Pulse accepts at most ${MAX_JSON_DEPTH}, counting the body itself.`,
        [{ field: path[0]!, message }],
      );
    }
    return next();
  });

  app.get('/metrics', async (c) => {
    c.header('content-type', METRICS_CONTENT_TYPE);
    return c.body(await renderMetrics(deps.workerMetricsUrl));
  });

  // Before /tasks/{id}: `/tasks/poll` must not be read as a task id.
  registerWorkerRoutes(app, tasks);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/health',
      summary: 'Service health: API, Temporal and worker',
      responses: {
        200: json(z.object({ status: z.string() }).passthrough(), 'Healthy'),
        503: json(z.object({ status: z.string() }).passthrough(), 'Degraded'),
      },
    }),
    async (c) => {
      const health = await checkHealth(deps);
      return c.json(health, health.status === 'ok' ? 200 : 503);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/tasks/schedule',
      summary: 'Schedule a task',
      request: { body: { content: { 'application/json': { schema: ScheduleTaskRequest } }, required: true } },
      responses: {
        200: json(ScheduleTaskResponse, 'The task was scheduled'),
        400: errorBody('The task cannot be scheduled (time, executor, payload)'),
        413: errorBody('The body is too large'),
        ...commonErrors,
      },
    }),
    async (c) => {
      const key = c.req.header('idempotency-key');
      if (key !== undefined && (key.length === 0 || key.length > 255 || !/^[\x21-\x7e]+$/.test(key))) {
        throw new BadRequestError(
          'INVALID_IDEMPOTENCY_KEY',
          'Idempotency-Key must be 1 to 255 visible ASCII characters.',
        );
      }
      const idempotency = key ? { key, principal: principalOf(c) } : undefined;
      const body = c.req.valid('json');
      const scheduled = await tasks.schedule(body, idempotency);
      metrics.tasksScheduled.inc({
        schedule_type: metricScheduleType(body.schedule_type),
        executor: scheduled.executor ?? 'unknown',
        kind: scheduled.ui_url.includes('/schedules/') ? 'recurring' : 'once',
      });
      const { executor: _executor, ...response } = scheduled;
      return c.json(response, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tasks',
      summary: 'List tasks (Temporal visibility)',
      request: { query: ListTasksQuery },
      responses: {
        200: json(ListTasksResponse, 'Tasks, newest first'),
        400: errorBody('Bad cursor, or start_time after end_time'),
        ...commonErrors,
      },
    }),
    async (c) => c.json(await tasks.list(c.req.valid('query')), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tasks/{id}',
      summary: 'Get a task',
      request: { params: TaskIdParam },
      responses: { 200: json(TaskView, 'The task'), 404: errorBody('No such task'), ...commonErrors },
    }),
    async (c) => c.json(await tasks.get(c.req.valid('param').id), 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/tasks/{id}',
      summary: 'Cancel a task (and a run in progress)',
      request: { params: TaskIdParam },
      responses: {
        200: json(CancelResponse, 'Cancelled'),
        404: errorBody('No such task'),
        409: errorBody('The task already finished'),
        ...commonErrors,
      },
    }),
    async (c) => c.json(await tasks.cancel(c.req.valid('param').id), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tasks/{id}/history',
      summary: 'Runs of a task, newest first',
      request: { params: TaskIdParam, query: HistoryQuery },
      responses: { 200: json(HistoryResponse, 'History'), 404: errorBody('No such task'), ...commonErrors },
    }),
    async (c) => c.json(await tasks.history(c.req.valid('param').id, c.req.valid('query').limit), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tasks/{id}/result',
      summary: "A run's real outcome (latest run unless execution_id is given)",
      request: { params: TaskIdParam, query: ResultQuery },
      responses: { 200: json(ResultResponse, 'Result'), 404: errorBody('No such task'), ...commonErrors },
    }),
    async (c) => c.json(await tasks.result(c.req.valid('param').id, c.req.valid('query').execution_id), 200),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/tasks/{id}',
      summary: 'Pause/resume (status), reschedule (when, repeat, timezone) or change payload/metadata',
      request: {
        params: TaskIdParam,
        body: { content: { 'application/json': { schema: PatchTaskRequest } }, required: true },
      },
      responses: {
        200: json(TaskView, 'The task as it now is'),
        400: errorBody('The change cannot be made (time, payload)'),
        404: errorBody('No such task'),
        409: errorBody('The task is no longer changeable'),
        ...commonErrors,
      },
    }),
    async (c) => c.json(await tasks.patch(c.req.valid('param').id, c.req.valid('json')), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/tasks/{id}/trigger',
      summary: 'Run a task once, now, outside its schedule',
      request: { params: TaskIdParam },
      responses: {
        200: json(TriggerResponse, 'Triggered'),
        404: errorBody('No such task'),
        409: errorBody('The task cannot run any more'),
        ...commonErrors,
      },
    }),
    async (c) => c.json(await tasks.trigger(c.req.valid('param').id), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tasks/{id}/preview',
      summary: 'The next fire times of a task',
      request: { params: TaskIdParam, query: PreviewQuery },
      responses: {
        200: json(PreviewResponse, 'Next fire times'),
        404: errorBody('No such task'),
        ...commonErrors,
      },
    }),
    async (c) => c.json(await tasks.preview(c.req.valid('param').id, c.req.valid('query').count), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tasks/{id}/results',
      summary: 'Every run of a task with its result, newest first',
      request: { params: TaskIdParam },
      responses: { 200: json(ResultsResponse, 'Runs'), 404: errorBody('No such task'), ...commonErrors },
    }),
    async (c) => c.json(await tasks.results(c.req.valid('param').id), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/preview',
      summary: 'The next fire times of a `when`, checked before anything is scheduled',
      request: { query: PreviewWhenQuery },
      responses: {
        200: json(PreviewResponse, 'Next fire times'),
        400: errorBody('Unparseable when'),
        ...commonErrors,
      },
    }),
    (c) => {
      const query = c.req.valid('query');
      return c.json(tasks.previewWhen(query.when, query.timezone, query.count), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/executors',
      summary: 'Registered executors, which are available, and why the others are not',
      responses: { 200: json(ExecutorListResponse, 'Executors'), ...commonErrors },
    }),
    (c) => {
      const executors = deps.executors.list();
      return c.json(
        {
          executors,
          available: executors.filter((e) => e.available).map((e) => e.name),
          default: deps.defaultExecutor ?? null,
        },
        200,
      );
    },
  );

  // Agent-facing surfaces, in their own module.
  registerToolRoutes(app, tasks);

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Pulse',
      version: '0.1.0',
      description: 'Durable scheduler for AI-agent runs on Temporal, wire-compatible with RunAgent Pulse.',
    },
  });

  return app;
}

export type PulseApp = ReturnType<typeof createApp>;
