/**
 * Benchmark 6, thundering herd: N tasks all due at the same instant, per side on a fresh server. Scheduling
 * them takes a while, so the instant is chosen from a first measured burst: far enough ahead that every task is
 * in before it. Reports the time from that instant to the last callback, and the lateness spread.
 *
 * `--herd-workers=1,2,4` runs the herd once per count, each side with that many worker processes on its task
 * queue: how the drain scales with workers, and (with `--server=cluster`) whether the worker, the server or the
 * database bounds it (their CPU seconds while draining are in the result).
 */
import { closedLoop } from './lib/load.js';
import { createLatencyRecorder, formatSummary, type LatencySummary } from './lib/histogram.js';
import { machineInfo } from './lib/machine.js';
import type { BenchOptions, SideName } from './lib/options.js';
import { loadAverage } from './lib/proc.js';
import { formatMs, printTable, ratio, writeResult, type BenchResult } from './lib/report.js';
import { cpuUsedBetween, startStack, warmUp } from './lib/stack.js';
import { readServerCounters, serverWorkPerRun, type ServerWorkPerRun } from './lib/server-work.js';
import { runIfMain } from './lib/standalone.js';

const HOUR_MS = 3_600_000;
const HEADROOM = 1.15;
const MARGIN_MS = 3000;

interface HerdRun {
  readonly tasks: number;
  readonly scheduledPerSecond: number;
  /** How long before the due instant the last task was accepted (negative: after it). */
  readonly lastAcceptedBeforeDueMs: number;
  readonly lastCallbackAfterDueMs: number;
  readonly lateness: LatencySummary;
  readonly drainPerSecond: number;
  readonly missing: number;
  /** Callbacks that arrived more than once for the same task. */
  readonly duplicates: number;
  readonly errors: number;
  /** The server's own counts of what it did per run while the herd drained (see lib/server-work.ts). */
  readonly serverWork: ServerWorkPerRun;
  /** CPU seconds per process while the herd was scheduled and while it drained. */
  readonly cpuSeconds: {
    readonly scheduling: Record<string, number>;
    readonly draining: Record<string, number>;
  };
}

async function herdOn(options: BenchOptions, side: SideName, workers: number): Promise<HerdRun> {
  const tasks = options.herd.tasks;
  const stack = await startStack({ sides: [side], connections: options.concurrency, workers });
  try {
    await warmUp(stack, 'instant');
    const target = stack.side(side);
    const calibration = await closedLoop({
      concurrency: options.concurrency,
      count: Math.max(100, Math.round(tasks / 20)),
      operation: () => target.schedule({ dueAtMs: Date.now() + HOUR_MS, kind: 'instant' }),
    });
    const dueAtMs = Math.round(Date.now() + (tasks / calibration.perSecond) * 1000 * HEADROOM + MARGIN_MS);
    const ids: string[] = [];
    const cpuBefore = stack.cpuSeconds();
    const run = await closedLoop({
      concurrency: options.concurrency,
      count: tasks,
      operation: async () => {
        ids.push(await target.schedule({ dueAtMs, kind: 'instant' }));
      },
    });
    const lastAcceptedBeforeDueMs = dueAtMs - Date.now();
    const cpuScheduled = stack.cpuSeconds();
    console.log(
      `  ${side}: ${ids.length} tasks in at ${run.perSecond.toFixed(0)}/s, ${formatMs(lastAcceptedBeforeDueMs)} before they are due`,
    );
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, dueAtMs - Date.now())));
    const cpuDue = stack.cpuSeconds();
    const countersDue = await readServerCounters(stack.server.metricsUrl);
    const missing = await stack.receiver.waitFor(ids, Math.max(120_000, tasks * 60));
    const cpuDrained = stack.cpuSeconds();
    const serverWork = serverWorkPerRun(
      countersDue,
      await readServerCounters(stack.server.metricsUrl),
      ids.length,
    );
    const lateness = createLatencyRecorder();
    let last = 0;
    for (const id of ids) {
      const arrivedAt = stack.receiver.arrivals.get(id);
      if (arrivedAt === undefined) continue;
      lateness.record(arrivedAt - dueAtMs);
      last = Math.max(last, arrivedAt - dueAtMs);
    }
    const summary = lateness.summary();
    console.log(
      `  ${side}: last callback ${formatMs(last)} after the due instant; ${formatSummary(summary)}`,
    );
    console.log(`  ${side}: CPU s while draining: ${JSON.stringify(cpuUsedBetween(cpuDue, cpuDrained))}`);
    console.log(
      `  ${side}: server work per run: ${serverWork.stateWrites} state writes, ` +
        `${serverWork.visibilityWrites} visibility writes, ${serverWork.internalTasks} internal tasks; ` +
        JSON.stringify(serverWork.detail),
    );
    return {
      tasks: ids.length,
      scheduledPerSecond: Math.round(run.perSecond),
      lastAcceptedBeforeDueMs: Math.round(lastAcceptedBeforeDueMs),
      lastCallbackAfterDueMs: Math.round(last),
      lateness: summary,
      drainPerSecond: Math.round((summary.count / last) * 1000),
      missing: missing.length,
      duplicates: stack.receiver.duplicates,
      errors: run.errors,
      serverWork,
      cpuSeconds: {
        scheduling: cpuUsedBetween(cpuBefore, cpuScheduled),
        draining: cpuUsedBetween(cpuDue, cpuDrained),
      },
    };
  } finally {
    await stack.stop();
  }
}

export async function thunderingHerd(options: BenchOptions): Promise<BenchResult> {
  const startedAt = new Date();
  const loadStart = loadAverage();
  console.log(
    `\n== 6. thundering herd (${options.herd.tasks} tasks due at the same instant; ` +
      `workers per side: ${options.herd.workers.join(', ')}) ==`,
  );
  const byWorkers: Record<string, Record<string, HerdRun>> = {};
  for (const workers of options.herd.workers) {
    const runs: Record<string, HerdRun> = {};
    for (const side of options.sides) {
      if (options.herd.workers.length > 1) console.log(`  ${side} with ${workers} worker(s):`);
      runs[side] = await herdOn(options, side, workers);
    }
    byWorkers[workers] = runs;
  }
  // The headline figures (and the summary table) are those of the first worker count.
  const bySide = byWorkers[options.herd.workers[0]!]!;
  const base = bySide.baseline!;
  console.log('');
  printTable(
    ['workers', 'side', 'last callback', '×baseline', 'p50', 'p99', 'drain/s', 'missing', 'twice'],
    Object.entries(byWorkers).flatMap(([workers, runs]) =>
      Object.entries(runs).map(([side, r]) => [
        workers,
        side,
        formatMs(r.lastCallbackAfterDueMs),
        `${ratio(r.lastCallbackAfterDueMs, runs.baseline!.lastCallbackAfterDueMs)}×`,
        formatMs(r.lateness.p50Ms),
        formatMs(r.lateness.p99Ms),
        String(r.drainPerSecond),
        String(r.missing),
        String(r.duplicates),
      ]),
    ),
  );
  const result: BenchResult = {
    name: 'herd',
    title: 'Thundering herd: time from the due instant to the last callback',
    startedAt: startedAt.toISOString(),
    durationS: Math.round((Date.now() - startedAt.getTime()) / 1000),
    machine: machineInfo(),
    options: options.herd,
    loadAverage: { start: loadStart, end: loadAverage() },
    results: {
      server: options.server,
      bySide,
      byWorkers,
      ratios: {
        pulseToBaseline: ratio(bySide.pulse!.lastCallbackAfterDueMs, base.lastCallbackAfterDueMs),
        ...(bySide.direct
          ? { directToBaseline: ratio(bySide.direct.lastCallbackAfterDueMs, base.lastCallbackAfterDueMs) }
          : {}),
      },
    },
  };
  writeResult(result);
  return result;
}

runIfMain(import.meta.url, thunderingHerd);
