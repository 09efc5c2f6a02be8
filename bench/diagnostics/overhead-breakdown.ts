/**
 * Diagnostic (not part of `npm run bench`): where do the milliseconds between the due instant and the callback go?
 * Runs the overhead benchmark's tasks (instant executor, one every 300 ms per side, interleaved), then reads each
 * workflow's history and prints, per side, the median time between consecutive history events (and from the due
 * instant to the timer, and from the last event to the callback's arrival at the receiver).
 *
 *   npx tsx bench/diagnostics/overhead-breakdown.ts [--runs=60] [--spacing-ms=300] [--sides=pulse,baseline] [--jitter] [--kind=instant|http]
 */
import { tsToMs } from '@temporalio/common';
import proto from '@temporalio/proto';
import { writeFileSync } from 'node:fs';
import { atPlannedTimes } from '../lib/load.js';
import type { SideName } from '../lib/options.js';
import { preciseNow } from '../lib/receiver.js';
import { startStack, warmUp, type TaskKind } from '../lib/stack.js';

const flag = (name: string, fallback: string): string =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const RUNS = Number(flag('runs', '60'));
const SIDES = flag('sides', 'pulse,baseline').split(',') as SideName[];
const SPACING_MS = Number(flag('spacing-ms', '300'));
const LEAD_MS = 2_000;
/** Due instants at random over the window (each side on its own) instead of on a fixed grid. */
const JITTER = process.argv.includes('--jitter');
/** `instant` (the overhead benchmark's tasks) or `http` (the lateness benchmark's GET to the receiver). */
const KIND = flag('kind', 'instant') as TaskKind;

const EventType = proto.temporal.api.enums.v1.EventType;
const shortName = (type: number): string =>
  (EventType[type] ?? String(type)).replace(/^EVENT_TYPE_/, '').toLowerCase();

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

const stack = await startStack({ sides: SIDES });
const due = new Map<string, { side: SideName; dueAtMs: number }>();
/** Side → step label (in order of first appearance) → durations in ms. */
const steps = new Map<SideName, Map<string, number[]>>();
/** Side → tenth of the second the task was due in → due → callback times. */
const byPhase = new Map<SideName, number[][]>();
const raw: unknown[] = [];
try {
  await warmUp(stack, KIND);
  const start = preciseNow() + LEAD_MS + 500;
  const plan = stack.sides.flatMap((side, i) =>
    Array.from({ length: RUNS }, (_, k) => ({
      side,
      dueAtMs: Math.round(
        JITTER
          ? start + Math.random() * RUNS * SPACING_MS
          : start + k * SPACING_MS + (i * SPACING_MS) / stack.sides.length,
      ),
    })),
  );
  await atPlannedTimes(
    plan,
    (item) => item.dueAtMs - LEAD_MS,
    async (item) => {
      const id = await item.side.schedule({ dueAtMs: item.dueAtMs, kind: KIND });
      due.set(id, { side: item.side.name, dueAtMs: item.dueAtMs });
    },
  );
  const missing = await stack.receiver.waitFor([...due.keys()], 60_000);
  if (missing.length > 0) console.warn(`${missing.length} callbacks never arrived`);
  // Let the workflows finish, so their histories are complete.
  await new Promise((resolve) => setTimeout(resolve, 2_000));

  for (const [id, { side, dueAtMs }] of due) {
    const history = await stack.client.workflow.getHandle(id).fetchHistory();
    const events = (history.events ?? []).map((event) => ({
      name: shortName(event.eventType ?? 0),
      atMs: tsToMs(event.eventTime),
    }));
    const timer = events.findIndex((event) => event.name === 'timer_fired');
    if (timer < 0) continue;
    const bySide = steps.get(side) ?? new Map<string, number[]>();
    steps.set(side, bySide);
    const add = (label: string, ms: number) => bySide.set(label, [...(bySide.get(label) ?? []), ms]);
    add('due → timer_fired', events[timer]!.atMs - dueAtMs);
    const seen = new Map<string, number>();
    for (let i = timer + 1; i < events.length; i++) {
      const base = `${events[i - 1]!.name} → ${events[i]!.name}`;
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      add(n > 1 ? `${base} (${n})` : base, events[i]!.atMs - events[i - 1]!.atMs);
    }
    const arrival = stack.receiver.arrivals.get(id);
    if (process.env.DUMP) raw.push({ side, dueAtMs, arrival, events });
    if (arrival !== undefined) {
      add('due → callback arrived', arrival - dueAtMs);
      const phases = byPhase.get(side) ?? Array.from({ length: 10 }, () => []);
      byPhase.set(side, phases);
      phases[Math.floor((dueAtMs % 1000) / 100)]!.push(arrival - dueAtMs);
    }
  }
} finally {
  await stack.stop();
}
if (process.env.DUMP) writeFileSync(process.env.DUMP, JSON.stringify(raw));

for (const [side, bySide] of steps) {
  console.log(`\n${side}: median per step over ${bySide.get('due → timer_fired')?.length ?? 0} runs`);
  let sum = 0;
  for (const [label, values] of bySide) {
    const m = median(values);
    if (label !== 'due → callback arrived') sum += m;
    console.log(`  ${label.padEnd(70)} ${m.toFixed(1).padStart(8)} ms`);
  }
  console.log(`  ${'sum of the step medians'.padEnd(70)} ${sum.toFixed(1).padStart(8)} ms`);
}

console.log('\nmedian due → callback by the tenth of the second the task was due in (0 = .0xx s):');
for (const [side, phases] of byPhase) {
  console.log(
    `  ${side.padEnd(9)} ${phases.map((values) => median(values).toFixed(0).padStart(5)).join(' ')}`,
  );
}
