/**
 * The occurrence ledger's routes: every occurrence of every task in a window (`GET /occurrences`), and one task's
 * (`GET /tasks/{id}/occurrences`). The rules live in `src/ledger/`; handlers only translate HTTP.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { LedgerService } from '../ledger/ledger-service.js';
import type { AuthVariables } from './auth.js';
import { errorBody } from './errors.js';
import { OccurrencesQuery, OccurrencesResponse, TaskIdParam } from './schemas.js';
import { commonErrors, json } from './task-routes.js';

export function registerLedgerRoutes(
  app: OpenAPIHono<{ Variables: AuthVariables }>,
  ledger: LedgerService,
): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/occurrences',
      operationId: 'listOccurrences',
      tags: ['ledger'],
      summary: 'Every occurrence of every task in a window: upcoming, and what became of past ones, and why',
      request: { query: OccurrencesQuery },
      responses: {
        200: json(OccurrencesResponse, 'Occurrences in time order'),
        400: errorBody('Bad window or time zone'),
        ...commonErrors,
      },
    }),
    async (c) => c.json(await ledger.occurrences(c.req.valid('query')), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tasks/{id}/occurrences',
      operationId: 'listTaskOccurrences',
      tags: ['ledger'],
      summary: "One task's occurrences in a window",
      request: { params: TaskIdParam, query: OccurrencesQuery.omit({ task_id: true }) },
      responses: {
        200: json(OccurrencesResponse, 'Occurrences in time order'),
        400: errorBody('Bad window or time zone'),
        404: errorBody('No such task'),
        ...commonErrors,
      },
    }),
    async (c) => c.json(await ledger.taskOccurrences(c.req.valid('param').id, c.req.valid('query')), 200),
  );
}
