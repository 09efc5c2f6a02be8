/**
 * The calendar feed's routes: feed tokens made, listed and revoked with the API key (`/calendar/tokens`), and the
 * feed itself (`GET /calendar.ics?token=…`), which calendar apps fetch without headers. The feed route is the one
 * `createApp` lets past the API key check; it answers an unknown or revoked token exactly as it answers a route
 * that does not exist, so it tells a caller nothing about tokens. The rules live in `src/calendar/`.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { CALENDAR_FEED_PATH, type CalendarFeed } from '../calendar/calendar-feed.js';
import { BadRequestError, PulseApiError } from '../errors.js';
import type { AuthVariables } from './auth.js';
import { errorBody, routeNotFound } from './errors.js';
import { commonErrors, json } from './task-routes.js';
import { validationError } from './tools/define-tool.js';

export { CALENDAR_FEED_PATH } from '../calendar/calendar-feed.js';

const FeedFilters = z
  .object({
    task_id: z.string().min(1).max(300).optional(),
    agent_id: z.string().min(1).max(300).optional(),
    schedule_type: z.string().min(1).max(100).optional(),
  })
  .strict()
  .openapi('CalendarFeedFilters', { description: 'Which tasks the feed shows (default: all)' });

const CalendarTokenRequest = z
  .object({
    label: z
      .string()
      .min(1)
      .max(200)
      .regex(/^\P{Cc}*$/u, 'must not contain control characters (line breaks, tabs)')
      .optional()
      .openapi({ example: 'team calendar' }),
    filters: FeedFilters.optional(),
  })
  .strict()
  .openapi('CalendarTokenRequest');

const CalendarTokenInfo = z
  .object({
    id: z.string().openapi({ example: 'cal_3f2a9c1e6b7d4f0a' }),
    label: z.string().nullable(),
    filters: FeedFilters,
    created_at: z.string(),
    tenant: z
      .string()
      .optional()
      .openapi({ description: 'The tenant that made it: the feed shows its tasks only' }),
    admin: z.boolean().optional().openapi({
      description: "Made with an admin key while tenants were on: the feed shows every tenant's tasks",
    }),
  })
  .openapi('CalendarToken');

const CreatedCalendarToken = CalendarTokenInfo.extend({
  token: z.string().openapi({ description: 'The feed token; shown only in this answer' }),
  url: z.string().openapi({
    description: 'The address to subscribe to',
    example: 'http://localhost:8000/calendar.ics?token=pcal_…',
  }),
}).openapi('CreatedCalendarToken');

const CalendarTokenList = z
  .object({ tokens: z.array(CalendarTokenInfo), count: z.number() })
  .openapi('CalendarTokens');

const TokenIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'cal_3f2a9c1e6b7d4f0a' }),
});

export function registerCalendarRoutes(
  app: OpenAPIHono<{ Variables: AuthVariables }>,
  feed: CalendarFeed,
): void {
  // Validated here rather than by the route's schema: a POST without any body is a token for every task.
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/calendar/tokens',
    operationId: 'createCalendarToken',
    tags: ['calendar'],
    summary: 'Make a read-only feed token for the iCalendar feed of upcoming occurrences',
    request: {
      body: { content: { 'application/json': { schema: CalendarTokenRequest } }, required: false },
    },
    responses: { 201: json(CreatedCalendarToken, 'The token and the URL to subscribe to'), ...commonErrors },
  });
  app.post('/calendar/tokens', async (c) => {
    const text = await c.req.text();
    let raw: unknown = {};
    if (text.trim() !== '') {
      try {
        raw = JSON.parse(text) as unknown;
      } catch {
        throw new BadRequestError('INVALID_JSON', 'The request body is not valid JSON.');
      }
    }
    const parsed = CalendarTokenRequest.safeParse(raw);
    if (!parsed.success) throw validationError(parsed.error.issues);
    return c.json(await feed.createToken(parsed.data, new URL(c.req.url).origin), 201);
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/calendar/tokens',
      operationId: 'listCalendarTokens',
      tags: ['calendar'],
      summary: 'The feed tokens there are (never the tokens themselves)',
      responses: { 200: json(CalendarTokenList, 'Feed tokens, oldest first'), ...commonErrors },
    }),
    async (c) => {
      const tokens = await feed.listTokens();
      return c.json({ tokens, count: tokens.length }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/calendar/tokens/{id}',
      operationId: 'revokeCalendarToken',
      tags: ['calendar'],
      summary: 'Revoke a feed token: its feed answers 404 from now on',
      request: { params: TokenIdParam },
      responses: {
        200: json(z.object({ id: z.string(), revoked: z.literal(true) }), 'Revoked'),
        404: errorBody('No such feed token'),
        ...commonErrors,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      if (!(await feed.revokeToken(id))) {
        throw new PulseApiError(404, 'CALENDAR_TOKEN_NOT_FOUND', `No calendar feed token '${id}'.`);
      }
      return c.json({ id, revoked: true as const }, 200);
    },
  );

  app.openAPIRegistry.registerPath({
    method: 'get',
    path: CALENDAR_FEED_PATH,
    operationId: 'calendarFeed',
    tags: ['calendar'],
    summary: 'The iCalendar feed of upcoming occurrences, for calendar apps (feed token, not the API key)',
    request: {
      query: z.object({
        token: z.string().openapi({ description: 'A feed token from POST /calendar/tokens' }),
      }),
    },
    security: [],
    responses: {
      200: { content: { 'text/calendar': { schema: z.string() } }, description: 'iCalendar (RFC 5545)' },
      404: errorBody('Unknown or revoked token'),
    },
  });

  app.get(CALENDAR_FEED_PATH, async (c) => {
    const token = c.req.query('token');
    const text = token ? await feed.render(token) : undefined;
    if (text === undefined) return routeNotFound(c);
    return c.body(text, 200, {
      'content-type': 'text/calendar; charset=utf-8',
      'content-disposition': 'inline; filename="pulse.ics"',
      'cache-control': 'private, max-age=300',
      // The token is in this URL: no page linked from a calendar app learns it.
      'referrer-policy': 'no-referrer',
    });
  });
}
