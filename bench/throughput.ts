/**
 * Benchmark 2, scheduling throughput: tasks accepted per second with `concurrency` requests in flight, through
 * `POST /tasks/schedule` and through `client.workflow.start`. The sides take turns in short rounds, so a burst
 * of other load on the machine falls on all of them alike. The tasks sleep for an hour and never fire.
 */
import { createLatencyRecorder, formatSummary } from './lib/histogram.js';
import { closedLoop } from './lib/load.js';
import { machineInfo } from './lib/machine.js';
import type { BenchOptions } from './lib/options.js';
import { loadAverage } from './lib/proc.js';
import { formatMs, printTable, ratio, writeResult, type BenchResult } from './lib/report.js';
import { startStack, warmUp } from './lib/stack.js';
import { sqliteSettingsFromEnv, type SqliteSettings } from './lib/bench-server.js';
import { runIfMain } from './lib/standalone.js';

const HOUR_MS = 3_600_000;
const THROUGHPUT_TARGET = 0.8;

export async function schedulingThroughput(options: BenchOptions): Promise<BenchResult> {
  const startedAt = new Date();
  const loadStart = loadAverage();
  const { roundMs, rounds } = options.throughput;
  console.log(`\n== 2. scheduling throughput (concurrency ${options.concurrency}) ==`);
  const stack = await startStack({ sides: options.throughput.sides, connections: options.concurrency });
  const totals = new Map(
    stack.sides.map((side) => [
      side.name,
      { accepted: 0, errors: 0, ms: 0, latency: createLatencyRecorder(), firstError: '' },
    ]),
  );
  try {
    await warmUp(stack, 'instant');
    const schedule = (side: (typeof stack.sides)[number]) => () =>
      side.schedule({ dueAtMs: Date.now() + HOUR_MS, kind: 'instant' });
    for (const side of stack.sides) {
      await closedLoop({ concurrency: options.concurrency, durationMs: 1000, operation: schedule(side) });
    }
    for (let round = 0; round < rounds; round++) {
      // Each round starts with a different side, so none always runs on the emptiest database.
      const order = stack.sides.map((_, i) => stack.sides[(i + round) % stack.sides.length]!);
      for (const side of order) {
        const run = await closedLoop({
          concurrency: options.concurrency,
          durationMs: roundMs,
          operation: schedule(side),
        });
        const total = totals.get(side.name)!;
        total.accepted += run.completed;
        total.errors += run.errors;
        total.ms += run.elapsedMs;
        for (const sample of run.latency.samples) total.latency.record(sample);
        if (run.firstError && !total.firstError) total.firstError = run.firstError;
        console.log(
          `  round ${round + 1} ${side.name}: ${run.perSecond.toFixed(0)} tasks/s (${run.completed} accepted, ${run.errors} errors)`,
        );
      }
    }
  } finally {
    await stack.stop();
  }
  const bySide = Object.fromEntries(
    [...totals].map(([side, t]) => [
      side,
      {
        accepted: t.accepted,
        errors: t.errors,
        perSecond: Math.round((t.accepted / t.ms) * 1000 * 10) / 10,
        requestLatency: t.latency.summary(),
        ...(t.firstError ? { firstError: t.firstError } : {}),
      },
    ]),
  );
  const base = bySide.baseline!.perSecond;
  const other = await otherSqliteSetting(options);
  console.log('');
  printTable(
    ['side', 'tasks/s', '×baseline', 'accepted', 'errors', 'request latency'],
    Object.entries(bySide).map(([side, s]) => [
      side,
      s.perSecond.toFixed(1),
      `${ratio(s.perSecond, base)}×`,
      String(s.accepted),
      String(s.errors),
      formatSummary(s.requestLatency),
    ]),
  );
  const pulseRatio = ratio(bySide.pulse!.perSecond, base);
  console.log(
    `  Pulse/baseline throughput: ${pulseRatio}× (target ≥ ${THROUGHPUT_TARGET}×); p99 request ${formatMs(bySide.pulse!.requestLatency.p99Ms)}`,
  );
  const result: BenchResult = {
    name: 'throughput',
    title: 'Scheduling throughput',
    startedAt: startedAt.toISOString(),
    durationS: Math.round((Date.now() - startedAt.getTime()) / 1000),
    machine: machineInfo(),
    options: { concurrency: options.concurrency, ...options.throughput },
    loadAverage: { start: loadStart, end: loadAverage() },
    results: {
      bySide,
      ratios: {
        pulseToBaseline: pulseRatio,
        ...(bySide.direct
          ? {
              directToBaseline: ratio(bySide.direct.perSecond, base),
              pulseToDirect: ratio(bySide.pulse!.perSecond, bySide.direct.perSecond),
            }
          : {}),
      },
      sqlite: sqliteSettingsFromEnv(),
      otherSqliteSetting: other,
    },
    targets: {
      'throughput ≥ 0.8× baseline': {
        met: pulseRatio >= THROUGHPUT_TARGET,
        value: pulseRatio,
        target: '≥ 0.8',
      },
    },
  };
  writeResult(result);
  return result;
}

/**
 * One short round per side against a server with the other SQLite setting (the CLI's default rollback journal
 * when the run uses what Pulse ships), to show how much of the throughput is the database's.
 */
async function otherSqliteSetting(options: BenchOptions) {
  const sqlite: SqliteSettings = sqliteSettingsFromEnv() === 'shipped' ? 'cli-default' : 'shipped';
  const stack = await startStack({ sides: ['pulse', 'baseline'], sqlite, connections: options.concurrency });
  try {
    await warmUp(stack, 'instant');
    const perSecond: Record<string, number> = {};
    for (const side of stack.sides) {
      const run = await closedLoop({
        concurrency: options.concurrency,
        durationMs: options.throughput.roundMs,
        operation: () => side.schedule({ dueAtMs: Date.now() + HOUR_MS, kind: 'instant' }),
      });
      perSecond[side.name] = Math.round(run.perSecond * 10) / 10;
      console.log(`  ${sqlite} SQLite, ${side.name}: ${run.perSecond.toFixed(0)} tasks/s`);
    }
    return { sqlite, perSecond, pulseToBaseline: ratio(perSecond.pulse!, perSecond.baseline!) };
  } finally {
    await stack.stop();
  }
}

runIfMain(import.meta.url, schedulingThroughput);
