/**
 * Brings Pulse up: optionally the embedded Temporal dev server, then the worker and/or the HTTP API, and takes
 * all of it down again in order on SIGINT/SIGTERM. The only place (with the entry files) that reads the
 * environment and opens connections.
 */
import { serve, type ServerType } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel, type Worker } from '@temporalio/worker';
import net from 'node:net';
import path from 'node:path';
import { createApp } from '../api/app.js';
import { checkHealth } from '../api/health.js';
import { loadConfig, type PulseConfig } from '../config.js';
import { registerCustomExecutors } from '../executors/custom-executors.js';
import { createExecutorFactory } from '../executors/executor-factory.js';
import type { PulseTracing } from '../observability/tracing.js';
import { PROJECT_ROOT } from '../project-root.js';
import { TEMPORAL_CLI, defaultInstallDir, provisionBinary } from '../temporal/binaries.js';
import { setRetention, startDevServer, type DevServer } from '../temporal/dev-server.js';
import { ensureSearchAttributes } from '../temporal/search-attributes-setup.js';
import { createPulseWorker } from '../temporal/worker.js';
import { destinationGuardFromEnv } from '../security/ssrf-guard.js';
import { parseWebhookSecret } from '../security/webhook-signature.js';

export interface RunOptions {
  readonly api: boolean;
  readonly worker: boolean;
  /** Start the embedded dev server when TEMPORAL_ADDRESS is not set. */
  readonly embeddedServer: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

const log = (line: string): void => console.log(line);

export async function runPulse(options: RunOptions): Promise<void> {
  let config: PulseConfig;
  try {
    config = loadConfig(options.env);
  } catch (err) {
    // A bad setting is the operator's to fix: say which and why, without a stack trace.
    console.error('[pulse] failed to start:', err instanceof Error ? err.message : err);
    process.exit(1);
  }
  // We stop the worker ourselves, after the API, so its in-flight activities can finish.
  // The SDK's own metrics (worker slots, poll latency, task latencies) on a local port, merged into /metrics.
  const workerMetricsPort = Number(process.env.PULSE_WORKER_METRICS_PORT ?? 9464);
  const workerMetrics =
    options.worker && workerMetricsPort > 0 && (await portIsFree(workerMetricsPort))
      ? `127.0.0.1:${workerMetricsPort}`
      : undefined;
  Runtime.install({
    shutdownSignals: [],
    logger: new DefaultLogger(
      (process.env.TEMPORAL_LOG_LEVEL?.toUpperCase() as LogLevel | undefined) ?? 'WARN',
    ),
    ...(workerMetrics
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: workerMetrics } } } }
      : {}),
  });

  const stack: Array<{ name: string; close: () => Promise<void> }> = [];
  let stopping: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      log(`[pulse] stopping (${reason})`);
      for (const item of stack.reverse()) {
        try {
          await item.close();
          log(`[pulse] stopped ${item.name}`);
        } catch (err) {
          console.error(`[pulse] stopping ${item.name} failed:`, err);
        }
      }
    })();
    return stopping;
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) {
        log(`[pulse] ${signal} again: exiting now`);
        process.exit(130);
      }
      void stop(signal).then(() => process.exit(0));
    });
  }

  try {
    // A bad secret must stop the start, not surface later as unverifiable callbacks.
    if (config.webhookSecret) parseWebhookSecret(config.webhookSecret, 'PULSE_WEBHOOK_SECRET');
    // First on the stack, so it closes last: the worker's final spans are exported before the process exits.
    const tracing = await startTracingIfOn(config, stack);
    const address = await temporalAddress(config, options, stack);
    const connection = await Connection.connect({ address });
    stack.push({ name: 'Temporal client connection', close: () => connection.close() });
    await registerSearchAttributes(connection, config.namespace);
    // Every user-supplied destination (callbacks, webhooks, http_request URLs, agent hosts) goes through it.
    const guard = destinationGuardFromEnv(options.env ?? process.env);
    const executors = createExecutorFactory({
      guard,
      defaultExecutor: config.defaultExecutor,
      serverless: config.serverless,
      local: config.local,
      webhookSecret: config.webhookSecret,
    });
    if (config.executorsModule) await registerCustomExecutors(config.executorsModule, executors);
    for (const info of executors.list()) {
      log(`[pulse] executor ${info.name}: ${info.available ? 'available' : `unavailable (${info.reason})`}`);
    }

    let worker: Worker | undefined;
    let workerRun: Promise<void> | undefined;
    if (options.worker) {
      const nativeConnection = await NativeConnection.connect({ address });
      worker = await createPulseWorker({
        connection: nativeConnection,
        namespace: config.namespace,
        taskQueue: config.taskQueue,
        executors,
        activities: {
          webhookSecret: config.webhookSecret,
          maxResultBytes: config.maxResultBytes,
          dispatcher: guard.dispatcher,
        },
        ...(tracing ? { tracing: tracing.worker } : {}),
      });
      workerRun = worker.run();
      workerRun.catch((err: unknown) => {
        console.error('[pulse] worker stopped with an error:', err);
        void stop('worker failure').then(() => process.exit(1));
      });
      stack.push({
        name: 'worker',
        close: async () => {
          if (worker!.getState() === 'RUNNING') worker!.shutdown();
          await workerRun!.catch(() => undefined);
          await nativeConnection.close();
        },
      });
      log(
        `[pulse] worker polling task queue '${config.taskQueue}' on ${address} (namespace ${config.namespace})`,
      );
    }

    if (options.api) {
      const client = new Client({
        connection,
        namespace: config.namespace,
        ...(tracing ? { interceptors: tracing.clientInterceptors } : {}),
      });
      const app = createApp({
        client,
        namespace: config.namespace,
        taskQueue: config.taskQueue,
        executors,
        uiUrl: config.uiUrl,
        apiKeys: config.apiKeys,
        bodyLimitBytes: config.bodyLimitBytes,
        defaultTimezone: config.timezone,
        defaultExecutor: config.defaultExecutor,
        callbackWindowMs: config.callbackWindowMs,
        rateLimitPerMinute: config.rateLimitPerMinute,
        workerLeaseMs: config.workerLeaseMs,
        maxResultBytes: config.maxResultBytes,
        metricsPublic: process.env.PULSE_METRICS_PUBLIC === 'true',
        destinationGuard: guard,
        ...(workerMetrics ? { workerMetricsUrl: `http://${workerMetrics}/metrics` } : {}),
        ...(tracing ? { withTraceParent: tracing.withTraceParent } : {}),
      });
      const server = await listen(app.fetch, config);
      stack.push({
        name: 'HTTP API',
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
      });
      log(
        `[pulse] API listening on http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}`,
      );
      if (config.apiKeys.length === 0) {
        log(
          '[pulse] WARNING: PULSE_API_KEY is not set: authentication is OFF and anyone who can reach this port can schedule tasks.',
        );
      } else {
        log(
          `[pulse] authentication on (${config.apiKeys.length} API key${config.apiKeys.length > 1 ? 's' : ''})`,
        );
      }
      log(`[pulse] Temporal Web UI: ${config.uiUrl}/namespaces/${config.namespace}/workflows`);
    }
    if (options.worker) {
      // "ready" means tasks will run: wait until the server has seen the worker's first poll.
      const client = new Client({ connection, namespace: config.namespace });
      for (let i = 0; i < 60; i++) {
        const health = await checkHealth({
          client,
          namespace: config.namespace,
          taskQueue: config.taskQueue,
        });
        if (health.worker.polling) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    log('[pulse] ready');
  } catch (err) {
    console.error('[pulse] failed to start:', err instanceof Error ? err.message : err);
    await stop('start-up failure');
    process.exit(1);
  }
}

async function startTracingIfOn(
  config: PulseConfig,
  stack: Array<{ name: string; close: () => Promise<void> }>,
): Promise<PulseTracing | undefined> {
  if (config.tracing === 'off') return undefined;
  // Imported only here, so a Pulse without tracing loads no OpenTelemetry code.
  const { startTracing } = await import('../observability/tracing.js');
  const tracing = startTracing(config.tracing);
  stack.push({ name: 'tracing', close: () => tracing.shutdown() });
  log(`[pulse] tracing on: spans to ${tracing.destination}`);
  return tracing;
}

async function temporalAddress(
  config: PulseConfig,
  options: RunOptions,
  stack: Array<{ name: string; close: () => Promise<void> }>,
): Promise<string> {
  if (config.temporalAddress) return config.temporalAddress;
  if (!options.embeddedServer) return `127.0.0.1:${config.temporalPort}`;
  const cli = provisionBinary(TEMPORAL_CLI, { installDir: defaultInstallDir(PROJECT_ROOT), log });
  const server: DevServer = await startDevServer({
    cliPath: cli?.path,
    dbFile: path.resolve(PROJECT_ROOT, config.dataDir, 'temporal.db'),
    ip: process.env.TEMPORAL_IP || '127.0.0.1',
    port: config.temporalPort,
    uiPort: config.uiPort,
    namespace: config.namespace,
    log,
  });
  stack.push({ name: 'Temporal dev server', close: () => server.stop() });
  const retentionDays = Number(process.env.PULSE_RETENTION_DAYS || 30);
  await setRetention(server.address, config.namespace, retentionDays).catch((err: unknown) =>
    console.warn(
      `[pulse] could not set the namespace retention: ${err instanceof Error ? err.message : err}`,
    ),
  );
  log(
    `[pulse] embedded Temporal dev server on ${server.address}, data in ${path.join(config.dataDir, 'temporal.db')}`,
  );
  return server.address;
}

async function registerSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  try {
    const added = await ensureSearchAttributes(connection, namespace);
    if (added.length > 0) log(`[pulse] registered search attributes: ${added.join(', ')}`);
  } catch (err) {
    // A managed cluster may not let this identity add attributes; an operator can add them once by hand.
    console.warn(
      `[pulse] could not check or register search attributes (${err instanceof Error ? err.message : err}); ` +
        'register them with `temporal operator search-attribute create` if tasks fail to start.',
    );
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  config: PulseConfig,
): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname: config.host, port: config.port }, () => resolve(server));
    server.once('error', reject);
  });
}
