/**
 * The HTTP API as a value: `createApp(deps)` returns a Hono app that can be served on a port or called with
 * `app.request()` in a test. It takes services, not settings: the composition root (`src/main/services.ts`) builds
 * them from the configuration, and tests hand in in-memory fakes.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { BadRequestError, PulseApiError } from '../errors.js';
import type { ExecutorFactory } from '../executors/executor-factory.js';
import type { CalendarFeed } from '../calendar/calendar-feed.js';
import type { LedgerService } from '../ledger/ledger-service.js';
import type { Logger } from '../observability/logger.js';
import { METRICS_CONTENT_TYPE, type PulseMetrics } from '../observability/metrics.js';
import type { TaskService } from '../tasks/task-service.js';
import { currentScope } from '../tenants/tenant-scope.js';
import { apiKeyAuth, limitWrongKeys, principalOf, type ApiAuth, type AuthVariables } from './auth.js';
import { registerDashboardRoutes } from './dashboard-routes.js';
import { CALENDAR_FEED_PATH, registerCalendarRoutes } from './calendar-routes.js';
import { handleApiError, rejectInvalid, routeNotFound } from './errors.js';
import type { Health } from './health.js';
import { registerLedgerRoutes } from './ledger-routes.js';
import { createRateLimiter } from './rate-limit.js';
import { FAVICON_PATH, registerBrowserPages, type LandingLinks } from './reference.js';
import { ExecutorListResponse, MAX_JSON_DEPTH, pathBeyondDepth } from './schemas.js';
import { commonErrors, json, registerTaskRoutes } from './task-routes.js';
import { registerToolRoutes } from './tools.js';
import { registerWorkerRoutes } from './worker-routes.js';

export type { ApiAuth } from './auth.js';

/** Requests a minute with a missing or wrong key that one client address may make before it must wait. */
const WRONG_KEYS_PER_MINUTE = 60;

const TenantListResponse = z
  .object({
    multi_tenant: z.boolean().openapi({ description: 'Whether this Pulse has tenants (PULSE_TENANTS_FILE)' }),
    admin: z.boolean(),
    tenants: z.array(z.object({ id: z.string(), name: z.string().nullable() })),
  })
  .openapi('TenantList');

/** What the API reports about executors (`GET /executors`). */
export interface ExecutorCatalog {
  list: ExecutorFactory['list'];
  /** `DEFAULT_EXECUTOR`, if one is set. */
  readonly defaultExecutor?: string;
}

export interface ApiLimits {
  /** Largest request body accepted; larger is a 413. */
  readonly bodyBytes: number;
  /** Requests a minute per client (API key, else address); 0 or absent = no limit. */
  readonly requestsPerMinute?: number;
  /** Requests a minute with a missing or wrong key per client address before it must wait; default 60. */
  readonly wrongKeysPerMinute?: number;
}

export interface AppDeps {
  /** Tasks: schedule, read, change, cancel, preview, and the external workers' poll/claim/ack. */
  readonly tasks: TaskService;
  readonly executors: ExecutorCatalog;
  readonly auth: ApiAuth;
  readonly limits: ApiLimits;
  /** The process's metrics registry: request latency and tasks scheduled are recorded here, served at /metrics. */
  readonly metrics: PulseMetrics;
  /** Where unexpected errors are logged. */
  readonly logger: Logger;
  /** API, Temporal and worker health, for `GET /health`. */
  readonly health: () => Promise<Health>;
  /** With tracing on: runs each request under the caller's `traceparent`, so spans join its trace. */
  readonly withTraceParent?: <T>(headers: Headers, handle: () => Promise<T>) => Promise<T>;
  /** What the landing page (`GET /`) links to besides the API's own pages. */
  readonly links?: LandingLinks;
  /** The occurrence ledger (`GET /occurrences`); absent in tests of other routes. */
  readonly ledger?: LedgerService;
  /** The iCalendar feed of upcoming occurrences and its feed tokens (`/calendar.ics`, `/calendar/tokens`). */
  readonly calendar?: CalendarFeed;
}

const WRITES = ['POST', 'PATCH', 'PUT'];

export function createApp(deps: AppDeps) {
  const { tasks, metrics, limits } = deps;
  const app = new OpenAPIHono<{ Variables: AuthVariables }>({ defaultHook: rejectInvalid });

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

  app.onError(handleApiError(deps.logger));
  app.notFound(routeNotFound);

  // Before auth: the page and its assets hold no data; every call they make carries the user's key.
  registerDashboardRoutes(app);

  const auth = apiKeyAuth(deps.auth);
  // The calendar feed carries its own read-only feed token: calendar apps cannot send the API key in a header.
  const feedPath = deps.calendar ? CALENDAR_FEED_PATH : undefined;
  // Open without a key: the calendar feed (its token is its key), the landing page (links only, no data; the
  // dashboard's own link back to it must not end in a 401) and the tab icon browsers fetch by themselves.
  const open = (c: Context) =>
    c.req.path === feedPath ||
    (c.req.method === 'GET' && (c.req.path === '/' || c.req.path === FAVICON_PATH));
  if (auth) {
    const guarded = limitWrongKeys(auth, deps.auth, limits.wrongKeysPerMinute ?? WRONG_KEYS_PER_MINUTE);
    app.use('*', (c, next) => (open(c) ? next() : guarded(c, next)));
  }

  if (limits.requestsPerMinute || deps.auth.tenants) {
    const limiters = new Map<number, ReturnType<typeof createRateLimiter>>();
    const limiterFor = (perMinute: number) => {
      let limiter = limiters.get(perMinute);
      if (!limiter) limiters.set(perMinute, (limiter = createRateLimiter(perMinute)));
      return limiter;
    };
    app.use('*', async (c, next) => {
      if (c.req.path === '/health') return next();
      // A tenant's own limit, else the global one.
      const tenant = c.get('tenant');
      const perMinute = tenant?.limits?.requests_per_minute ?? limits.requestsPerMinute;
      if (!perMinute) return next();
      const wait = limiterFor(perMinute).take(principalOf(c));
      if (wait > 0) {
        c.header('Retry-After', String(Math.ceil(wait / 1000)));
        const whose = tenant?.limits?.requests_per_minute
          ? `the limit of tenant '${tenant.id}'`
          : 'the limit';
        throw new PulseApiError(
          429,
          'RATE_LIMITED',
          `Too many requests: ${whose} is ${perMinute} a minute; retry in ${Math.ceil(wait / 1000)} s.`,
        );
      }
      return next();
    });
  }

  app.use(
    '*',
    bodyLimit({
      maxSize: limits.bodyBytes,
      onError: () => {
        throw new PulseApiError(
          413,
          'PAYLOAD_TOO_LARGE',
          `The request body exceeds ${limits.bodyBytes} bytes.`,
        );
      },
    }),
  );

  // A JSON body sent with another content type would otherwise be read as empty and blamed on its fields.
  app.use('*', async (c, next) => {
    if (WRITES.includes(c.req.method) && (await carriesBody(c))) {
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
    if (!WRITES.includes(c.req.method) || !c.req.raw.body) return next();
    const text = await c.req.text();
    // Routes reading c.req.raw (MCP) need a body that is still unread; the others get the cached text. An empty
    // body becomes none, so a route whose body is optional (trigger) sees a request without one.
    c.req.raw =
      text === ''
        ? new Request(c.req.raw.url, {
            method: c.req.method,
            headers: c.req.raw.headers,
            signal: c.req.raw.signal,
          })
        : new Request(c.req.raw, { body: text });
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

  registerBrowserPages(app, deps.links ?? {});

  app.get('/metrics', async (c) => {
    c.header('content-type', METRICS_CONTENT_TYPE);
    return c.body(await metrics.render());
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
      const health = await deps.health();
      return c.json(health, health.status === 'ok' ? 200 : 503);
    },
  );

  if (deps.ledger) registerLedgerRoutes(app, deps.ledger);
  if (deps.calendar) registerCalendarRoutes(app, deps.calendar);

  registerTaskRoutes(app, tasks, metrics);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tenants',
      summary: "The tenants this key may act for (an admin key: every tenant; the dashboard's tenant picker)",
      responses: { 200: json(TenantListResponse, 'Tenants'), ...commonErrors },
    }),
    (c) => {
      const registry = deps.auth.tenants;
      const scope = currentScope();
      if (!registry || !scope) return c.json({ multi_tenant: false, admin: false, tenants: [] }, 200);
      const visible = scope.admin
        ? registry.tenants()
        : registry.tenants().filter((t) => t.id === scope.tenantId);
      return c.json(
        {
          multi_tenant: true,
          admin: scope.admin,
          tenants: visible.map((t) => ({ id: t.id, name: t.name ?? null })),
        },
        200,
      );
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
          default: deps.executors.defaultExecutor ?? null,
        },
        200,
      );
    },
  );

  // Agent-facing surfaces, in their own module.
  registerToolRoutes(app, tasks, deps.logger, deps.ledger);

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

/**
 * Whether a request has a body at all. A POST without one (`curl -X POST …/trigger`) sends nothing to type, so it is
 * not asked for a content type; one whose framing announces a body but which has no content type is read (the body
 * limit already applied) to tell an empty body from one that must be refused.
 */
async function carriesBody(c: Context): Promise<boolean> {
  const length = c.req.header('content-length');
  if (length !== undefined && length.trim() === '0') return false;
  if (c.req.header('content-type') !== undefined) return true;
  return (await c.req.text()) !== '';
}
