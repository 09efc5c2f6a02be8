/**
 * The tool catalog (`GET /meta/tools`, `POST /tools/{name}`) and the MCP server at `/mcp`, both built from the one
 * list of tools in `tools/pulse-tools.ts`. Auth and body limits come from `createApp`'s middleware.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { BadRequestError } from '../errors.js';
import type { LedgerService } from '../ledger/ledger-service.js';
import type { Logger } from '../observability/logger.js';
import type { TaskService } from '../tasks/task-service.js';
import { errorBody } from './errors.js';
import { findTool } from './tools/define-tool.js';
import { handleMcpRequest } from './tools/mcp-server.js';
import { PULSE_TOOLS, listOccurrencesTool } from './tools/pulse-tools.js';

const ToolCatalog = z
  .object({
    tools: z.array(
      z.object({
        name: z.string(),
        title: z.string(),
        description: z.string(),
        method: z.literal('POST'),
        path: z.string().openapi({ example: '/tools/schedule_task' }),
        request_schema: z.record(z.string(), z.unknown()).openapi({ description: 'JSON Schema (draft-07)' }),
        response_schema: z.record(z.string(), z.unknown()).openapi({ description: 'JSON Schema (draft-07)' }),
        annotations: z.record(z.string(), z.unknown()),
      }),
    ),
    count: z.number(),
  })
  .openapi('ToolCatalog');

/** Reads a tool call's JSON body; an empty body is a call without arguments. */
function readArguments(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BadRequestError('INVALID_JSON', 'The request body is not valid JSON.');
  }
}

/** The tool catalog (`GET /meta/tools`, `POST /tools/{name}`) and the MCP server at `/mcp`. */
export function registerToolRoutes(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  app: OpenAPIHono<any>,
  tasks: TaskService,
  logger: Logger,
  ledger?: LedgerService,
): void {
  const tools = ledger ? [...PULSE_TOOLS, listOccurrencesTool(ledger)] : PULSE_TOOLS;
  const catalog = {
    tools: tools.map((tool) => ({
      name: tool.name,
      title: tool.title,
      description: tool.description,
      method: 'POST' as const,
      path: `/tools/${tool.name}`,
      request_schema: tool.requestSchema,
      response_schema: tool.responseSchema,
      annotations: tool.annotations,
    })),
    count: tools.length,
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/meta/tools',
      summary: 'The tools agents can call, with JSON Schemas of their arguments and results',
      responses: {
        200: { content: { 'application/json': { schema: ToolCatalog } }, description: 'The tool catalog' },
        401: errorBody('Missing or wrong API key'),
      },
    }),
    (c) => c.json(catalog, 200),
  );

  // Each tool's route is documented with its own schemas, but all are served by the one handler below, which
  // validates through the tool itself: a call fails the same way here and over MCP.
  for (const tool of tools) {
    app.openAPIRegistry.registerPath({
      method: 'post',
      path: `/tools/${tool.name}`,
      summary: tool.title,
      description: tool.description,
      tags: ['tools'],
      request: { body: { content: { 'application/json': { schema: tool.input } }, required: true } },
      responses: {
        200: { content: { 'application/json': { schema: tool.output } }, description: 'The result' },
        400: errorBody('Well-formed but unusable (time, time zone, executor)'),
        401: errorBody('Missing or wrong API key'),
        404: errorBody('No such task'),
        409: errorBody('The task cannot change any more'),
        422: errorBody('The arguments do not match the schema'),
      },
    });
  }

  app.post('/tools/:name', async (c) => {
    const tool = findTool(tools, c.req.param('name'));
    return c.json((await tool.invoke(tasks, readArguments(await c.req.text()))) as object, 200);
  });

  app.all('/mcp', (c) => handleMcpRequest(c.req.raw, tools, tasks, logger));
}
