/**
 * What a benchmark's Temporal server is, whichever `--server` runs it (the dev server in `temporal-server.ts`, the
 * cluster in `cluster-server.ts`): the settings it was started with and what it reports of itself.
 */

/**
 * `default`: the server's own timer batching, as `npm start` ships it. `tuned`: `DEV_SERVER_DYNAMIC_CONFIG`
 * (`history.timerProcessorMaxTimeShift=100ms`, what `PULSE_TIMER_MAX_TIME_SHIFT=100ms` gives).
 */
export type TimerSettings = 'tuned' | 'default';

/**
 * `shipped`: SQLite as `npm start` opens it (`DEV_SERVER_SQLITE_PRAGMAS`: a write-ahead log, synced on every
 * commit). `cli-default`: the `temporal` CLI's own defaults (a rollback journal), as Pulse shipped before.
 */
export type SqliteSettings = 'shipped' | 'cli-default';

/** `BENCH_SQLITE`: `shipped` (the default) or `cli-default`. */
export function sqliteSettingsFromEnv(env = process.env): SqliteSettings {
  const value = env.BENCH_SQLITE ?? 'shipped';
  if (value !== 'shipped' && value !== 'cli-default')
    throw new Error(`BENCH_SQLITE must be shipped or cli-default, got '${value}'`);
  return value;
}

export interface BenchServer {
  readonly address: string;
  readonly pid: number;
  readonly dbFile: string;
  readonly timers: TimerSettings;
  readonly sqlite: SqliteSettings;
  rssBytes(): number;
  /** The server side's processes (on the cluster: the server, PostgreSQL's postmaster and its backends). */
  serverPids(): number[];
  /** The SQLite file with its WAL and shared-memory files (on the cluster: PostgreSQL's databases). */
  dbBytes(): number;
  /** CPU seconds of the server's other processes so far (the cluster's PostgreSQL). */
  otherCpuSeconds?(): Record<string, number>;
  /** The server's Prometheus endpoint (its own counters of persistence calls and internal tasks). */
  readonly metricsUrl: string;
  stop(): Promise<void>;
}
