/**
 * Benchmark sizes, read once from the command line and the environment. Everything is scaled by `--scale` /
 * `BENCH_SCALE` (0.1 for a quick run); each size can also be set on its own.
 */
export type SideName = 'pulse' | 'direct' | 'baseline';
export const ALL_SIDES: readonly SideName[] = ['pulse', 'direct', 'baseline'];

/**
 * `dev`: a fresh `temporal server start-dev` per stack (SQLite), as `npm start` ships. `cluster`: a fresh
 * production-shaped cluster per stack (PostgreSQL, the Go-built server of `npm run cluster -- build`), with the
 * benchmark's own worker, API and baseline processes on it, exactly as on the dev server.
 */
export type ServerKind = 'dev' | 'cluster';

/** `--server=dev|cluster` or `BENCH_SERVER`; read apart from `readOptions` so the stack and the report see it too. */
export function benchServer(argv: readonly string[] = process.argv.slice(2), env = process.env): ServerKind {
  const flag = argv.find((arg) => arg.startsWith('--server='))?.slice('--server='.length);
  const value = (flag ?? env.BENCH_SERVER ?? 'dev').trim();
  if (value !== 'dev' && value !== 'cluster')
    throw new Error(`--server must be dev or cluster, got '${value}'`);
  return value;
}

export const BENCHMARK_NAMES = ['lateness', 'throughput', 'overhead', 'memory', 'api', 'herd'] as const;
export type BenchmarkName = (typeof BENCHMARK_NAMES)[number];

export interface BenchOptions {
  readonly server: ServerKind;
  readonly scale: number;
  readonly only: readonly BenchmarkName[];
  /** Sides compared by every benchmark but throughput (default: pulse and baseline). */
  readonly sides: readonly SideName[];
  readonly concurrency: number;
  readonly lateness: {
    readonly tasks: number;
    readonly windowMs: number;
    readonly leadMs: number;
    /** The sides take turns in blocks of this length, so other load on the machine falls on each alike. */
    readonly blockMs: number;
    /** Share of the main run's tasks (and window) that the comparison of timer settings uses. */
    readonly timersShare: number;
  };
  readonly throughput: {
    readonly roundMs: number;
    readonly rounds: number;
    /** Default: all three, since rounds are short. */
    readonly sides: readonly SideName[];
  };
  readonly overhead: { readonly runs: number; readonly spacingMs: number; readonly leadMs: number };
  readonly memory: { readonly tasks: number };
  readonly api: { readonly rate: number; readonly durationMs: number; readonly warmupMs: number };
  readonly herd: {
    readonly tasks: number;
    /** Worker processes per side, one run for each count (`--herd-workers=1,2,4`). */
    readonly workers: readonly number[];
  };
}

/** `--name=value` flags first, then `BENCH_NAME` variables. */
function reader(argv: readonly string[], env: NodeJS.ProcessEnv) {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (match) flags.set(match[1]!, match[2] ?? 'true');
  }
  const raw = (name: string): string | undefined =>
    flags.get(name) ?? env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
  const number = (name: string, fallback: number): number => {
    const value = raw(name);
    if (value === undefined || value === '') return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive number`);
    return parsed;
  };
  const list = <T extends string>(
    name: string,
    allowed: readonly T[],
    fallback: readonly T[] = allowed,
  ): T[] => {
    const value = raw(name);
    if (!value) return [...fallback];
    const items = value.split(',').map((item) => item.trim());
    for (const item of items) {
      if (!allowed.includes(item as T))
        throw new Error(`--${name}: '${item}' is not one of ${allowed.join(', ')}`);
    }
    return items as T[];
  };
  const counts = (name: string, fallback: readonly number[]): number[] => {
    const value = raw(name);
    if (!value) return [...fallback];
    const items = value.split(',').map((item) => Number(item.trim()));
    if (items.some((n) => !Number.isInteger(n) || n < 1))
      throw new Error(`--${name} must be a list of counts, e.g. 1,2,4`);
    return items;
  };
  return { number, list, counts };
}

export function readOptions(
  argv: readonly string[] = process.argv.slice(2),
  env = process.env,
): BenchOptions {
  const { number, list, counts } = reader(argv, env);
  const scale = number('scale', 1);
  const count = (name: string, full: number, least: number) =>
    Math.max(least, Math.round(number(name, full * scale)));
  const seconds = (name: string, full: number, least: number) =>
    Math.max(least, number(name, full * scale)) * 1000;
  const sides = list('sides', ALL_SIDES, ['pulse', 'baseline']);
  const throughputSides = list('throughput-sides', ALL_SIDES);
  for (const chosen of [sides, throughputSides]) {
    if (!chosen.includes('pulse') || !chosen.includes('baseline'))
      throw new Error('--sides and --throughput-sides must include pulse and baseline');
  }
  return {
    server: benchServer(argv, env),
    scale,
    only: list('only', BENCHMARK_NAMES),
    sides,
    concurrency: Math.max(1, Math.round(number('concurrency', 50))),
    lateness: {
      tasks: count('lateness-tasks', 1000, 20),
      windowMs: seconds('lateness-window-s', 60, 5),
      leadMs: number('lateness-lead-s', 5) * 1000,
      blockMs: seconds('lateness-block-s', 5, 1),
      timersShare: Math.min(1, number('lateness-timers-share', 1 / 4)),
    },
    throughput: {
      roundMs: seconds('throughput-round-s', 6, 2),
      rounds: count('throughput-rounds', 2, 1),
      sides: throughputSides,
    },
    overhead: {
      runs: count('overhead-runs', 500, 20),
      spacingMs: number('overhead-spacing-ms', 150),
      leadMs: number('overhead-lead-s', 2) * 1000,
    },
    memory: { tasks: count('memory-tasks', 5000, 200) },
    api: {
      rate: number('api-rate', 1000),
      durationMs: seconds('api-seconds', 20, 3),
      warmupMs: seconds('api-warmup-s', 2, 1),
    },
    herd: { tasks: count('herd-tasks', 2000, 100), workers: counts('herd-workers', [1]) },
  };
}
