import type { OpenAPIHono } from '@hono/zod-openapi';
import type { TaskService } from '../tasks/task-service.js';

/** The tool catalog (`GET /meta/tools`, `POST /tools/{name}`) and the MCP server at `/mcp`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function registerToolRoutes(_app: OpenAPIHono<any>, _tasks: TaskService): void {}
