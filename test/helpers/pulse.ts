/** A whole Pulse (worker + HTTP API on 127.0.0.1) on top of a test Temporal environment. */
import { serve, type ServerType } from '@hono/node-server';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createApp, type AppDeps, type PulseApp } from '../../src/api/app.js';
import { createExecutorFactory, type ExecutorFactory } from '../../src/executors/executor-factory.js';
import { createPulseWorker } from '../../src/temporal/worker.js';
import { createDestinationGuard } from '../../src/security/ssrf-guard.js';

/** A guard that lets tests reach their own servers on 127.0.0.1. */
export const LOOPBACK_ALLOWED = createDestinationGuard({ allowPrivateNetworks: true, allowedHosts: [] });
import type { ActivityDeps } from '../../activities/index.js';

export interface ApiResponse {
  readonly status: number;
  // Tests read whatever the API sent; the schema tests check shapes.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

export interface PulseApi {
  readonly baseUrl: string;
  readonly app: PulseApp;
  readonly taskQueue: string;
  readonly executors: ExecutorFactory;
  /** Calls the API over real HTTP; returns status and parsed body. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  stop(): Promise<void>;
}

export interface PulseUnderTest extends PulseApi {
  readonly worker: Worker;
}

/** Worker and API on a fresh (or the given) task queue. */
export async function startPulse(
  env: TestWorkflowEnvironment,
  overrides: Partial<AppDeps> = {},
  taskQueue = `pulse-test-${randomUUID().slice(0, 8)}`,
  activities: Omit<ActivityDeps, 'executors'> = {},
): Promise<PulseUnderTest> {
  const namespace = env.namespace ?? 'default';
  const executors =
    overrides.executors ??
    createExecutorFactory(activities.webhookSecret ? { webhookSecret: activities.webhookSecret } : {});
  const worker = await createPulseWorker({
    connection: env.nativeConnection,
    namespace,
    taskQueue,
    executors,
    activities,
  });
  const running = worker.run();
  const api = await startPulseApiOnly(env, taskQueue, executors, overrides);
  return {
    ...api,
    worker,
    async stop() {
      await api.stop();
      worker.shutdown();
      await running;
    },
  };
}

/** Only the API, for tests that run their workers elsewhere (for example in a child process). */
export async function startPulseApiOnly(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  executors: ExecutorFactory,
  overrides: Partial<AppDeps> = {},
): Promise<PulseApi> {
  const app = createApp({
    // Test receivers and agents live on 127.0.0.1, which the default guard refuses; test/ssrf.e2e.test.ts
    // covers the guard itself.
    destinationGuard: LOOPBACK_ALLOWED,
    client: env.client,
    namespace: env.namespace ?? 'default',
    taskQueue,
    executors,
    uiUrl: 'http://localhost:8233',
    apiKeys: [],
    bodyLimitBytes: 1024 * 1024,
    defaultTimezone: 'UTC',
    ...overrides,
  });
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    app,
    taskQueue,
    executors,
    async call(method, path, body, headers = {}) {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, body: parsed };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
