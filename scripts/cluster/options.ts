/**
 * What the production-shaped cluster runs and where: pinned versions, the folder it keeps everything in, and the
 * ports. Defaults differ from the dev server's (7233/8233, API 8000) so both can run side by side.
 */
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/project-root.js';

/** Pinned versions. docker-compose.yml pins the same ones; change both together. */
export const VERSIONS = {
  temporalServer: '1.32.2',
  uiServer: '2.58.1',
  /** The server's go.mod asks for this toolchain; the Go module proxy serves it. */
  goToolchain: 'go1.26.10',
  /**
   * ui-server v2.58.1 pins versions of these the proxy no longer serves; the nearest it does serve. Raised with
   * `go get` in the throwaway build module, never in ui-server itself.
   */
  uiServerPins: ['go.temporal.io/api@v1.64.3', 'github.com/labstack/echo/v4@v4.16.5'],
} as const;

export interface ClusterPorts {
  /** Temporal frontend gRPC: what workers, the API and the CLI dial. */
  readonly frontend: number;
  /** Temporal Web UI (ui-server). */
  readonly ui: number;
  readonly postgres: number;
  /** Pulse HTTP API. */
  readonly api: number;
  /** First Pulse worker's SDK metrics port; worker i uses `workerMetrics + i - 1`. 0 turns them off. */
  readonly workerMetrics: number;
}

export interface ClusterOptions {
  /** Everything the cluster writes: the database, logs, pids. Git-ignored. */
  readonly dir: string;
  /** The binaries and the Go caches behind them (default: `dir`); tests point theirs at the project's. */
  readonly cacheDir: string;
  readonly ports: ClusterPorts;
  readonly workers: number;
  readonly namespace: string;
  /** Namespace retention, in days: how long finished tasks stay readable through the API. */
  readonly retentionDays: number;
  /** Start the Web UI (building it first if needed). */
  readonly ui: boolean;
  /** The Temporal server's log level (`LOG_LEVEL` of its config template). */
  readonly serverLogLevel: string;
  /** Environment for the Pulse processes, over which the cluster sets address, namespace and ports. */
  readonly pulseEnv: NodeJS.ProcessEnv;
  readonly log: (line: string) => void;
}

/** How many ports the server takes, from its frontend port up (`serverPorts`). */
export const SERVER_PORT_BLOCK = 10;

/** The server's internal ports, a fixed block right above the frontend port, so one setting moves them all. */
export function serverPorts(frontend: number) {
  return {
    FRONTEND_GRPC_PORT: frontend,
    FRONTEND_HTTP_PORT: frontend + 1,
    HISTORY_GRPC_PORT: frontend + 2,
    MATCHING_GRPC_PORT: frontend + 3,
    WORKER_GRPC_PORT: frontend + 4,
    FRONTEND_MEMBERSHIP_PORT: frontend + 5,
    HISTORY_MEMBERSHIP_PORT: frontend + 6,
    MATCHING_MEMBERSHIP_PORT: frontend + 7,
    WORKER_MEMBERSHIP_PORT: frontend + 8,
    /** Prometheus metrics of the server. */
    METRICS_PORT: frontend + 9,
  };
}

function portFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65_535)
    throw new Error(`${name} must be a TCP port, got '${raw}'`);
  return value;
}

export type ClusterOverrides = Partial<Omit<ClusterOptions, 'ports'>> & { ports?: Partial<ClusterPorts> };

/** Options from `PULSE_CLUSTER_*` variables, with `overrides` (flags, a test's choices) on top. */
export function clusterOptions(
  overrides: ClusterOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
): ClusterOptions {
  const ports: ClusterPorts = {
    frontend: portFrom(env, 'PULSE_CLUSTER_FRONTEND_PORT', 7243),
    ui: portFrom(env, 'PULSE_CLUSTER_UI_PORT', 8243),
    postgres: portFrom(env, 'PULSE_CLUSTER_PG_PORT', 5433),
    api: portFrom(env, 'PULSE_CLUSTER_API_PORT', 8010),
    workerMetrics: portFrom(env, 'PULSE_CLUSTER_WORKER_METRICS_PORT', 9470),
    ...overrides.ports,
  };
  const workers = overrides.workers ?? Number(env.PULSE_CLUSTER_WORKERS || 2);
  if (!Number.isInteger(workers) || workers < 0) throw new Error(`workers must be 0 or more, got ${workers}`);
  const dir = path.resolve(PROJECT_ROOT, overrides.dir ?? env.PULSE_CLUSTER_DIR ?? '.cluster');
  return {
    dir,
    cacheDir: path.resolve(PROJECT_ROOT, overrides.cacheDir ?? env.PULSE_CLUSTER_CACHE_DIR ?? dir),
    ports,
    workers,
    namespace: overrides.namespace ?? env.TEMPORAL_NAMESPACE ?? 'default',
    retentionDays: overrides.retentionDays ?? Number(env.PULSE_RETENTION_DAYS || 30),
    ui: overrides.ui ?? env.PULSE_CLUSTER_UI !== 'false',
    serverLogLevel: overrides.serverLogLevel ?? env.PULSE_CLUSTER_SERVER_LOG_LEVEL ?? 'warn',
    pulseEnv: overrides.pulseEnv ?? env,
    log: overrides.log ?? ((line) => console.log(line)),
  };
}

/** Where the binaries and their build live, inside `options.cacheDir`. */
export function cachePaths(cacheDir: string) {
  return {
    bin: path.join(cacheDir, 'bin'),
    versions: path.join(cacheDir, 'bin', 'versions.json'),
    build: path.join(cacheDir, 'build'),
    go: path.join(cacheDir, 'go'),
  };
}

/** Where the running cluster's state lives, inside `options.dir`. */
export function clusterPaths(dir: string) {
  return {
    pgData: path.join(dir, 'pg'),
    logs: path.join(dir, 'logs'),
    run: path.join(dir, 'run'),
    ui: path.join(dir, 'ui'),
  };
}
