/**
 * The task routes: schedule, list, read, change, trigger, cancel and preview tasks. Handlers only translate
 * between HTTP and the task service; its domain errors become statuses in `errors.ts`.
 */
import { createRoute, z, type OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';
import { BadRequestError } from '../errors.js';
import { metricScheduleType, type PulseMetrics } from '../observability/metrics.js';
import type { TaskService } from '../tasks/task-service.js';
import { visibleTenant } from '../tenants/tenant-scope.js';
import { principalOf, type AuthVariables } from './auth.js';
import { errorBody } from './errors.js';
import {
  CancelResponse,
  HistoryQuery,
  HistoryResponse,
  ListTasksQuery,
  ListTasksResponse,
  PatchTaskRequest,
  PreviewQuery,
  PreviewResponse,
  PreviewWhenQuery,
  ResultQuery,
  ResultResponse,
  ResultsResponse,
  ScheduleTaskRequest,
  ScheduleTaskResponse,
  TaskIdParam,
  TaskView,
  TriggerRequest,
  TriggerResponse,
} from './schemas.js';

/** A JSON response in the OpenAPI document. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

/** The errors every route may answer. */
export const commonErrors = {
  401: errorBody('Missing or wrong API key'),
  422: errorBody('The request does not match the schema'),
  503: errorBody('Temporal is not reachable'),
};

/** A route about one task: its answer, a 404 for an unknown task, and the errors every route may answer. */
const taskResponses = <T extends z.ZodType>(schema: T, description: string) => ({
  200: json(schema, description),
  404: errorBody('No such task'),
  ...commonErrors,
});

/** `createRoute` for a route about one task, `/tasks/{id}…`: the id in the path, and its query if any. */
function oneTask<
  const M extends 'get' | 'post' | 'delete',
  const P extends `/tasks/{id}${string}`,
  R extends RouteConfig['responses'],
  Q extends z.ZodObject | undefined = undefined,
>(route: { method: M; path: P; summary: string; query?: Q }, responses: R) {
  const { query, ...declared } = route;
  return createRoute({ ...declared, request: { params: TaskIdParam, query: query as Q }, responses });
}

/**
 * A route that changes one task, `/tasks/{id}…`, with a JSON body: the id in the path, the body's schema (optional
 * where `required` is false), and what it answers besides the task routes' own.
 */
function changeTask<
  const M extends 'post' | 'patch',
  const P extends `/tasks/{id}${string}`,
  B extends z.ZodType,
  T extends z.ZodType,
  E extends RouteConfig['responses'],
>(
  route: { method: M; path: P; summary: string },
  body: { schema: B; required: boolean },
  answer: [schema: T, description: string],
  errors: E,
) {
  const { schema, required } = body;
  return createRoute({
    ...route,
    request: { params: TaskIdParam, body: { content: { 'application/json': { schema } }, required } },
    responses: { ...taskResponses(...answer), ...errors },
  });
}

/** A GET of one task's data: its path, what it answers, and the query it takes. */
function readTask<
  const P extends `/tasks/{id}${string}`,
  T extends z.ZodType,
  Q extends z.ZodObject | undefined = undefined,
>(path: P, summary: string, answer: [schema: T, description: string], query?: Q) {
  return oneTask({ method: 'get', path, summary, query }, taskResponses(...answer));
}

export function registerTaskRoutes(
  app: OpenAPIHono<{ Variables: AuthVariables }>,
  tasks: TaskService,
  metrics: PulseMetrics,
): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/tasks/schedule',
      summary: 'Schedule a task',
      request: { body: { content: { 'application/json': { schema: ScheduleTaskRequest } }, required: true } },
      responses: {
        200: json(ScheduleTaskResponse, 'The task was scheduled'),
        400: errorBody('The task cannot be scheduled (time, executor, payload)'),
        413: errorBody('The body is too large (PAYLOAD_TOO_LARGE), or the task it makes (TASK_TOO_LARGE)'),
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
        // With tenants, per tenant (absent in single-tenant Pulse, so its series are as they were).
        ...(visibleTenant() ? { tenant: visibleTenant() } : {}),
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
    oneTask(
      { method: 'get', path: '/tasks/{id}', summary: 'Get a task' },
      taskResponses(TaskView, 'The task'),
    ),
    async (c) => c.json(await tasks.get(c.req.valid('param').id), 200),
  );

  app.openapi(
    oneTask(
      { method: 'delete', path: '/tasks/{id}', summary: 'Cancel a task (and a run in progress)' },
      { ...taskResponses(CancelResponse, 'Cancelled'), 409: errorBody('The task already finished') },
    ),
    async (c) => c.json(await tasks.cancel(c.req.valid('param').id), 200),
  );

  app.openapi(
    changeTask(
      {
        method: 'patch',
        path: '/tasks/{id}',
        summary: 'Pause/resume (status), reschedule (when, repeat, timezone) or change payload/metadata',
      },
      { schema: PatchTaskRequest, required: true },
      [TaskView, 'The task as it now is'],
      {
        400: errorBody('The change cannot be made (time, payload)'),
        409: errorBody('The task is no longer changeable'),
        413: errorBody('The task would be larger than a task may be (TASK_TOO_LARGE)'),
      },
    ),
    async (c) => c.json(await tasks.patch(c.req.valid('param').id, c.req.valid('json')), 200),
  );

  app.openapi(
    changeTask(
      {
        method: 'post',
        path: '/tasks/{id}/trigger',
        summary: 'Run a task once, now, outside its schedule; optionally with input for that run',
      },
      { schema: TriggerRequest, required: false },
      [TriggerResponse, 'Triggered'],
      {
        400: errorBody('The input cannot be used (payload, params)'),
        409: errorBody('The task cannot run any more'),
      },
    ),
    async (c) => {
      // Without a body (the usual trigger) there is nothing to validate.
      const body = c.req.header('content-type') ? c.req.valid('json') : undefined;
      return c.json(await tasks.trigger(c.req.valid('param').id, body), 200);
    },
  );

  // One task's data, read: each route with the handler that answers it.
  const reads = {
    history: readTask(
      '/tasks/{id}/history',
      'Runs of a task, newest first',
      [HistoryResponse, 'History'],
      HistoryQuery,
    ),
    result: readTask(
      '/tasks/{id}/result',
      "A run's real outcome (latest run unless execution_id is given)",
      [ResultResponse, 'Result'],
      ResultQuery,
    ),
    preview: readTask(
      '/tasks/{id}/preview',
      'The next fire times of a task',
      [PreviewResponse, 'Next fire times'],
      PreviewQuery,
    ),
    results: readTask('/tasks/{id}/results', 'Every run of a task with its result, newest first', [
      ResultsResponse,
      'Runs',
    ]),
  };
  app.openapi(reads.history, async (c) =>
    c.json(await tasks.history(c.req.valid('param').id, c.req.valid('query').limit), 200),
  );
  app.openapi(reads.result, async (c) =>
    c.json(await tasks.result(c.req.valid('param').id, c.req.valid('query').execution_id), 200),
  );
  app.openapi(reads.preview, async (c) =>
    c.json(await tasks.preview(c.req.valid('param').id, c.req.valid('query').count), 200),
  );
  app.openapi(reads.results, async (c) => c.json(await tasks.results(c.req.valid('param').id), 200));

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
    async (c) => {
      const query = c.req.valid('query');
      return c.json(await tasks.previewWhen(query.when, query.timezone, query.count), 200);
    },
  );
}
