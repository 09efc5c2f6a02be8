/** Console tables, ratios and the JSON files in bench/results/. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LatencySummary } from './histogram.js';
import { machineInfo } from './machine.js';
import { benchServer, type BenchOptions } from './options.js';

const BENCH_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * `--label=NAME` (or `BENCH_LABEL`) files a run apart: its JSON under bench/results/NAME/ and its table in the
 * `bench:NAME` section of BENCHMARKS.md, so that a run at other sizes leaves the default run's figures alone.
 * `--server=cluster` defaults to the label `cluster`.
 */
export const RESULTS_LABEL = ((): string => {
  const flag = process.argv.find((arg) => arg.startsWith('--label='))?.slice('--label='.length);
  const label = (flag ?? process.env.BENCH_LABEL ?? '').trim();
  if (label && !/^[a-z0-9-]+$/.test(label)) throw new Error(`--label must be a-z, 0-9 and -, got '${label}'`);
  // A cluster run is filed apart unless told otherwise, so it never overwrites the dev server's figures.
  return label || (benchServer() === 'cluster' ? 'cluster' : 'results');
})();

export const RESULTS_DIR = path.join(
  BENCH_DIR,
  'results',
  ...(RESULTS_LABEL === 'results' ? [] : [RESULTS_LABEL]),
);

export const BENCHMARKS_MD = path.join(BENCH_DIR, '..', 'BENCHMARKS.md');

/** `a / b` to two decimals; NaN when b is 0. */
export function ratio(a: number, b: number): number {
  return b === 0 ? Number.NaN : Math.round((a / b) * 100) / 100;
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (Math.abs(ms) >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (Math.abs(ms) >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return `${ms.toFixed(1)} ms`;
}

/** Prints rows as an aligned table. */
export function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

/** One row per side: p50/p90/p99/max, plus the ratio of each to the baseline's. */
export function printLatencyTable(title: string, bySide: Record<string, LatencySummary>): void {
  console.log(`\n${title}`);
  const base = bySide.baseline;
  printTable(
    ['side', 'n', 'p50', 'p90', 'p99', 'max', 'p50 ×base', 'p99 ×base'],
    Object.entries(bySide).map(([side, s]) => [
      side,
      String(s.count),
      formatMs(s.p50Ms),
      formatMs(s.p90Ms),
      formatMs(s.p99Ms),
      formatMs(s.maxMs),
      base ? `${ratio(s.p50Ms, base.p50Ms)}×` : '',
      base ? `${ratio(s.p99Ms, base.p99Ms)}×` : '',
    ]),
  );
}

export interface BenchResult {
  readonly name: string;
  readonly title: string;
  readonly startedAt: string;
  readonly durationS: number;
  readonly machine: ReturnType<typeof machineInfo>;
  readonly options: unknown;
  /** Load average at the start and at the end: how much else was running. */
  readonly loadAverage: { readonly start: number; readonly end: number };
  readonly results: unknown;
  /** Target name → whether it was met, with the figure it was judged on. */
  readonly targets?: Record<
    string,
    { readonly met: boolean; readonly value: number; readonly target: string }
  >;
  readonly notes?: readonly string[];
}

export function writeResult(result: BenchResult): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${result.name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

export type BenchmarkRun = (options: BenchOptions) => Promise<BenchResult>;
