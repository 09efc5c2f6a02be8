/** A whole Pulse (worker + HTTP API on 127.0.0.1) on top of a test Temporal environment. */
import { serve, type ServerType } from '@hono/node-server';
import type { ActivityDeps } from '../../activities/index.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createApp, type PulseApp } from '../../src/api/app.js';
import { loadConfig, type PulseConfig } from '../../src/config.js';
import { createExecutorFactory, type ExecutorFactory } from '../../src/executors/executor-factory.js';
import { createApiServices } from '../../src/main/services.js';
import { createLogger, type Logger } from '../../src/observability/logger.js';
import { createMetrics, type PulseMetrics } from '../../src/observability/metrics.js';
import { createPulseWorker, type PulseWorkerDeps } from '../../src/temporal/worker.js';
import { createDestinationGuard, type DestinationGuard } from '../../src/security/ssrf-guard.js';

/** A guard that lets tests reach their own servers on 127.0.0.1. */
export const LOOPBACK_ALLOWED = createDestinationGuard({ allowPrivateNetworks: true, allowedHosts: [] });

/**
 * For a worker a test runs in its own process: workflow code on the process's main thread, in its sandboxed V8
 * context as always, instead of on a workflow thread of the worker's own (the SDK's `debugMode`, which its
 * replayer uses too). Starting that thread loads the SDK and its protobuf types again: 0.7 CPU s per worker against
 * 0.07 (measured on the 2-core machine, a worker that ran one workflow task), paid by some thirty workers a run.
 * What the mode gives up is the SDK's 5 s deadlock detection, which no test relies on. The processes the restart,
 * docs and cluster tests start (`npm start`, the cluster's workers) run Pulse's worker as shipped, threaded.
 */
const IN_PROCESS_WORKER_OPTIONS = { debugMode: true } as const;

/** Pulse's worker as `createPulseWorker` makes it, for a test's own process (see `IN_PROCESS_WORKER_OPTIONS`). */
export function createInProcessWorker(deps: PulseWorkerDeps): Promise<Worker> {
  return createPulseWorker({ ...deps, options: { ...IN_PROCESS_WORKER_OPTIONS, ...deps.options } });
}

/**
 * What a test changes from the defaults: any setting `loadConfig` reads, plus the services a test may swap. The
 * API is then built by `createApiServices`, as `npm start` builds it.
 */
export interface PulseOverrides extends Partial<PulseConfig> {
  readonly executors?: ExecutorFactory;
  /** Default: `LOOPBACK_ALLOWED`. */
  readonly destinationGuard?: DestinationGuard;
  readonly now?: () => Date;
  /** The Temporal SDK's metrics endpoint, appended to `/metrics`. */
  readonly workerMetricsUrl?: string;
  /** The process's logger and registry; `startPulse` shares one pair between its worker and its API. */
  readonly logger?: Logger;
  readonly metrics?: PulseMetrics;
}

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
  overrides: PulseOverrides = {},
  taskQueue = `pulse-test-${randomUUID().slice(0, 8)}`,
  activities: Omit<ActivityDeps, 'executors' | 'logger' | 'metrics'> = {},
): Promise<PulseUnderTest> {
  const namespace = env.namespace ?? 'default';
  const executors =
    overrides.executors ??
    createExecutorFactory(activities.webhookSecret ? { webhookSecret: activities.webhookSecret } : {});
  const logger = overrides.logger ?? createLogger(testConfig({}, taskQueue, env));
  const metrics = overrides.metrics ?? createMetrics({ workerMetricsUrl: overrides.workerMetricsUrl });
  const worker = await createInProcessWorker({
    connection: env.nativeConnection,
    namespace,
    taskQueue,
    executors,
    logger,
    metrics,
    activities,
  });
  const running = worker.run();
  const api = await startPulseApiOnly(env, taskQueue, executors, { ...overrides, logger, metrics });
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
  overrides: PulseOverrides = {},
): Promise<PulseApi> {
  const { destinationGuard, now, workerMetricsUrl, logger, metrics, ...settings } = overrides;
  const config = testConfig(settings, taskQueue, env);
  const app = createApp(
    createApiServices({
      config,
      client: env.client,
      executors: overrides.executors ?? executors,
      // Test receivers and agents live on 127.0.0.1, which the default guard refuses; test/ssrf.e2e.test.ts
      // covers the guard itself.
      guard: destinationGuard ?? LOOPBACK_ALLOWED,
      logger: logger ?? createLogger(config),
      metrics: metrics ?? createMetrics({ workerMetricsUrl }),
      ...(now ? { now } : {}),
    }),
  );
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

/**
 * The defaults of `npm start` (read from no environment but the log level), without its rate limit, on this
 * test's task queue and namespace.
 */
function testConfig(
  settings: Partial<PulseConfig>,
  taskQueue: string,
  env: TestWorkflowEnvironment,
): PulseConfig {
  return {
    ...loadConfig({ PULSE_LOG_LEVEL: process.env.PULSE_LOG_LEVEL, PULSE_RATE_LIMIT: '0' }),
    namespace: env.namespace ?? 'default',
    taskQueue,
    ...settings,
  };
}
