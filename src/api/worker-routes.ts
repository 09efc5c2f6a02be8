/** External workers: `GET /tasks/poll`, `POST /tasks/{id}/claim`, `POST /tasks/{id}/ack` (CONTRACT.md). */
import { createRoute, z, type OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';
import type { TaskService } from '../tasks/task-service.js';
import { errorBody } from './errors.js';
import { TaskIdParam } from './schemas.js';

const WorkerId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'must be visible ASCII without spaces')
  .openapi({ example: 'worker-7' });

const PollQuery = z.object({
  types: z
    .string()
    .max(2000)
    .optional()
    .openapi({ description: 'Comma-separated schedule types; all external-worker types when absent' }),
  limit: z.coerce.number().int().min(1).max(100).default(10),
});

const PollResponse = z
  .object({
    tasks: z.array(
      z.object({
        task_id: z.string(),
        schedule_type: z.string(),
        payload: z.record(z.string(), z.unknown()),
        scheduled_for: z.string(),
        metadata: z.record(z.string(), z.unknown()),
      }),
    ),
    next_poll_at: z.string(),
  })
  .openapi('PollResponse');

const ClaimRequest = z
  .object({
    worker_id: WorkerId,
    lease_seconds: z.number().int().min(1).max(3600).nullish().openapi({
      description:
        'How long the claim holds without an ack (default PULSE_WORKER_LEASE, 60 s); claim again to renew',
    }),
  })
  .openapi('ClaimRequest');

const ClaimResponse = z
  .object({ status: z.literal('claimed'), execution_id: z.string(), lease_expires_at: z.string() })
  .openapi('ClaimResponse');

const AckRequest = z
  .object({
    worker_id: WorkerId,
    status: z.enum(['success', 'failed']),
    execution_id: z.string().min(1).max(300).nullish().openapi({
      description: 'The execution id the claim returned; absent or null: the claim this worker holds now',
    }),
    execution_time_ms: z.number().int().min(0).nullish(),
    error: z.string().max(10_000).nullish(),
    result: z.unknown().optional(),
  })
  .openapi('AckRequest');

const AckResponse = z.object({ next_execution: z.string().nullable() }).openapi('AckResponse');

/** A worker's POST about one task: its body, and what it answers besides the shared 404 and 422. */
function workerCall<
  const P extends `/tasks/{id}/${string}`,
  B extends z.ZodType,
  R extends RouteConfig['responses'],
>(path: P, summary: string, body: B, responses: R) {
  return createRoute({
    method: 'post',
    path,
    summary,
    request: {
      params: TaskIdParam,
      body: { content: { 'application/json': { schema: body } }, required: true },
    },
    responses: { ...responses, 404: errorBody('No such task'), 422: errorBody('Bad body') },
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function registerWorkerRoutes(app: OpenAPIHono<any>, tasks: TaskService): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/tasks/poll',
      summary: 'Due generic tasks waiting for an external worker',
      request: { query: PollQuery },
      responses: {
        200: { content: { 'application/json': { schema: PollResponse } }, description: 'Claimable tasks' },
        422: errorBody('Bad query'),
      },
    }),
    async (c) => {
      const { types, limit } = c.req.valid('query');
      const list = (types ?? '')
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      return c.json(await tasks.poll(list, limit), 200);
    },
  );

  app.openapi(
    workerCall('/tasks/{id}/claim', 'Claim a due task; exactly one worker wins', ClaimRequest, {
      200: { content: { 'application/json': { schema: ClaimResponse } }, description: 'Claimed' },
      409: errorBody('Not claimable: held by another worker, not due, paused, finished'),
    }),
    async (c) => {
      const body = c.req.valid('json');
      const leaseMs = body.lease_seconds ? body.lease_seconds * 1000 : undefined;
      return c.json(await tasks.claim(c.req.valid('param').id, body.worker_id, leaseMs), 200);
    },
  );

  app.openapi(
    workerCall(
      '/tasks/{id}/ack',
      'Report the outcome of a claimed run; only the claim holder may',
      AckRequest,
      {
        200: { content: { 'application/json': { schema: AckResponse } }, description: 'Recorded' },
        409: errorBody('This worker does not hold the claim (or its lease ran out)'),
      },
    ),
    async (c) => {
      const body = c.req.valid('json');
      return c.json(
        await tasks.ack(c.req.valid('param').id, {
          worker_id: body.worker_id,
          status: body.status,
          execution_id: body.execution_id ?? undefined,
          execution_time_ms: body.execution_time_ms ?? undefined,
          error: body.error ?? undefined,
          result: body.result,
        }),
        200,
      );
    },
  );
}
