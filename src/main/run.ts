/**
 * The composition root. Brings Pulse up: optionally the embedded Temporal dev server, then the worker and/or the
 * HTTP API, and takes all of it down again in order on SIGINT/SIGTERM. The environment is read once, by
 * `loadConfig`; here the process's one logger, one metrics registry, the SSRF guard and the executors are made and
 * handed to the worker and the API, and connections are opened.
 */
import { serve, type ServerType } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import net from 'node:net';
import path from 'node:path';
import { createApp } from '../api/app.js';
import { checkHealth } from '../api/health.js';
import { loadConfig, type PulseConfig } from '../config.js';
import { registerCustomExecutors } from '../executors/custom-executors.js';
import { createExecutorFactory } from '../executors/executor-factory.js';
import { removeServiceFile, writeServiceFile } from '../client/discovery.js';
import { createLogger, devServerLogger, temporalSdkLogger, type Logger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import type { PulseTracing } from '../observability/tracing.js';
import { PROJECT_ROOT } from '../project-root.js';
import { loadTenantRegistry } from '../tenants/tenant-registry.js';
import { FAIR_WORKER_OPTIONS } from '../tenants/tenant-tasks.js';
import { TEMPORAL_CLI, defaultInstallDir, provisionBinary } from '../temporal/binaries.js';
import { setRetention, startDevServer, type DevServer } from '../temporal/dev-server.js';
import { ensureSearchAttributes } from '../temporal/search-attributes-setup.js';
import { createPulseWorker } from '../temporal/worker.js';
import {
  createDestinationGuard,
  createTenantGuards,
  type DestinationGuard,
  type GuardFor,
} from '../security/ssrf-guard.js';
import { parseWebhookSecret } from '../security/webhook-signature.js';
import { createApiServices } from './services.js';

export interface RunOptions {
  readonly api: boolean;
  readonly worker: boolean;
  /** Start the embedded dev server when TEMPORAL_ADDRESS is not set. */
  readonly embeddedServer: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

/** The start-up and shutdown narrative, for the operator watching `npm start`; everything else goes to pino. */
const log = (line: string): void => console.log(line);

type Stack = Array<{ name: string; close: () => Promise<void> }>;

/** What a local development start lets tasks reach besides the public internet: this machine, nothing else. */
const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '::1'];
/** Where the sample agents live; a local development start runs them unless LOCAL_AGENT_PATH says otherwise. */
const SAMPLE_AGENTS = 'examples/agents';

/**
 * A local development start: `npm start` with its own embedded dev server, no TEMPORAL_ADDRESS. Only then are
 * loopback destinations and the sample agents on by default; every deployment with a cluster keeps the SSRF guard
 * strict unless its operator opens it.
 */
function isLocalDevelopment(config: PulseConfig, options: RunOptions): boolean {
  return options.embeddedServer && !config.temporalAddress;
}

export async function runPulse(options: RunOptions): Promise<void> {
  let config: PulseConfig;
  let guard: DestinationGuard;
  try {
    config = loadConfig(options.env);
    if (isLocalDevelopment(config, options)) config = localDevelopmentDefaults(config);
    // Every user-supplied destination (callbacks, webhooks, http_request URLs, agent hosts) goes through it; made
    // here so that a bad PULSE_ALLOWED_HOSTS entry stops the start like any other bad setting.
    guard = createDestinationGuard(config.destinations);
  } catch (err) {
    // A bad setting is the operator's to fix: say which and why, without a stack trace. (No logger yet: its level
    // is one of the settings.)
    console.error('[pulse] failed to start:', err instanceof Error ? err.message : err);
    process.exit(1);
  }
  // A port in use is found before Temporal and the worker are started (which takes a while), and named.
  if (options.api && !(await portIsFree(config.port, config.host))) {
    console.error(
      `[pulse] failed to start: PORT ${config.port} is in use on ${config.host} (another Pulse, or another program): stop it, or set PORT to a free port`,
    );
    process.exit(1);
  }
  const logger = createLogger(config);
  // We stop the worker ourselves, after the API, so its in-flight activities can finish.
  // The SDK's own metrics (worker slots, poll latency, task latencies) on a local port, merged into /metrics.
  let workerMetrics =
    options.worker && config.workerMetricsPort > 0 && (await portIsFree(config.workerMetricsPort))
      ? `127.0.0.1:${config.workerMetricsPort}`
      : undefined;
  if (options.worker && config.workerMetricsPort > 0 && !workerMetrics) {
    logger.warn(
      `the worker's metrics port ${config.workerMetricsPort} is in use (another Pulse on this machine?): the SDK's temporal_* metrics are off in /metrics; set PULSE_WORKER_METRICS_PORT to a free port (0: off)`,
    );
  }
  const runtime = (bindAddress: string | undefined) => ({
    shutdownSignals: [],
    // The SDK's lines as JSON through pino, like every other log line.
    logger: temporalSdkLogger(logger, config.temporalLogLevel),
    ...(bindAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress } } } } : {}),
  });
  try {
    Runtime.install(runtime(workerMetrics));
  } catch (err) {
    // Another process took the port between the check and the bind: start without the SDK's metrics rather
    // than not at all.
    if (!workerMetrics) throw err;
    logger.warn(
      { err: err instanceof Error ? err.message : String(err) },
      `the worker's metrics port ${config.workerMetricsPort} was taken as Pulse started; the SDK's metrics are off`,
    );
    workerMetrics = undefined;
    Runtime.install(runtime(undefined));
  }
  const metrics = createMetrics(workerMetrics ? { workerMetricsUrl: `http://${workerMetrics}/metrics` } : {});

  const stack: Stack = [];
  const devServerLog = devServerLogger(logger);
  let stopping: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      log(`[pulse] stopping (${reason})`);
      // What the server and the SDK say about connections closing is expected now, not news.
      devServerLog.quiet();
      for (const item of stack.reverse()) {
        try {
          await item.close();
          log(`[pulse] stopped ${item.name}`);
        } catch (err) {
          logger.error({ err }, `stopping ${item.name} failed`);
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
    const address = await temporalAddress(config, options, stack, logger, devServerLog.line, () => {
      if (stopping) return;
      // Without its server the service can only fail every call: it stops, so that whatever started it (a shell,
      // a supervisor) sees it end and can start it again, on the same data.
      logger.error('the embedded Temporal dev server exited while Pulse was running');
      log('[pulse] the embedded Temporal dev server exited unexpectedly; stopping (start it again: npm start)');
      void stop('Temporal dev server exited').then(() => process.exit(1));
    });
    if (isLocalDevelopment(config, options)) announceLocalDevelopment(config);
    const connection = await Connection.connect({ address });
    stack.push({ name: 'Temporal client connection', close: () => connection.close() });
    await registerSearchAttributes(connection, config.namespace, logger);
    // With tenants the worker reads the same file: each tenant's signing secret and concurrent-run limit.
    const tenants = config.tenantsFile
      ? loadTenantRegistry({
          file: path.resolve(PROJECT_ROOT, config.tenantsFile),
          onError: (err) =>
            logger.error({ err: err.message }, 'tenants file not reloaded; the last good one stays'),
        })
      : undefined;
    if (tenants) stack.push({ name: 'tenants file watch', close: async () => tenants.close() });
    // A tenant's tasks may reach the global allowed hosts and its own, never another tenant's: when a task is made
    // (API) and at each connection its runs and callbacks make (worker).
    const guardFor: GuardFor = tenants
      ? createTenantGuards(guard, config.destinations, (tenant) => tenants.tenant(tenant)?.allowed_hosts)
      : () => guard;
    const secretFor = (tenant: string | undefined) =>
      tenant ? tenants?.tenant(tenant)?.webhook_secret : undefined;
    const executors = createExecutorFactory({
      guard,
      guardFor,
      defaultExecutor: config.defaultExecutor,
      serverless: config.serverless,
      local: config.local,
      webhookSecret: config.webhookSecret,
      ...(tenants ? { secretFor } : {}),
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
        logger,
        metrics,
        activities: {
          webhookSecret: config.webhookSecret,
          maxResultBytes: config.maxResultBytes,
          dispatcherFor: (tenant: string | undefined) => guardFor(tenant).dispatcher,
          ...(tenants
            ? {
                secretFor,
                runLimitFor: (tenant: string) => tenants.tenant(tenant)?.limits?.concurrent_runs,
              }
            : {}),
        },
        ...(tracing ? { tracing: tracing.worker } : {}),
        // With tenants, workflow tasks wait in the server's shared queue, dispatched tenant by tenant.
        ...(tenants ? { options: FAIR_WORKER_OPTIONS } : {}),
      });
      workerRun = worker.run();
      workerRun.catch((err: unknown) => {
        logger.error({ err }, 'the worker stopped with an error');
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
      const services = createApiServices({
        config,
        client,
        ...(tenants ? { tenants } : {}),
        executors,
        guard,
        guardFor,
        metrics,
        logger,
        ...(tracing ? { tracing } : {}),
      });
      const app = createApp({
        ...services,
        links: { temporalUiUrl: config.uiUrl, namespace: config.namespace },
      });
      const server = await listen(app.fetch, config);
      // The ledger's first read of every task, begun now rather than by the first request that needs it.
      services.ledger?.warm();
      stack.push({
        name: 'HTTP API',
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
      });
      log(`[pulse] API listening on http://${apiHost(config.host)}:${config.port}`);
      log(
        `[pulse] API reference: http://${apiHost(config.host)}:${config.port}/reference (OpenAPI at /openapi.json)`,
      );
      if (tenants) {
        const keys = config.apiKeys.length;
        log(
          `[pulse] authentication on: tenants from ${config.tenantsFile} (${tenants.tenants().length} tenant${tenants.tenants().length === 1 ? '' : 's'})` +
            (keys > 0 ? `, and ${keys} admin key${keys > 1 ? 's' : ''} from PULSE_API_KEY` : ''),
        );
      } else if (config.apiKeys.length === 0) {
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
    if (options.api && options.embeddedServer) {
      const dataDir = path.resolve(PROJECT_ROOT, config.dataDir);
      const file = writeServiceFile(
        dataDir,
        {
          pid: process.pid,
          api_url: `http://${apiHost(config.host)}:${config.port}`,
          temporal_address: address,
          namespace: config.namespace,
          task_queue: config.taskQueue,
          ui_url: config.uiUrl,
          auth: config.apiKeys.length > 0 || tenants !== undefined,
          started_at: new Date().toISOString(),
        },
        // The key `pulse` then uses by itself (a tenants file has only hashes: its users bring their own).
        config.apiKeys[0],
      );
      // Pushed last, so it is removed first: a tool never finds a record of a service that is shutting down.
      stack.push({ name: 'service record', close: async () => removeServiceFile(dataDir, process.pid) });
      log(
        `[pulse] pulse and npm run temporal find this service through ${path.relative(process.cwd(), file)}`,
      );
    }
    log('[pulse] ready');
  } catch (err) {
    // The message is the operator's to act on (a port in use, an unreachable server); a stack would bury it.
    logger.fatal({ error: err instanceof Error ? err.message : String(err) }, 'failed to start');
    await stop('start-up failure');
    process.exit(1);
  }
}

async function startTracingIfOn(config: PulseConfig, stack: Stack): Promise<PulseTracing | undefined> {
  if (config.tracing === 'off') return undefined;
  // Imported only here, so a Pulse without tracing loads no OpenTelemetry code.
  const { startTracing } = await import('../observability/tracing.js');
  const tracing = startTracing(config.tracing, { otlpTracesUrl: config.otlpTracesUrl });
  stack.push({ name: 'tracing', close: () => tracing.shutdown() });
  log(`[pulse] tracing on: spans to ${tracing.destination}`);
  return tracing;
}

async function temporalAddress(
  config: PulseConfig,
  options: RunOptions,
  stack: Stack,
  logger: Logger,
  serverLine: (line: string) => void,
  serverExited: () => void,
): Promise<string> {
  if (config.temporalAddress) return config.temporalAddress;
  if (!options.embeddedServer) return `127.0.0.1:${config.temporalPort}`;
  const cli = provisionBinary(TEMPORAL_CLI, { installDir: defaultInstallDir(PROJECT_ROOT), log });
  const server: DevServer = await startDevServer({
    cliPath: cli?.path,
    dbFile: path.resolve(PROJECT_ROOT, config.dataDir, 'temporal.db'),
    ip: config.temporalIp,
    port: config.temporalPort,
    uiPort: config.uiPort,
    namespace: config.namespace,
    settings: config,
    // The server's own logfmt lines become JSON log lines; our narrative about it stays as it is.
    log: (line) => {
      const text = line.replace(/^\[temporal\] /, '');
      if (/^time=\S+ level=/.test(text)) serverLine(text);
      else log(line);
    },
  });
  stack.push({ name: 'Temporal dev server', close: () => server.stop() });
  void server.exited.then(serverExited);
  await setRetention(server.address, config.namespace, config.retentionDays).catch((err: unknown) =>
    logger.warn({ err }, 'could not set the namespace retention'),
  );
  log(
    `[pulse] embedded Temporal dev server on ${server.address}, data in ${path.join(config.dataDir, 'temporal.db')}`,
  );
  return server.address;
}

async function registerSearchAttributes(
  connection: Connection,
  namespace: string,
  logger: Logger,
): Promise<void> {
  try {
    const added = await ensureSearchAttributes(connection, namespace);
    if (added.length > 0) log(`[pulse] registered search attributes: ${added.join(', ')}`);
  } catch (err) {
    // A managed cluster may not let this identity add attributes; an operator can add them once by hand.
    logger.warn(
      { err },
      'could not check or register search attributes; register them with ' +
        '`temporal operator search-attribute create` if tasks fail to start',
    );
  }
}

function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  config: PulseConfig,
): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname: config.host, port: config.port }, () => resolve(server));
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(
              `PORT ${config.port} is in use on ${config.host}: stop what holds it, or set PORT to a free port`,
            )
          : err,
      ),
    );
  });
}

/** The host to print and record for the API: a wildcard bind is reached on loopback. */
function apiHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** Loopback destinations and the sample agents, unless the operator chose otherwise. */
function localDevelopmentDefaults(config: PulseConfig): PulseConfig {
  const { destinations, local } = config;
  const openLoopback = !destinations.allowPrivateNetworks && !destinations.strict;
  return {
    ...config,
    destinations: openLoopback
      ? { ...destinations, allowedHosts: [...new Set([...destinations.allowedHosts, ...LOOPBACK_HOSTS])] }
      : destinations,
    local: { ...local, agentPath: local.agentPath ?? path.resolve(PROJECT_ROOT, SAMPLE_AGENTS) },
  };
}

function announceLocalDevelopment(config: PulseConfig): void {
  const { destinations } = config;
  if (destinations.allowPrivateNetworks) {
    log('[pulse] SSRF guard OFF: PULSE_ALLOW_PRIVATE_NETWORKS=true lets tasks reach any private address.');
  } else if (destinations.strict) {
    log('[pulse] SSRF guard strict (PULSE_ALLOW_PRIVATE_NETWORKS=false): loopback is refused here too.');
  } else {
    log(
      '[pulse] LOCAL DEVELOPMENT: tasks may call back to this machine (localhost, 127.0.0.1, ::1). ' +
        'Private and metadata addresses stay refused; with TEMPORAL_ADDRESS set (any deployment) loopback is ' +
        'refused too. PULSE_ALLOW_PRIVATE_NETWORKS=false keeps it strict here as well.',
    );
  }
  log(`[pulse] local agents from ${config.local.agentPath} (LOCAL_AGENT_PATH)`);
}
