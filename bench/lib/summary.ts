/**
 * The headline table: one row per figure the issue asks for, Pulse next to its baseline, the ratio and the
 * target. Printed at the end of `npm run bench` and written into BENCHMARKS.md between two markers.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { LatencySummary } from './histogram.js';
import type { MachineInfo } from './machine.js';
import { MIB } from './proc.js';
import { RESULTS_LABEL, formatMs, printTable, type BenchResult } from './report.js';

export interface SummaryRow {
  readonly benchmark: string;
  readonly figure: string;
  readonly pulse: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly target: string;
  /** true/false when there is a target, undefined otherwise. */
  readonly met?: boolean;
}

const times = (value: number | undefined) =>
  value === undefined || Number.isNaN(value) ? '–' : `${value.toFixed(2)}×`;
const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;

type Results = Record<string, unknown>;

function latencyRows(
  benchmark: string,
  label: string,
  pulse: LatencySummary,
  baseline: LatencySummary,
  targets: BenchResult['targets'],
  targetKeys: Partial<Record<'p50' | 'p99', string>>,
): SummaryRow[] {
  return (['p50', 'p99', 'max'] as const).map((p) => {
    const key = `${p}Ms` as const;
    const target = p === 'max' ? undefined : targetKeys[p];
    const judged = target ? targets?.[target] : undefined;
    return {
      benchmark,
      figure: `${label} ${p}`,
      pulse: formatMs(pulse[key]),
      baseline: formatMs(baseline[key]),
      ratio: times(pulse[key] / baseline[key]),
      target: judged ? `${judged.target}×` : '',
      ...(judged ? { met: judged.met } : {}),
    };
  });
}

export function summaryRows(results: readonly BenchResult[]): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const result of results) {
    const r = result.results as Results;
    switch (result.name) {
      case 'lateness': {
        const main = r.main as { bySide: Record<string, LatencySummary> };
        const timers = r.timerSettings as { bySide: Record<string, LatencySummary>; better: string };
        rows.push(
          ...latencyRows(
            '1 fire lateness',
            'lateness',
            main.bySide.pulse!,
            main.bySide.baseline!,
            result.targets,
            {
              p50: 'lateness p50 ≤ 1.1× baseline',
              p99: 'lateness p99 ≤ 1.1× baseline',
            },
          ),
        );
        const p99 = result.targets?.['p99 fire lateness < 1 s'];
        if (p99) {
          rows.push({
            benchmark: '1 fire lateness',
            figure: 'Pulse p99 (absolute)',
            pulse: formatMs(p99.value),
            baseline: '',
            ratio: '',
            target: '< 1 s',
            met: p99.met,
          });
        }
        const d = timers.bySide.default!;
        const t = timers.bySide.tuned!;
        rows.push({
          benchmark: '1 fire lateness',
          figure: 'Pulse p50 / p99: default timers (Pulse col.) vs tuned (baseline col.)',
          pulse: `${formatMs(d.p50Ms)} / ${formatMs(d.p99Ms)}`,
          baseline: `${formatMs(t.p50Ms)} / ${formatMs(t.p99Ms)}`,
          ratio: `${times(d.p50Ms / t.p50Ms)} / ${times(d.p99Ms / t.p99Ms)}`,
          target: `better: ${timers.better}`,
        });
        break;
      }
      case 'throughput': {
        const bySide = r.bySide as Record<string, { perSecond: number }>;
        const target = result.targets?.['throughput ≥ 0.8× baseline'];
        rows.push({
          benchmark: '2 throughput',
          figure: 'tasks accepted/s, concurrency 50',
          pulse: bySide.pulse!.perSecond.toFixed(1),
          baseline: bySide.baseline!.perSecond.toFixed(1),
          ratio: times(bySide.pulse!.perSecond / bySide.baseline!.perSecond),
          target: '≥ 0.8×',
          ...(target ? { met: target.met } : {}),
        });
        const other = r.otherSqliteSetting as
          { sqlite: string; perSecond: Record<string, number> } | undefined;
        if (other) {
          rows.push({
            benchmark: '2 throughput',
            figure: `same, ${other.sqlite} SQLite`,
            pulse: other.perSecond.pulse!.toFixed(1),
            baseline: other.perSecond.baseline!.toFixed(1),
            ratio: times(other.perSecond.pulse! / other.perSecond.baseline!),
            target: '',
          });
        }
        break;
      }
      case 'overhead': {
        const bySide = r.bySide as Record<string, LatencySummary>;
        rows.push(
          ...latencyRows('3 overhead', 'due → callback', bySide.pulse!, bySide.baseline!, result.targets, {
            p50: 'overhead p50 ≤ 1.1× baseline',
            p99: 'overhead p99 ≤ 1.1× baseline',
          }),
        );
        break;
      }
      case 'memory': {
        type Side = {
          sleeping: number;
          workerCache: number;
          growth: Record<string, number>;
          perTenThousand: Record<string, number>;
        };
        const bySide = r.bySide as Record<string, Side>;
        const pulse = bySide.pulse!;
        const base = bySide.baseline!;
        const n = pulse.sleeping.toLocaleString('en-US');
        const scaled = pulse.sleeping === 10_000 ? '' : ` (scaled from ${n})`;
        for (const [key, label, figures] of [
          ['workerRss', `worker RSS, ${n} sleeping (cache ≤ ${pulse.workerCache})`, 'growth'],
          ['serverRss', `server RSS per 10k sleeping${scaled}`, 'perTenThousand'],
          ['dbBytes', `SQLite size per 10k sleeping${scaled}`, 'perTenThousand'],
        ] as const) {
          rows.push({
            benchmark: '4 memory',
            figure: label,
            pulse: mib(pulse[figures][key]!),
            baseline: mib(base[figures][key]!),
            ratio: times(pulse[figures][key]! / base[figures][key]!),
            target: '',
          });
        }
        break;
      }
      case 'api': {
        const bySide = r.bySide as Record<string, LatencySummary>;
        for (const p of ['p50', 'p99'] as const) {
          const key = `${p}Ms` as const;
          rows.push({
            benchmark: '5 API overhead',
            figure: `rejected POST /tasks/schedule vs hello route, ${p}`,
            pulse: formatMs(bySide.pulse![key]),
            baseline: formatMs(bySide.hello![key]),
            ratio: times(bySide.pulse![key] / bySide.hello![key]),
            target: '',
          });
        }
        break;
      }
      case 'herd': {
        const bySide = r.bySide as Record<string, { lastCallbackAfterDueMs: number; tasks: number }>;
        rows.push({
          benchmark: '6 thundering herd',
          figure: `${bySide.pulse!.tasks} due at once: last callback after`,
          pulse: formatMs(bySide.pulse!.lastCallbackAfterDueMs),
          baseline: formatMs(bySide.baseline!.lastCallbackAfterDueMs),
          ratio: times(bySide.pulse!.lastCallbackAfterDueMs / bySide.baseline!.lastCallbackAfterDueMs),
          target: '',
        });
        break;
      }
    }
  }
  return rows;
}

const verdict = (row: SummaryRow) => (row.met === undefined ? '' : row.met ? 'met' : 'MISSED');

export function printSummary(rows: readonly SummaryRow[]): void {
  console.log('\n== summary: Pulse vs raw Temporal ==');
  printTable(
    ['benchmark', 'figure', 'Pulse', 'baseline', 'ratio', 'target', ''],
    rows.map((row) => [
      row.benchmark,
      row.figure,
      row.pulse,
      row.baseline,
      row.ratio,
      row.target,
      verdict(row),
    ]),
  );
}

const RESULTS_START = `<!-- bench:${RESULTS_LABEL}:start -->`;
const RESULTS_END = `<!-- bench:${RESULTS_LABEL}:end -->`;

export interface RunInfo {
  readonly date: string;
  readonly command: string;
  readonly durationS: number;
  readonly machine: MachineInfo;
  readonly sqlite: string;
  /** What the benchmarks ran against (`--server`). */
  readonly server: string;
  readonly loadAverage: { readonly start: number; readonly end: number };
}

export function summaryMarkdown(rows: readonly SummaryRow[], run: RunInfo): string {
  const m = run.machine;
  const lines = [
    RESULTS_START,
    '',
    `Latest run: **${run.date}**, \`${run.command}\`, ${Math.floor(run.durationS / 60)} min ${run.durationS % 60} s. ` +
      `Machine: ${m.nproc} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}, temporal CLI ${m.temporalCli}, ` +
      `${m.kernel}. Server: ${run.server}. Load average (1 min) ${run.loadAverage.start} at the start, ` +
      `${run.loadAverage.end} at the end.`,
    '',
    '| benchmark | figure | Pulse | baseline | ratio | target | |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (row) =>
        `| ${row.benchmark} | ${row.figure} | ${row.pulse} | ${row.baseline} | ${row.ratio} | ${row.target} | ${verdict(row)} |`,
    ),
    '',
    RESULTS_END,
  ];
  return lines.join('\n');
}

/** Replaces the generated section of BENCHMARKS.md, or appends it when the file has none yet. */
export function updateBenchmarksMd(file: string, section: string): void {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const start = current.indexOf(RESULTS_START);
  const end = current.indexOf(RESULTS_END);
  const next =
    start >= 0 && end > start
      ? `${current.slice(0, start)}${section}${current.slice(end + RESULTS_END.length)}`
      : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, next);
}
