/**
 * Benchmark 4, memory per sleeping task: for each side alone, on a fresh server, N tasks due in an hour; the
 * growth of the worker's RSS, the server's RSS (`temporal` process, /proc VmRSS) and the SQLite files, as
 * measured and scaled to 10,000 tasks. Measured once every task's workflow has started its timer and the
 * processes have settled. The sides run side by side, each against its own server.
 *
 * The worker keeps at most `maxCachedWorkflows` workflows in memory (the SDK's default, from the heap limit:
 * about 2,300 here) and evicts the rest, which then cost it nothing until their timer fires. So the worker's
 * growth is reported as measured, not scaled: past the cache size, it does not grow with the number of tasks.
 */
import type { Client } from '@temporalio/client';
import { closedLoop } from './lib/load.js';
import { machineInfo } from './lib/machine.js';
import type { BenchOptions, SideName } from './lib/options.js';
import { MIB, loadAverage } from './lib/proc.js';
import { printTable, ratio, writeResult, type BenchResult } from './lib/report.js';
import { startStack, warmUp, type Stack } from './lib/stack.js';
import { runIfMain } from './lib/standalone.js';

const HOUR_MS = 3_600_000;
const PER = 10_000;
const SETTLE_MS = 5000;
/** Started, workflow task scheduled/started/completed, timer started. */
const SLEEPING_HISTORY_LENGTH = 5;

interface Snapshot {
  readonly serverRss: number;
  readonly workerRss: number;
  readonly workerHeap: number;
  readonly apiRss: number;
  readonly dbBytes: number;
}

async function snapshot(stack: Stack, side: SideName): Promise<Snapshot> {
  const processes = stack.side(side).processes;
  const worker = processes[0]!;
  const api = processes[1];
  // VmRSS as the kernel sees it first; then the heap after a full GC, which says how much of it is live.
  const workerRss = worker.rssBytes();
  const { heapUsedBytes } = await worker.memory();
  return {
    serverRss: stack.server.rssBytes(),
    workerRss,
    workerHeap: heapUsedBytes,
    apiRss: api?.rssBytes() ?? 0,
    dbBytes: stack.server.dbBytes(),
  };
}

/** Waits until the last workflows started have reached their timer, i.e. the worker has caught up. */
async function waitUntilSleeping(client: Client, ids: readonly string[]): Promise<void> {
  const sample = [
    ...ids.slice(-20),
    ...Array.from({ length: 20 }, () => ids[Math.floor(Math.random() * ids.length)]!),
  ];
  const deadline = Date.now() + 300_000;
  let pending = sample;
  while (pending.length > 0 && Date.now() < deadline) {
    const lengths = await Promise.all(
      pending.map(async (id) => (await client.workflow.getHandle(id).describe()).historyLength),
    );
    pending = pending.filter((_, i) => lengths[i]! < SLEEPING_HISTORY_LENGTH);
    if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  if (pending.length > 0) console.warn(`  ${pending.length} sampled workflows had not reached their timer`);
}

async function measureSide(options: BenchOptions, side: SideName) {
  const tasks = options.memory.tasks;
  const stack = await startStack({ sides: [side], connections: options.concurrency });
  try {
    await warmUp(stack, 'instant');
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const before = await snapshot(stack, side);
    const ids: string[] = [];
    const run = await closedLoop({
      concurrency: options.concurrency,
      count: tasks,
      operation: async () => {
        ids.push(await stack.side(side).schedule({ dueAtMs: Date.now() + HOUR_MS, kind: 'instant' }));
      },
    });
    const scheduledAt = Date.now();
    await waitUntilSleeping(stack.client, ids);
    const caughtUpMs = Date.now() - scheduledAt;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const after = await snapshot(stack, side);
    const per = (key: keyof Snapshot) =>
      Math.round((((after[key] - before[key]) / ids.length) * PER) / 1024) * 1024;
    const perTenThousand = {
      workerRss: per('workerRss'),
      workerHeap: per('workerHeap'),
      serverRss: per('serverRss'),
      apiRss: per('apiRss'),
      dbBytes: per('dbBytes'),
    };
    console.log(
      `  ${side}: ${ids.length} sleeping tasks (${run.errors} errors, ${run.perSecond.toFixed(0)} scheduled/s; ` +
        `the worker caught up ${(caughtUpMs / 1000).toFixed(1)} s after the last was scheduled)`,
    );
    const growth = {
      workerRss: after.workerRss - before.workerRss,
      workerHeap: after.workerHeap - before.workerHeap,
      serverRss: after.serverRss - before.serverRss,
      apiRss: after.apiRss - before.apiRss,
      dbBytes: after.dbBytes - before.dbBytes,
    };
    const workerCache = stack.side(side).processes[0]!.info.maxCachedWorkflows as number;
    return {
      sleeping: ids.length,
      errors: run.errors,
      workerCache,
      caughtUpS: Math.round(caughtUpMs / 100) / 10,
      before,
      after,
      growth,
      perTenThousand,
    };
  } finally {
    await stack.stop();
  }
}

export async function memoryPerSleepingTask(options: BenchOptions): Promise<BenchResult> {
  const startedAt = new Date();
  const loadStart = loadAverage();
  console.log(
    `\n== 4. memory per sleeping task (${options.memory.tasks} tasks per side, reported per ${PER}) ==`,
  );
  // The sides run at the same time, each with its own server and worker: how fast tasks are scheduled does not
  // change how much memory a sleeping one takes, and this halves the wait.
  const measured = await Promise.all(options.sides.map((side) => measureSide(options, side)));
  const bySide = Object.fromEntries(options.sides.map((side, i) => [side, measured[i]!]));
  const mib = (bytes: number) => (bytes / MIB).toFixed(1);
  const base = bySide.baseline!;
  // The API holds nothing per task: its RSS moves by GC alone, in either direction.
  const apiGrowth = (bytes: number) => (Math.abs(bytes) < 32 * MIB ? '< 32 MiB' : `${mib(bytes)} MiB`);
  console.log('');
  printTable(
    [
      'side',
      'worker RSS (as measured)',
      'worker heap',
      'server RSS /10k',
      'DB /10k',
      'API RSS',
      'worker ×base',
      'server ×base',
      'DB ×base',
    ],
    Object.entries(bySide).map(([side, s]) => [
      side,
      `${mib(s.growth.workerRss)} MiB`,
      `${mib(s.growth.workerHeap)} MiB`,
      `${mib(s.perTenThousand.serverRss)} MiB`,
      `${mib(s.perTenThousand.dbBytes)} MiB`,
      side === 'baseline' ? '–' : apiGrowth(s.growth.apiRss),
      `${ratio(s.growth.workerRss, base.growth.workerRss)}×`,
      `${ratio(s.perTenThousand.serverRss, base.perTenThousand.serverRss)}×`,
      `${ratio(s.perTenThousand.dbBytes, base.perTenThousand.dbBytes)}×`,
    ]),
  );
  console.log(
    `  each worker keeps at most ${base.workerCache} workflows cached; RSS and heap are growth over the idle state`,
  );
  const pulse = bySide.pulse!;
  const result: BenchResult = {
    name: 'memory',
    title: `Memory per ${PER} sleeping tasks`,
    startedAt: startedAt.toISOString(),
    durationS: Math.round((Date.now() - startedAt.getTime()) / 1000),
    machine: machineInfo(),
    options: options.memory,
    loadAverage: { start: loadStart, end: loadAverage() },
    results: {
      unit: `bytes: growth as measured, and per ${PER} sleeping tasks`,
      bySide,
      ratios: {
        pulseToBaseline: {
          workerRss: ratio(pulse.growth.workerRss, base.growth.workerRss),
          serverRss: ratio(pulse.perTenThousand.serverRss, base.perTenThousand.serverRss),
          dbBytes: ratio(pulse.perTenThousand.dbBytes, base.perTenThousand.dbBytes),
        },
      },
    },
  };
  writeResult(result);
  return result;
}

runIfMain(import.meta.url, memoryPerSleepingTask);
