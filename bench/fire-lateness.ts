/**
 * Benchmark 1, fire lateness: N one-time `http_request` tasks per side, due at random instants over a window,
 * each scheduled a few seconds before it is due (a steady flow, as in production); lateness is the callback's
 * arrival minus the due time.
 *
 * Two runs. The main one compares Pulse with the baseline on a server as `npm start` ships it (the dev server's
 * default timer batching). The second compares Pulse on two servers at once, one as shipped and one with the
 * timer setting tuned (`history.timerProcessorMaxTimeShift=100ms`), over a shorter window; both runs let their
 * contenders take turns in short blocks, so that a burst of other load on the machine falls on each alike.
 */
import path from 'node:path';
import { createLatencyRecorder, formatSummary, type LatencySummary } from './lib/histogram.js';
import { atPlannedTimes } from './lib/load.js';
import { machineInfo } from './lib/machine.js';
import type { BenchOptions, SideName } from './lib/options.js';
import { drawLatenessPlot } from './lib/plot.js';
import { loadAverage } from './lib/proc.js';
import { preciseNow } from './lib/receiver.js';
import { RESULTS_DIR, printLatencyTable, ratio, writeResult, type BenchResult } from './lib/report.js';
import { startStack, warmUp, type Side, type Stack } from './lib/stack.js';
import { runIfMain } from './lib/standalone.js';
import type { TimerSettings } from './lib/bench-server.js';

const P99_TARGET_MS = 1000;

/** One side of one stack, under the name it is reported by. */
interface Contender {
  readonly label: string;
  readonly stack: Stack;
  readonly side: Side;
}

interface LatenessRun {
  readonly bySide: Record<string, LatencySummary>;
  readonly samples: Record<string, number[]>;
  readonly missing: Record<string, number>;
  readonly earlierThanDue: Record<string, number>;
  readonly duplicates: number;
  readonly scheduleErrors: number;
  /** Worst delay of a registration behind its plan: the load generator keeping up. */
  readonly worstRegistrationDelayMs: number;
}

/**
 * Due times for every contender: the window is cut into blocks, the contenders take turns block by block, and
 * each gets `tasks` spread at random over its blocks. Each contender thus sees the density the benchmark asks
 * for (N per window).
 */
function planDueTimes(
  contenders: readonly Contender[],
  tasks: number,
  windowMs: number,
  blockMs: number,
  startMs: number,
) {
  const blocks = Math.max(1, Math.round(windowMs / blockMs));
  const length = windowMs / blocks;
  return contenders.flatMap((contender, c) =>
    Array.from({ length: tasks }, (_, i) => {
      const blockStart = startMs + ((i % blocks) * contenders.length + c) * length;
      return { contender, dueAtMs: Math.round(blockStart + Math.random() * length) };
    }),
  );
}

async function runContenders(
  options: BenchOptions,
  contenders: readonly Contender[],
  tasks: number,
  windowMs: number,
  title: string,
): Promise<LatenessRun> {
  const { leadMs, blockMs } = options.lateness;
  const plan = planDueTimes(contenders, tasks, windowMs, blockMs, preciseNow() + leadMs + 1000);
  const due = new Map<string, { contender: Contender; dueAtMs: number }>();
  console.log(
    `  ${title}: ${tasks} tasks each for ${contenders.map((c) => c.label).join(', ')}, due over ${windowMs / 1000} s ` +
      `in turns of ${blockMs / 1000} s, each scheduled ${leadMs / 1000} s ahead`,
  );
  const registration = await atPlannedTimes(
    plan,
    (item) => item.dueAtMs - leadMs,
    async (item) => {
      const id = await item.contender.side.schedule({ dueAtMs: item.dueAtMs, kind: 'http' });
      due.set(id, { contender: item.contender, dueAtMs: item.dueAtMs });
    },
  );
  if (registration.firstError)
    console.warn(`  schedule errors: ${registration.errors} (${registration.firstError})`);
  const missing = Object.fromEntries(contenders.map((c) => [c.label, 0]));
  for (const stack of new Set(contenders.map((c) => c.stack))) {
    const ids = [...due].filter(([, d]) => d.contender.stack === stack).map(([id]) => id);
    for (const id of await stack.receiver.waitFor(ids, 120_000)) missing[due.get(id)!.contender.label]!++;
  }
  const recorders = Object.fromEntries(contenders.map((c) => [c.label, createLatencyRecorder()]));
  for (const [id, { contender, dueAtMs }] of due) {
    const arrivedAt = contender.stack.receiver.arrivals.get(id);
    if (arrivedAt !== undefined) recorders[contender.label]!.record(arrivedAt - dueAtMs);
  }
  const bySide = Object.fromEntries(Object.entries(recorders).map(([label, r]) => [label, r.summary()]));
  printLatencyTable(`  ${title}`, bySide);
  return {
    bySide,
    samples: Object.fromEntries(Object.entries(recorders).map(([label, r]) => [label, [...r.samples]])),
    missing,
    earlierThanDue: Object.fromEntries(Object.entries(recorders).map(([label, r]) => [label, r.negatives])),
    duplicates: [...new Set(contenders.map((c) => c.stack))].reduce(
      (sum, s) => sum + s.receiver.duplicates,
      0,
    ),
    scheduleErrors: registration.errors,
    worstRegistrationDelayMs: Math.round(registration.worstStartDelayMs),
  };
}

/** Pulse against the baseline, on one server with the timer setting `npm start` ships. */
async function pulseVersusBaseline(options: BenchOptions): Promise<LatenessRun> {
  const stack = await startStack({
    sides: options.sides,
    timers: 'default',
    connections: options.concurrency,
  });
  try {
    await warmUp(stack, 'http');
    const contenders = stack.sides.map((side) => ({ label: side.name, stack, side }));
    const { tasks, windowMs } = options.lateness;
    return await runContenders(options, contenders, tasks, windowMs, 'Pulse vs baseline');
  } finally {
    await stack.stop();
  }
}

/** Pulse on a server as shipped against Pulse on a server with the tuned timer setting, at the same time. */
async function tunedVersusDefault(options: BenchOptions): Promise<LatenessRun> {
  const settings: TimerSettings[] = ['default', 'tuned'];
  const stacks = await Promise.all(
    settings.map((timers) =>
      startStack({ sides: ['pulse' as SideName], timers, connections: options.concurrency }),
    ),
  );
  try {
    await Promise.all(stacks.map((stack) => warmUp(stack, 'http')));
    const contenders = stacks.map((stack, i) => ({ label: settings[i]!, stack, side: stack.side('pulse') }));
    const { tasks, windowMs, timersShare } = options.lateness;
    const shortWindowMs = Math.max(5000, windowMs * timersShare);
    const shortTasks = Math.max(20, Math.round((tasks * shortWindowMs) / windowMs));
    return await runContenders(
      options,
      contenders,
      shortTasks,
      shortWindowMs,
      'Pulse, default vs tuned timers',
    );
  } finally {
    await Promise.all(stacks.map((stack) => stack.stop()));
  }
}

/** Lateness samples in ms, by side, as `lateness.json` keeps them under `results.samples`. */
export interface LatenessSamples {
  readonly main: Record<string, readonly number[]>;
  readonly timerSettings: Record<string, readonly number[]>;
}

/** Draws the two panels of `lateness.png` (also from a saved result: `npx tsx bench/plot-lateness.ts`). */
export function plotLateness(file: string, samples: LatenessSamples): void {
  drawLatenessPlot(file, [
    { title: 'pulse vs baseline (timer setting as shipped: the dev server default)', samples: samples.main },
    {
      title: 'pulse, default vs tuned timer setting (100 ms), two servers in turns',
      samples: samples.timerSettings,
    },
  ]);
}

export async function fireLateness(options: BenchOptions): Promise<BenchResult> {
  const startedAt = new Date();
  const loadStart = loadAverage();
  console.log('\n== 1. fire lateness ==');
  const main = await pulseVersusBaseline(options);
  const timers = await tunedVersusDefault(options);

  const pulse = main.bySide.pulse!;
  const baseline = main.bySide.baseline!;
  const tuned = timers.bySide.tuned!;
  const untuned = timers.bySide.default!;
  const better = tuned.p50Ms + tuned.p99Ms <= untuned.p50Ms + untuned.p99Ms ? 'tuned' : 'default';
  console.log(
    `  Pulse, default timers: ${formatSummary(untuned)}\n  Pulse, tuned timers:   ${formatSummary(tuned)}\n  better: ${better}`,
  );
  const plotFile = path.join(RESULTS_DIR, 'lateness.png');
  plotLateness(plotFile, { main: main.samples, timerSettings: timers.samples });
  const p50Ratio = ratio(pulse.p50Ms, baseline.p50Ms);
  const p99Ratio = ratio(pulse.p99Ms, baseline.p99Ms);
  const result: BenchResult = {
    name: 'lateness',
    title: 'Fire lateness (callback arrival − due time)',
    startedAt: startedAt.toISOString(),
    durationS: Math.round((Date.now() - startedAt.getTime()) / 1000),
    machine: machineInfo(),
    options: options.lateness,
    loadAverage: { start: loadStart, end: loadAverage() },
    results: {
      main: {
        ...main,
        samples: undefined,
        ratios: {
          pulseToBaseline: { p50: p50Ratio, p99: p99Ratio, max: ratio(pulse.maxMs, baseline.maxMs) },
        },
      },
      timerSettings: {
        ...timers,
        samples: undefined,
        ratios: {
          defaultToTuned: { p50: ratio(untuned.p50Ms, tuned.p50Ms), p99: ratio(untuned.p99Ms, tuned.p99Ms) },
        },
        better,
      },
      plot: path.relative(path.dirname(RESULTS_DIR), plotFile),
      samples: { main: main.samples, timerSettings: timers.samples },
    },
    targets: {
      'lateness p50 ≤ 1.1× baseline': { met: p50Ratio <= 1.1, value: p50Ratio, target: '≤ 1.1' },
      'lateness p99 ≤ 1.1× baseline': { met: p99Ratio <= 1.1, value: p99Ratio, target: '≤ 1.1' },
      'p99 fire lateness < 1 s': {
        met: pulse.p99Ms < P99_TARGET_MS,
        value: pulse.p99Ms,
        target: '< 1000 ms',
      },
    },
  };
  writeResult(result);
  return result;
}

runIfMain(import.meta.url, fireLateness);
