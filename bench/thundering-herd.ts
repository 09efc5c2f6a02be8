/**
 * Benchmark 6, thundering herd: N sleeping tasks all due at the same instant, per side on a fresh server.
 * Scheduling them takes a while, and so does each task's first workflow task, which sets its timer: the instant is
 * chosen from a first measured burst, far enough ahead that every task is accepted *and sleeping* before it (a task
 * whose first workflow task comes after its due time runs without a timer, and the herd would measure a start
 * storm instead). Reports the time from that instant to the last callback, the lateness spread, and how many tasks
 * were sleeping at the instant (the user timers that fired, per task: 1 for a true herd).
 *
 * `--herd-workers=1,2,4` runs the herd once per count, each side with that many worker processes on its task
 * queue: how the drain scales with workers, and (with `--server=cluster`) whether the worker, the server or the
 * database bounds it (their CPU seconds while draining are in the result).
 */
import proto from '@temporalio/proto';
import { closedLoop } from './lib/load.js';
import { createLatencyRecorder, formatSummary, type LatencySummary } from './lib/histogram.js';
import { machineInfo } from './lib/machine.js';
import type { BenchOptions, SideName } from './lib/options.js';
import { loadAverage } from './lib/proc.js';
import { formatMs, printTable, ratio, writeResult, type BenchResult } from './lib/report.js';
import { cpuUsedBetween, startStack, warmUp } from './lib/stack.js';
import {
  readServerCounters,
  serverWorkPerRun,
  type ServerCounters,
  type ServerWorkPerRun,
} from './lib/server-work.js';
import { runIfMain } from './lib/standalone.js';

const { temporal } = proto;

const HOUR_MS = 3_600_000;
const HEADROOM = 1.15;
const MARGIN_MS = 3000;
/** One per task once its first workflow task is done, i.e. once it sleeps on its timer (or has run). */
const WORKFLOW_TASKS_DONE = 'rpc:history:RespondWorkflowTaskCompleted';

async function workflowTasksDone(metricsUrl: string): Promise<number> {
  return (await readServerCounters(metricsUrl)).get(WORKFLOW_TASKS_DONE) ?? 0;
}

/** Waits until `count` more workflow tasks than `from` are done, or `deadlineMs`; resolves when, or undefined. */
async function settled(
  metricsUrl: string,
  from: number,
  count: number,
  deadlineMs: number,
): Promise<number | undefined> {
  for (;;) {
    if ((await workflowTasksDone(metricsUrl)) - from >= count) return Date.now();
    if (Date.now() >= deadlineMs) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface HerdRun {
  readonly tasks: number;
  readonly scheduledPerSecond: number;
  /** How long before the due instant the last task was accepted (negative: after it). */
  readonly lastAcceptedBeforeDueMs: number;
  /** How long before the due instant every task was sleeping (null: not all of them were by then). */
  readonly sleepingBeforeDueMs: number | null;
  /** User timers that fired while draining, per task: the share of the herd that was sleeping when due. */
  readonly sleepingAtDue: number;
  readonly lastCallbackAfterDueMs: number;
  /** From the due instant until every workflow of the herd had closed (after its callback); null: not all did. */
  readonly allClosedAfterDueMs: number | null;
  readonly lateness: LatencySummary;
  readonly drainPerSecond: number;
  readonly missing: number;
  /** Callbacks that arrived more than once for the same task. */
  readonly duplicates: number;
  readonly errors: number;
  /** The server's own counts of what it did per run while the herd drained (see lib/server-work.ts). */
  readonly serverWork: ServerWorkPerRun;
  /** With `BENCH_HERD_HISTORIES=N`: the events of N of the herd's histories, by type, per run. */
  readonly eventsPerRun?: Record<string, number>;
  /** CPU seconds per process while the herd was scheduled and while it drained. */
  readonly cpuSeconds: {
    readonly scheduling: Record<string, number>;
    readonly draining: Record<string, number>;
    /** From the due instant until every workflow had closed. */
    readonly untilClosed: Record<string, number>;
  };
}

/** When the server had closed `runs` workflows since `before` (its close tasks), or undefined by `deadline`. */
async function allClosed(
  metricsUrl: string,
  before: ServerCounters,
  runs: number,
  deadline: number,
): Promise<number | undefined> {
  const key = 'task:TransferActiveTaskCloseExecution';
  for (;;) {
    const closed = ((await readServerCounters(metricsUrl)).get(key) ?? 0) - (before.get(key) ?? 0);
    if (closed >= runs) return Date.now();
    if (Date.now() > deadline) return undefined;
    // Once a second: the server's metrics page is large, and reading it takes CPU from the herd.
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** How many of the herd's histories to read after it drained (0: none); for a look at what each run wrote. */
const HISTORY_SAMPLE = Number(process.env.BENCH_HERD_HISTORIES ?? 0);

/** The events of `count` histories spread over the herd, by type (workflow-task timeouts by kind), per history. */
async function sampleHistories(
  stack: Awaited<ReturnType<typeof startStack>>,
  ids: readonly string[],
  count: number,
): Promise<Record<string, number> | undefined> {
  if (count <= 0 || ids.length === 0) return undefined;
  const tally = new Map<string, number>();
  const step = Math.max(1, Math.floor(ids.length / count));
  let read = 0;
  for (let i = 0; i < ids.length && read < count; i += step, read++) {
    const history = await stack.client.workflow.getHandle(ids[i]!).fetchHistory();
    for (const event of history.events ?? []) {
      let type = temporal.api.enums.v1.EventType[event.eventType ?? 0]!.replace('EVENT_TYPE_', '');
      const timeout = event.workflowTaskTimedOutEventAttributes?.timeoutType;
      if (timeout) type += `:${temporal.api.enums.v1.TimeoutType[timeout]}`;
      tally.set(type, (tally.get(type) ?? 0) + 1);
    }
  }
  return Object.fromEntries([...tally].map(([type, n]) => [type, Math.round((n / read) * 100) / 100]));
}

async function herdOn(options: BenchOptions, side: SideName, workers: number): Promise<HerdRun> {
  const tasks = options.herd.tasks;
  const stack = await startStack({ sides: [side], connections: options.concurrency, workers });
  try {
    await warmUp(stack, 'instant');
    const target = stack.side(side);
    // The first burst sets the pace: how fast tasks are accepted, and how fast they go to sleep on their timers.
    const metricsUrl = stack.server.metricsUrl;
    const calibrationCount = Math.max(100, Math.round(tasks / 20));
    const calibrationStart = Date.now();
    const calibrationDone = await workflowTasksDone(metricsUrl);
    const calibration = await closedLoop({
      concurrency: options.concurrency,
      count: calibrationCount,
      operation: () => target.schedule({ dueAtMs: Date.now() + HOUR_MS, kind: 'instant' }),
    });
    const calibrationSettled = await settled(
      metricsUrl,
      calibrationDone,
      calibrationCount,
      Date.now() + 600_000,
    );
    if (calibrationSettled === undefined) throw new Error(`${side}: the first burst never went to sleep`);
    const sleepingPerSecond = calibrationCount / ((calibrationSettled - calibrationStart) / 1000);
    const pace = Math.min(calibration.perSecond, sleepingPerSecond);
    const dueAtMs = Math.round(Date.now() + (tasks / pace) * 1000 * HEADROOM + MARGIN_MS);
    const ids: string[] = [];
    const cpuBefore = stack.cpuSeconds();
    const herdDone = await workflowTasksDone(metricsUrl);
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
      `  ${side}: ${ids.length} tasks in at ${run.perSecond.toFixed(0)}/s, ${formatMs(lastAcceptedBeforeDueMs)} before they are due ` +
        `(${new Date(dueAtMs).toISOString()})`,
    );
    const allSleeping = await settled(metricsUrl, herdDone, tasks, dueAtMs);
    const sleepingBeforeDueMs = allSleeping === undefined ? null : dueAtMs - allSleeping;
    console.log(
      `  ${side}: ` +
        (sleepingBeforeDueMs === null
          ? 'NOT all sleeping at the due instant'
          : `all sleeping ${formatMs(sleepingBeforeDueMs)} before they are due`) +
        ` (paced at ${pace.toFixed(0)}/s: accepted ${calibration.perSecond.toFixed(0)}/s, asleep ${sleepingPerSecond.toFixed(0)}/s)`,
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
    // A run's callback goes out before its workflow closes (the close is the workflow task after the run): the herd
    // is done once every workflow has closed too, and what the server and workers did until then counts.
    const closedAt = await allClosed(
      metricsUrl,
      countersDue,
      ids.length,
      Date.now() + Math.max(120_000, tasks * 30),
    );
    const cpuClosed = stack.cpuSeconds();
    const eventsPerRun = await sampleHistories(stack, ids, HISTORY_SAMPLE);
    if (eventsPerRun)
      console.log(`  ${side}: events per run (${HISTORY_SAMPLE} histories): ${JSON.stringify(eventsPerRun)}`);
    const lateness = createLatencyRecorder();
    let last = 0;
    for (const id of ids) {
      const arrivedAt = stack.receiver.arrivals.get(id);
      if (arrivedAt === undefined) continue;
      lateness.record(arrivedAt - dueAtMs);
      last = Math.max(last, arrivedAt - dueAtMs);
    }
    const summary = lateness.summary();
    const sleepingAtDue = serverWork.detail['task:TimerActiveTaskUserTimer'] ?? 0;
    console.log(
      `  ${side}: last callback ${formatMs(last)} after the due instant; ${formatSummary(summary)}`,
    );
    console.log(`  ${side}: CPU s while draining: ${JSON.stringify(cpuUsedBetween(cpuDue, cpuDrained))}`);
    const allClosedAfterDueMs = closedAt === undefined ? null : Math.max(0, Math.round(closedAt - dueAtMs));
    console.log(
      `  ${side}: ` +
        (allClosedAfterDueMs === null
          ? 'NOT all closed'
          : `all closed ${formatMs(allClosedAfterDueMs)} after the due instant`) +
        `; CPU s until then: ${JSON.stringify(cpuUsedBetween(cpuDue, cpuClosed))}`,
    );
    console.log(
      `  ${side}: server work per run: ${serverWork.stateWrites} state writes, ` +
        `${serverWork.visibilityWrites} visibility writes, ${serverWork.internalTasks} internal tasks; ` +
        JSON.stringify(serverWork.detail),
    );
    return {
      tasks: ids.length,
      scheduledPerSecond: Math.round(run.perSecond),
      lastAcceptedBeforeDueMs: Math.round(lastAcceptedBeforeDueMs),
      sleepingBeforeDueMs: sleepingBeforeDueMs === null ? null : Math.round(sleepingBeforeDueMs),
      sleepingAtDue,
      lastCallbackAfterDueMs: Math.round(last),
      allClosedAfterDueMs,
      lateness: summary,
      drainPerSecond: Math.round((summary.count / last) * 1000),
      missing: missing.length,
      duplicates: stack.receiver.duplicates,
      errors: run.errors,
      serverWork,
      ...(eventsPerRun ? { eventsPerRun } : {}),
      cpuSeconds: {
        scheduling: cpuUsedBetween(cpuBefore, cpuScheduled),
        draining: cpuUsedBetween(cpuDue, cpuDrained),
        untilClosed: cpuUsedBetween(cpuDue, cpuClosed),
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
    [
      'workers',
      'side',
      'last callback',
      '×baseline',
      'all closed',
      'p50',
      'p99',
      'drain/s',
      'asleep',
      'missing',
      'twice',
    ],
    Object.entries(byWorkers).flatMap(([workers, runs]) =>
      Object.entries(runs).map(([side, r]) => [
        workers,
        side,
        formatMs(r.lastCallbackAfterDueMs),
        `${ratio(r.lastCallbackAfterDueMs, runs.baseline!.lastCallbackAfterDueMs)}×`,
        r.allClosedAfterDueMs === null ? 'not all' : formatMs(r.allClosedAfterDueMs),
        formatMs(r.lateness.p50Ms),
        formatMs(r.lateness.p99Ms),
        String(r.drainPerSecond),
        r.sleepingAtDue.toFixed(2),
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
