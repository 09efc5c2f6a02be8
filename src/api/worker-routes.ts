import type { OpenAPIHono } from '@hono/zod-openapi';
import type { TaskService } from '../tasks/task-service.js';

/** External workers: `GET /tasks/poll`, `POST /tasks/{id}/claim`, `POST /tasks/{id}/ack`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function registerWorkerRoutes(_app: OpenAPIHono<any>, _tasks: TaskService): void {}
