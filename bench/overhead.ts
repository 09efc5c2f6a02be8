/**
 * Benchmark 3, due → callback overhead: tasks with the instant executor, one every `spacing` ms per side on
 * average (due at random instants, the sides mixed), each scheduled `lead` ms before it is due; the time from due to callback is what the
 * scheduler itself adds: the timer, the workflow tasks, the two activities and the callback POST.
 */
import { createLatencyRecorder } from './lib/histogram.js';
import { atPlannedTimes } from './lib/load.js';
import { machineInfo } from './lib/machine.js';
import type { BenchOptions, SideName } from './lib/options.js';
import { loadAverage } from './lib/proc.js';
import { preciseNow } from './lib/receiver.js';
import { printLatencyTable, ratio, writeResult, type BenchResult } from './lib/report.js';
import { startStack, warmUp } from './lib/stack.js';
import { runIfMain } from './lib/standalone.js';

const OVERHEAD_TARGET = 1.1;

export async function dueToCallbackOverhead(options: BenchOptions): Promise<BenchResult> {
  const startedAt = new Date();
  const loadStart = loadAverage();
  const { runs, spacingMs, leadMs } = options.overhead;
  console.log(`\n== 3. due → callback overhead (${runs} runs per side, instant executor) ==`);
  const stack = await startStack({ sides: options.sides, connections: options.concurrency });
  const due = new Map<string, { side: SideName; dueAtMs: number }>();
  let missing: string[] = [];
  let scheduleErrors = 0;
  try {
    await warmUp(stack, 'instant');
    // Due instants at random over the window, each side on its own: on a fixed grid, each side's tasks meet the
    // other side's (and the server's own periodic work) at the same point every time, and one side's median then
    // swings by 40 ms from run to run (see bench/diagnostics/overhead-breakdown.ts).
    const start = preciseNow() + leadMs + 500;
    const windowMs = runs * spacingMs;
    const plan = stack.sides.flatMap((side) =>
      Array.from({ length: runs }, () => ({ side, dueAtMs: Math.round(start + Math.random() * windowMs) })),
    );
    const registration = await atPlannedTimes(
      plan,
      (item) => item.dueAtMs - leadMs,
      async (item) => {
        const id = await item.side.schedule({ dueAtMs: item.dueAtMs, kind: 'instant' });
        due.set(id, { side: item.side.name, dueAtMs: item.dueAtMs });
      },
    );
    scheduleErrors = registration.errors;
    if (registration.firstError)
      console.warn(`  schedule errors: ${registration.errors} (${registration.firstError})`);
    missing = await stack.receiver.waitFor([...due.keys()], 60_000);
  } finally {
    await stack.stop();
  }
  const recorders = Object.fromEntries(options.sides.map((side) => [side, createLatencyRecorder()]));
  for (const [id, { side, dueAtMs }] of due) {
    const arrivedAt = stack.receiver.arrivals.get(id);
    if (arrivedAt !== undefined) recorders[side]!.record(arrivedAt - dueAtMs);
  }
  const bySide = Object.fromEntries(Object.entries(recorders).map(([side, r]) => [side, r.summary()]));
  printLatencyTable('  due → callback', bySide);
  const pulse = bySide.pulse!;
  const base = bySide.baseline!;
  const p50Ratio = ratio(pulse.p50Ms, base.p50Ms);
  const p99Ratio = ratio(pulse.p99Ms, base.p99Ms);
  const result: BenchResult = {
    name: 'overhead',
    title: 'Due → callback overhead, instant executor',
    startedAt: startedAt.toISOString(),
    durationS: Math.round((Date.now() - startedAt.getTime()) / 1000),
    machine: machineInfo(),
    options: options.overhead,
    loadAverage: { start: loadStart, end: loadAverage() },
    results: {
      bySide,
      ratios: {
        pulseToBaseline: { p50: p50Ratio, p99: p99Ratio },
        ...(bySide.direct
          ? {
              directToBaseline: {
                p50: ratio(bySide.direct.p50Ms, base.p50Ms),
                p99: ratio(bySide.direct.p99Ms, base.p99Ms),
              },
            }
          : {}),
      },
      missing: missing.length,
      scheduleErrors,
    },
    targets: {
      'overhead p50 ≤ 1.1× baseline': { met: p50Ratio <= OVERHEAD_TARGET, value: p50Ratio, target: '≤ 1.1' },
      'overhead p99 ≤ 1.1× baseline': { met: p99Ratio <= OVERHEAD_TARGET, value: p99Ratio, target: '≤ 1.1' },
    },
  };
  writeResult(result);
  return result;
}

runIfMain(import.meta.url, dueToCallbackOverhead);
