/**
 * A production-shaped Pulse on one machine, without Docker: PostgreSQL, the Temporal server built from the Go
 * module proxy, the Web UI, N Pulse workers and the Pulse API, each a separate process. `createCluster` is what
 * `npm run cluster` drives and what tests and benchmarks call to bring it up, break parts of it (SIGKILL the
 * server, one worker) and bring them back.
 *
 * Order matters both ways: up is postgres → schema → server → namespace → UI → workers → API (nothing accepts a
 * task before something can run it); down is API → workers → UI → server → postgres (nothing is cut off from
 * what it is still using).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/project-root.js';
import { isListening } from '../../src/temporal/port-probe.js';
import { buildBinaries, clusterBinaries, staleBinaries, type ClusterBinaries } from './build.js';
import { clusterOptions, clusterPaths, type ClusterOptions, type ClusterOverrides } from './options.js';
import {
  initPostgres,
  postgresRunning,
  startPostgres,
  stopPostgres,
  type PostgresOptions,
} from './postgres.js';
import {
  killProcess,
  logFile,
  recordedNames,
  running,
  sleep,
  startProcess,
  stopProcess,
  tail,
  waitForLogLine,
  type ProcessRecord,
  type ProcessTable,
  type SpawnSpec,
} from './processes.js';
import {
  serverCommand,
  setupNamespace,
  setupSchemas,
  uiCommand,
  waitForServer,
  writeDynamicConfig,
  writeUiConfig,
} from './temporal.js';

export const SERVER = 'temporal-server';
export const UI = 'temporal-ui';
export const API = 'pulse-api';
export const workerName = (index: number): string => `pulse-worker-${index}`;
const isWorkerName = (name: string): boolean => /^pulse-worker-\d+$/.test(name);

const SERVER_READY_MS = 90_000;
const PULSE_READY_MS = 90_000;
/** A worker's in-flight activities get this long to finish (docker-compose.yml's stop_grace_period too). */
const WORKER_STOP_GRACE_MS = 30_000;
const STOP_GRACE_MS = 10_000;
const PORT_RELEASE_MS = 5_000;

/** Environment variables that configure Pulse (its own, the SDK's, the executors', tracing). */
const PULSE_SETTING = /^(PULSE_|TEMPORAL_|RUNAGENT_|OTEL_|ENABLE_|LOCAL_AGENT_PATH$|DEFAULT_EXECUTOR$|HOST$)/;

function pulseSettings(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => PULSE_SETTING.test(entry[0]) && entry[1] !== undefined,
    ),
  );
}

export interface ComponentStatus {
  readonly name: string;
  readonly state: 'running' | 'stopped';
  readonly pid?: number;
  readonly since?: string;
  readonly log: string;
}

export interface Cluster {
  readonly options: ClusterOptions;
  /** Temporal frontend, `127.0.0.1:<port>`. */
  readonly address: string;
  readonly apiUrl: string;
  readonly uiUrl: string;
  build(force?: boolean): Promise<ClusterBinaries>;
  /** Brings everything up; what already runs is kept, stale records from a crash are cleared. */
  up(): Promise<void>;
  /** Stops everything, in order; what is not running is skipped. */
  down(): Promise<void>;
  status(): ComponentStatus[];
  startServer(): Promise<void>;
  /** SIGKILL, as a crash would: no shutdown, no flush. */
  killServer(): Promise<boolean>;
  stopServer(): Promise<void>;
  startWorker(index: number): Promise<void>;
  killWorker(index: number): Promise<boolean>;
  stopWorker(index: number): Promise<void>;
  startApi(): Promise<void>;
  stopApi(): Promise<void>;
  restartApi(): Promise<void>;
  /** The log file of a component, e.g. `logFile(workerName(1))`. */
  logFile(name: string): string;
}

export function createCluster(overrides: ClusterOverrides = {}): Cluster {
  const options = clusterOptions(overrides);
  const paths = clusterPaths(options.dir);
  const table: ProcessTable = { logsDir: paths.logs, runDir: paths.run };
  const pgOptions: PostgresOptions = {
    dataDir: paths.pgData,
    logFile: path.join(paths.logs, 'postgres.log'),
    port: options.ports.postgres,
  };
  /**
   * Pulse's settings as `up` was given them, kept in `run/pulse-settings.json` (owner-only: it may hold keys), so
   * a worker or API restarted later, from another process, runs with the same ones as its siblings.
   */
  const settingsFile = path.join(paths.run, 'pulse-settings.json');
  function saveSettings(): void {
    mkdirSync(paths.run, { recursive: true });
    writeFileSync(settingsFile, JSON.stringify(pulseSettings(options.pulseEnv), null, 2) + '\n', {
      mode: 0o600,
    });
  }
  function pulseEnv(): NodeJS.ProcessEnv {
    let saved: Record<string, string> | undefined;
    try {
      saved = JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, string>;
    } catch {
      return options.pulseEnv;
    }
    const rest = Object.entries(options.pulseEnv).filter(([key]) => !PULSE_SETTING.test(key));
    return { ...Object.fromEntries(rest), ...saved };
  }

  const address = `127.0.0.1:${options.ports.frontend}`;
  const apiHost = options.pulseEnv.HOST || pulseEnv().HOST || '127.0.0.1';
  const apiUrl = `http://${apiHost === '0.0.0.0' ? '127.0.0.1' : apiHost}:${options.ports.api}`;
  const uiUrl = `http://localhost:${options.ports.ui}`;
  const log = options.log;

  async function step<T>(label: string, work: () => T | Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      const result = await work();
      const note = typeof result === 'string' ? `: ${result}` : '';
      log(`[cluster] ${label}${note} (${seconds(Date.now() - started)})`);
      return result;
    } catch (err) {
      log(`[cluster] ${label}: FAILED after ${seconds(Date.now() - started)}`);
      throw err;
    }
  }

  /** Refuses to start `name` on a port something else already holds: a clear error beats a crash loop. */
  async function ensurePortFree(name: string, port: number): Promise<void> {
    // A process of ours killed a moment ago may hold its sockets a little longer than its pid (a multi-threaded
    // process's leader shows as a zombie while its other threads still exit), so a busy port gets a few seconds.
    const deadline = Date.now() + PORT_RELEASE_MS;
    while ((await isListening(port)) && Date.now() < deadline) await sleep(100);
    if (await isListening(port))
      throw new Error(
        `port ${port} (for ${name}) is in use by another program; stop it or choose another port (see docs/deployment.md)`,
      );
  }

  async function startTracked(
    spec: SpawnSpec,
    port: number | undefined,
    ready: (r: ProcessRecord, offset: number) => Promise<void>,
  ) {
    const existing = running(table, spec.name);
    if (existing) return `already running (pid ${existing.stamp.pid})`;
    if (port) await ensurePortFree(spec.name, port);
    const { record, logOffset } = startProcess(table, spec);
    try {
      await ready(record, logOffset);
    } catch (err) {
      await stopProcess(table, spec.name, 2_000);
      throw err;
    }
    return `started (pid ${record.stamp.pid})`;
  }

  function binaries(): ClusterBinaries {
    const stale = staleBinaries(options.cacheDir, options.ui);
    if (stale.server || stale.ui)
      throw new Error('the cluster binaries are missing or out of date: run `npm run cluster -- build`');
    return clusterBinaries(options.cacheDir);
  }

  function pulseSpec(name: string, entry: string, extraEnv: NodeJS.ProcessEnv): SpawnSpec {
    const env = pulseEnv();
    return {
      name,
      // As `npm run worker` / `npm run api` run it, without npm: the recorded pid is the Pulse process, so a SIGKILL
      // hits it.
      command: process.execPath,
      args: ['scripts/run-bundled.mjs', entry],
      cwd: PROJECT_ROOT,
      env: {
        ...env,
        TEMPORAL_ADDRESS: address,
        TEMPORAL_NAMESPACE: options.namespace,
        PULSE_UI_URL: env.PULSE_UI_URL || uiUrl,
        ...extraEnv,
      },
    };
  }

  const cluster: Cluster = {
    options,
    address,
    apiUrl,
    uiUrl,

    build: (force = false) => buildBinaries(options.cacheDir, { ui: options.ui, force }, step),

    async up() {
      const started = Date.now();
      const stale = staleBinaries(options.cacheDir, options.ui);
      if (stale.server || stale.ui) {
        log('[cluster] building from the Go module proxy (minutes on a first run; later runs reuse it)');
        await cluster.build();
      }
      await step('postgres: data folder', () => initPostgres(pgOptions));
      if (!postgresRunning(pgOptions)) await ensurePortFree('postgres', options.ports.postgres);
      await step(`postgres: 127.0.0.1:${options.ports.postgres}`, () => startPostgres(pgOptions));
      await step('temporal schemas (temporal, temporal_visibility)', () => {
        setupSchemas(binaries(), options);
        return 'ready';
      });
      await cluster.startServer();
      if (options.ui) {
        await step(`web UI: ${uiUrl}`, () =>
          startTracked(
            { name: UI, ...uiCommand(binaries(), writeUiConfig(paths.ui, options)), cwd: paths.ui },
            options.ports.ui,
            async () => {
              const deadline = Date.now() + 30_000;
              while (!(await isListening(options.ports.ui))) {
                if (!running(table, UI)) throw new Error(`ui-server exited; see ${logFile(table, UI)}`);
                if (Date.now() > deadline)
                  throw new Error(`ui-server not listening; see ${logFile(table, UI)}`);
                await new Promise((resolve) => setTimeout(resolve, 200));
              }
            },
          ),
        );
      }
      saveSettings();
      // Workers beyond the requested count (an earlier `up --workers=3`) are stopped, the rest started together.
      for (const name of recordedNames(table).filter(isWorkerName)) {
        if (Number(name.split('-').at(-1)) > options.workers)
          await step(`${name}: not wanted`, () => stopProcess(table, name, WORKER_STOP_GRACE_MS));
      }
      await Promise.all(Array.from({ length: options.workers }, (_, i) => cluster.startWorker(i + 1)));
      await cluster.startApi();
      log(`[cluster] up in ${seconds(Date.now() - started)}`);
      log(`[cluster]   API         ${apiUrl}`);
      log(
        `[cluster]   Web UI      ${options.ui ? `${uiUrl}/namespaces/${options.namespace}/workflows` : 'off'}`,
      );
      log(`[cluster]   Temporal    ${address} (namespace ${options.namespace})`);
      log(`[cluster]   logs        ${paths.logs}`);
    },

    async down() {
      const started = Date.now();
      await cluster.stopApi();
      const workers = recordedNames(table).filter(isWorkerName).sort();
      await Promise.all(
        workers.map((name) => step(`${name}: stop`, () => stopProcess(table, name, WORKER_STOP_GRACE_MS))),
      );
      await step(`${UI}: stop`, () => stopProcess(table, UI, STOP_GRACE_MS));
      await cluster.stopServer();
      await step('postgres: stop', () => stopPostgres(pgOptions));
      log(`[cluster] down in ${seconds(Date.now() - started)}`);
    },

    status() {
      const names = [
        SERVER,
        ...(options.ui ? [UI] : []),
        ...new Set([
          ...Array.from({ length: options.workers }, (_, i) => workerName(i + 1)),
          ...recordedNames(table).filter(isWorkerName),
        ]),
        API,
      ];
      const processes = names.map((name): ComponentStatus => {
        const record = running(table, name);
        return record
          ? { name, state: 'running', pid: record.stamp.pid, since: record.startedAt, log: record.logFile }
          : { name, state: 'stopped', log: logFile(table, name) };
      });
      const postgres: ComponentStatus = {
        name: 'postgres',
        state: postgresRunning(pgOptions) ? 'running' : 'stopped',
        log: pgOptions.logFile,
      };
      return [postgres, ...processes];
    },

    async startServer() {
      await step(`${SERVER}: ${address}`, () =>
        startTracked(
          {
            name: SERVER,
            ...serverCommand(binaries(), options, writeDynamicConfig(paths.run, options.pulseEnv)),
            cwd: paths.run,
          },
          options.ports.frontend,
          async (record, offset) => {
            try {
              await waitForServer(address, SERVER_READY_MS, () => running(table, record.name) !== undefined);
            } catch (err) {
              const output = readFileSync(record.logFile).subarray(offset).toString('utf8');
              throw new Error(
                `${err instanceof Error ? err.message : String(err)}; see ${record.logFile}:\n${tail(output)}`,
              );
            }
          },
        ),
      );
      await step(`namespace '${options.namespace}' and search attributes`, async () => {
        const added = await setupNamespace(address, options);
        return added.length > 0 ? `added ${added.join(', ')}` : 'present';
      });
    },

    killServer: () => step(`${SERVER}: SIGKILL`, () => killProcess(table, SERVER)),
    async stopServer() {
      await step(`${SERVER}: stop`, () => stopProcess(table, SERVER, STOP_GRACE_MS * 2));
    },

    async startWorker(index) {
      const name = workerName(index);
      const metricsPort = options.ports.workerMetrics > 0 ? options.ports.workerMetrics + index - 1 : 0;
      await step(`${name}: polling`, () =>
        startTracked(
          pulseSpec(name, 'src/main/worker.ts', { PULSE_WORKER_METRICS_PORT: String(metricsPort) }),
          undefined,
          (record, offset) => waitForLogLine(record, offset, '[pulse] ready', PULSE_READY_MS),
        ),
      );
    },
    killWorker: (index) => step(`${workerName(index)}: SIGKILL`, () => killProcess(table, workerName(index))),
    async stopWorker(index) {
      await step(`${workerName(index)}: stop`, () =>
        stopProcess(table, workerName(index), WORKER_STOP_GRACE_MS),
      );
    },

    async startApi() {
      await step(`${API}: ${apiUrl}`, () =>
        startTracked(
          pulseSpec(API, 'src/main/api.ts', { PORT: String(options.ports.api), HOST: apiHost }),
          options.ports.api,
          (record, offset) => waitForLogLine(record, offset, '[pulse] ready', PULSE_READY_MS),
        ),
      );
    },
    async stopApi() {
      await step(`${API}: stop`, () => stopProcess(table, API, STOP_GRACE_MS));
    },
    async restartApi() {
      await cluster.stopApi();
      await cluster.startApi();
    },

    logFile: (name) => (name === 'postgres' ? pgOptions.logFile : logFile(table, name)),
  };
  return cluster;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
