/**
 * The MCP server at `/mcp`: streamable HTTP, stateless (a fresh server and transport per request, answered as
 * JSON rather than a stream), listing and calling the tools of `pulse-tools.ts`.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { PulseApiError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type { TaskService } from '../../tasks/task-service.js';
import { findTool, type PulseTool } from './define-tool.js';

const INSTRUCTIONS =
  'Pulse schedules future work for agents: run an agent, call a URL or hand off a task, once or on a ' +
  'recurrence, durably. schedule_task returns a task_id; use it with get_task_details, pause_task, resume_task, ' +
  'trigger_task and cancel_task. Check a natural-language or cron `when` with preview_schedule before ' +
  'scheduling it. Times in results are UTC.';

/** A failed call as an MCP tool error whose text is the HTTP API's own `detail`. */
function toolError(err: unknown, logger: Logger): CallToolResult {
  if (err instanceof PulseApiError) {
    return {
      isError: true,
      content: [{ type: 'text', text: err.detail }],
      _meta: {
        'pulse/error': {
          status: err.status,
          code: err.code,
          detail: err.detail,
          ...(err.errors ? { errors: err.errors } : {}),
        },
      },
    };
  }
  logger.error({ err }, 'unexpected error in an MCP tool call');
  return {
    isError: true,
    content: [{ type: 'text', text: 'Internal error; the server log has the details.' }],
    _meta: { 'pulse/error': { status: 500, code: 'INTERNAL_ERROR' } },
  };
}

const SERVER_VERSION = '0.1.0';

function createMcpServer(tools: readonly PulseTool[], tasks: TaskService, logger: Logger): Server {
  const server = new Server(
    { name: 'pulse', title: 'Pulse scheduler', version: SERVER_VERSION },
    { capabilities: { tools: {} }, instructions: INSTRUCTIONS },
  );
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: tools.map((tool): Tool => ({
      name: tool.name,
      title: tool.title,
      description: tool.description,
      // The very objects the catalog serves as request_schema / response_schema.
      inputSchema: tool.requestSchema as Tool['inputSchema'],
      outputSchema: tool.responseSchema as Tool['outputSchema'],
      annotations: tool.annotations,
    })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    try {
      const tool = findTool(tools, request.params.name);
      // A round trip through JSON gives the client exactly what the HTTP API would have sent.
      const result = await tool.invoke(tasks, request.params.arguments);
      const output = JSON.parse(JSON.stringify(result)) as Record<string, unknown>;
      return { content: [{ type: 'text', text: JSON.stringify(output) }], structuredContent: output };
    } catch (err) {
      return toolError(err, logger);
    }
  });
  return server;
}

/**
 * Answers one MCP HTTP request. Stateless: nothing is kept between requests, so any API instance can answer any
 * request and there are no sessions to expire. Only POST carries messages; with no sessions there is no
 * server-initiated stream for a GET to open, nor a session for a DELETE to end.
 */
export async function handleMcpRequest(
  request: Request,
  tools: readonly PulseTool[],
  tasks: TaskService,
  logger: Logger,
): Promise<Response> {
  if (request.method !== 'POST') {
    return new Response(
      JSON.stringify({
        jsonrpc: '2.0',
        error: {
          code: -32000,
          message: 'Method not allowed: this MCP endpoint is stateless; POST JSON-RPC messages.',
        },
        id: null,
      }),
      { status: 405, headers: { Allow: 'POST', 'Content-Type': 'application/json' } },
    );
  }
  const server = createMcpServer(tools, tasks, logger);
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  await server.connect(transport);
  try {
    return await transport.handleRequest(request);
  } finally {
    await server.close();
  }
}
