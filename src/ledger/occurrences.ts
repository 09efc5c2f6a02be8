/**
 * The occurrence ledger's rules: what became of every time a task was due. Pure (no Temporal calls), so
 * `test/ledger.test.ts` checks each outcome as a table; `ledger-service.ts` gathers the facts from Temporal.
 *
 * For a recurring task the facts are the schedule's matching times (Temporal's own `ListScheduleMatchingTimes`, so
 * DST and jitter agree with what fires), the runs the schedule started (each names its nominal time in
 * `TemporalScheduledStartTime`), the pause periods Pulse recorded (`pause-periods.ts`) and the schedule's policy.
 * A matching time with a run is that run's outcome; one without is explained, in this order, by a cancel, a pause,
 * a run still going under the overlap policy, or the catch-up window having closed while no run could start.
 */
import type { RunRecord } from '../shared/task-types.js';
import type { PausePeriod } from './pause-periods.js';

export type OccurrenceStatus =
  | 'upcoming'
  | 'due'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'missed'
  | 'held'
  | 'paused'
  | 'cancelled';

export const OCCURRENCE_STATUSES: readonly OccurrenceStatus[] = [
  'upcoming',
  'due',
  'running',
  'succeeded',
  'failed',
  'skipped',
  'missed',
  'held',
  'paused',
  'cancelled',
];

/** A run of a task as visibility lists it: its workflow, and its record once it ended. */
export interface LedgerRun {
  readonly workflowId: string;
  readonly runId: string;
  /** The time the run was for: `TemporalScheduledStartTime` (runs of a schedule) or `PulseDueAt`. */
  readonly nominalMs: number;
  readonly startedMs: number;
  /** When the workflow closed; undefined while it runs. */
  readonly closedMs?: number;
  /** The workflow's execution status: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT… */
  readonly execution: string;
  /** The run as the workflow recorded it in its memo (absent until the run ends). */
  readonly record?: RunRecord;
}

export interface RecurringPolicy {
  readonly overlap: 'skip' | 'buffer_one' | 'buffer_all' | 'allow_all' | 'cancel_other' | 'terminate_other';
  /** Temporal's catch-up window (its default is a year). */
  readonly catchupWindowMs: number;
  readonly jitterMs: number;
}

/** Everything known about one recurring task, for a window. */
export interface RecurringFacts {
  /** The schedule's matching times in the window, ascending. */
  readonly matchingTimesMs: readonly number[];
  /** Runs the schedule started (scheduled and triggered), any order; runs from a little before the window too. */
  readonly runs: readonly LedgerRun[];
  readonly pausePeriods: readonly PausePeriod[];
  readonly policy: RecurringPolicy;
  readonly createdMs: number;
  /** The schedule is paused now; with no open recorded period, it was paused outside the API. */
  readonly pausedNow: boolean;
  readonly pauseNote?: string;
  /** Actions still allowed for a schedule limited by `times`; Infinity when unlimited. */
  readonly remainingActions: number;
  readonly fromMs: number;
  readonly toMs: number;
  readonly nowMs: number;
  /**
   * When Temporal's scheduler for this schedule ran (the clocks of its completed workflow tasks), ascending: a time
   * it only got to later than the catch-up window allows was missed, whatever else was going on. Absent: not read
   * (the service reads it only when some past time has no run).
   */
  readonly schedulerEventsMs?: readonly number[];
}

/** Whether a past time without a run needs the scheduler's history to be explained. */
export function needsSchedulerHistory(occurrences: readonly Occurrence[], nowMs: number): boolean {
  return occurrences.some(
    (o) => !o.run && o.atMs < nowMs - START_GRACE_MS && (o.status === 'skipped' || o.status === 'missed'),
  );
}

/** The scheduler's first run at or after `atMs`: when Temporal got to that time. */
function wokeAt(events: readonly number[] | undefined, atMs: number): number | undefined {
  if (!events || events.length === 0) return undefined;
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (events[mid]! < atMs) lo = mid + 1;
    else hi = mid;
  }
  return events[lo];
}

export interface Occurrence {
  /** The time it was (or is) due. */
  readonly atMs: number;
  readonly status: OccurrenceStatus;
  readonly reason: string;
  /** The run that happened for it (or, for `skipped`, the run that was still going). */
  readonly run?: LedgerRun;
  /** The run that blocked it (skipped occurrences): the same as `run`'s role, named apart for clarity. */
  readonly blockedBy?: LedgerRun;
  /** A run started outside the spec: `trigger`, or the first run of a task due at once. */
  readonly manual?: boolean;
}

/** How long after a due time a run may take to show up before the time counts as unexplained. */
export const START_GRACE_MS = 15_000;
/** Temporal's nominal times are whole seconds; a matching time and its run's nominal time may differ by that. */
const NOMINAL_SLACK_MS = 1000;

const iso = (ms: number) => new Date(ms).toISOString();

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m} min`;
  const h = Math.round(m / 60);
  return h < 72 ? `${h} h` : `${Math.round(h / 24)} d`;
}

/** A run's outcome as an occurrence status. */
export function runStatus(run: LedgerRun): OccurrenceStatus {
  if (run.record) {
    if (run.record.status === 'success') return 'succeeded';
    if (run.record.status === 'held') return 'held';
    return run.record.status === 'failed' ? 'failed' : 'cancelled';
  }
  switch (run.execution) {
    case 'RUNNING':
      return 'running';
    case 'COMPLETED':
      return 'succeeded';
    case 'CANCELLED':
    case 'TERMINATED':
      return 'cancelled';
    default:
      return 'failed';
  }
}

function runReason(run: LedgerRun, atMs: number, manual: boolean): string {
  const status = runStatus(run);
  const late = run.startedMs - atMs;
  const lateNote =
    !manual && late > START_GRACE_MS
      ? `; started ${formatDuration(late)} late (Temporal caught up after being unavailable)`
      : '';
  const origin = manual ? 'started by hand (trigger, or the first run of a task due at once)' : '';
  const callback = run.record?.callback;
  const retrying =
    callback?.status === 'retrying'
      ? `; its callback is being retried (first attempt: ${callback.error})`
      : '';
  switch (status) {
    case 'running':
      return `running since ${iso(run.startedMs)}${origin ? `; ${origin}` : ''}`;
    case 'succeeded':
      return `ran and succeeded${origin ? `; ${origin}` : ''}${lateNote}${retrying}`;
    case 'failed':
      return `ran and failed: ${run.record?.error ?? `the workflow ended ${run.execution.toLowerCase()}`}${lateNote}${retrying}`;
    case 'held':
      return `not run: ${run.record?.heldReason ?? 'held by its budget'}`;
    default:
      return run.record?.error
        ? `cancelled: ${run.record.error}`
        : `the run was cancelled (workflow ${run.execution.toLowerCase()})`;
  }
}

/** The recorded period covering `ms`, if any (a period's end is exclusive). */
function periodAt(periods: readonly PausePeriod[], ms: number): PausePeriod | undefined {
  return periods.find((p) => Date.parse(p.from) <= ms && (p.to === undefined || ms < Date.parse(p.to)));
}

/**
 * The periods plus, when the schedule is paused now with no open recorded period, one paused outside the API
 * (`temporal schedule toggle`, the Web UI): Temporal does not say since when, so it is taken to start after the
 * last thing known to have happened (the last run's time, the end of the last recorded period, the creation).
 */
function effectivePeriods(facts: RecurringFacts): PausePeriod[] {
  const periods = [...facts.pausePeriods];
  const last = periods[periods.length - 1];
  if (facts.pausedNow && (!last || last.to !== undefined)) {
    const known = [
      facts.createdMs,
      ...facts.runs.map((r) => r.nominalMs + NOMINAL_SLACK_MS),
      ...periods.map((p) => Date.parse(p.to ?? p.from)),
    ];
    periods.push({ kind: 'paused', from: iso(Math.max(...known)), outside: true });
  }
  return periods;
}

function pausedReason(period: PausePeriod, note: string | undefined): string {
  if (period.outside) {
    return `the schedule is paused${note ? ` ("${note}")` : ''} outside Pulse's API (Temporal CLI or Web UI); when it was paused is not recorded, so every time since the last known run counts as paused`;
  }
  return period.to
    ? `the task was paused from ${period.from} to ${period.to}`
    : `the task is paused since ${period.from}`;
}

/**
 * The pause that began after `atMs` but before the time had a run (before `untilMs`, the next run's start or now,
 * and within the catch-up window, in which Temporal could still have started it): asked for before the scheduler
 * got to the time.
 */
function pausedBeforeTaken(
  periods: readonly PausePeriod[],
  atMs: number,
  untilMs: number,
  catchupWindowMs: number,
): PausePeriod | undefined {
  return periods.find((p) => {
    if (p.kind !== 'paused' || p.outside) return false;
    const from = Date.parse(p.from);
    return from > atMs && from < untilMs && from - atMs < catchupWindowMs;
  });
}

/** The run that was still going at `atMs` (started for an earlier time, not closed by then). */
function runGoingAt(runs: readonly LedgerRun[], atMs: number): LedgerRun | undefined {
  return runs.find(
    (r) => r.nominalMs < atMs - NOMINAL_SLACK_MS && (r.closedMs === undefined || r.closedMs > atMs),
  );
}

/** Every occurrence of a recurring task in [fromMs, toMs], in time order. */
export function recurringOccurrences(facts: RecurringFacts): Occurrence[] {
  const { nowMs, policy } = facts;
  const periods = effectivePeriods(facts);
  const runs = [...facts.runs].sort((a, b) => a.nominalMs - b.nominalMs);
  const claimed = new Set<LedgerRun>();
  const out: Occurrence[] = [];
  const lastScheduledNominal = Math.max(-Infinity, ...runs.map((r) => r.nominalMs));
  let upcomingLeft = facts.remainingActions;

  for (const atMs of facts.matchingTimesMs) {
    if (atMs < facts.createdMs - NOMINAL_SLACK_MS) continue;
    // A jittered matching time is later than its run's nominal time by up to the jitter.
    const run = runs.find(
      (r) =>
        !claimed.has(r) &&
        r.nominalMs >= atMs - policy.jitterMs - NOMINAL_SLACK_MS &&
        r.nominalMs <= atMs + NOMINAL_SLACK_MS,
    );
    if (run) {
      claimed.add(run);
      out.push({ atMs, status: runStatus(run), reason: runReason(run, atMs, false), run });
      continue;
    }
    // The slack above lets a run whose time is a moment before the schedule's recorded creation match; without a
    // run, such a time is one the scheduler never takes (it starts from its creation).
    if (atMs < facts.createdMs) continue;
    const period = periodAt(periods, atMs);
    if (period?.kind === 'cancelled') continue;
    if (atMs > nowMs) {
      if (upcomingLeft <= 0) continue;
      upcomingLeft--;
      if (period) {
        out.push({
          atMs,
          status: 'paused',
          reason: `${pausedReason(period, facts.pauseNote)}; this time will pass without a run unless the task is resumed first`,
        });
      } else {
        out.push({ atMs, status: 'upcoming', reason: 'scheduled' });
      }
      continue;
    }
    // A limited schedule that used up its runs has no more occurrences.
    if (facts.remainingActions <= 0 && atMs > lastScheduledNominal) continue;
    if (period) {
      out.push({ atMs, status: 'paused', reason: pausedReason(period, facts.pauseNote) });
      continue;
    }
    // Temporal drops a time it gets to later than the catch-up window before it looks at overlap.
    const woke = wokeAt(facts.schedulerEventsMs, atMs);
    if (woke !== undefined && woke - atMs > policy.catchupWindowMs) {
      out.push({
        atMs,
        status: 'missed',
        reason: `missed: Temporal's scheduler did not get to this time until ${iso(woke)}, ${formatDuration(woke - atMs)} later (Temporal or Pulse was down), past the catch-up window of ${formatDuration(policy.catchupWindowMs)}`,
      });
      continue;
    }
    const going = runGoingAt(runs, atMs);
    if (going && policy.overlap === 'skip') {
      out.push({
        atMs,
        status: 'skipped',
        reason: `skipped: the run for ${iso(going.nominalMs)} (workflow ${going.workflowId}, started ${iso(going.startedMs)}) was still running, and the overlap policy is skip`,
        blockedBy: going,
      });
      continue;
    }
    if (going && policy.overlap === 'buffer_one') {
      const stillGoing = going.closedMs === undefined;
      out.push({
        atMs,
        status: stillGoing ? 'due' : 'skipped',
        reason: stillGoing
          ? `buffered: waits for the run for ${iso(going.nominalMs)} (workflow ${going.workflowId}) to finish (overlap policy buffer_one)`
          : `skipped: the run for ${iso(going.nominalMs)} (workflow ${going.workflowId}) was still running and another start was already buffered (overlap policy buffer_one)`,
        blockedBy: going,
      });
      continue;
    }
    if (going && policy.overlap === 'buffer_all') {
      // Every buffered start runs in turn; its run, once started, is matched to this time above.
      out.push({
        atMs,
        status: 'due',
        reason: `buffered: runs after the run for ${iso(going.nominalMs)} (workflow ${going.workflowId}) and any started before it (overlap policy buffer_all)`,
        blockedBy: going,
      });
      continue;
    }
    const nextStart = runs.find((r) => r.startedMs > atMs)?.startedMs;
    // Temporal's scheduler takes a time a moment after it (a second or so on the dev server); a pause that lands
    // in between leaves the time without a run, and a paused schedule does not take it afterwards.
    const pausedFirst = pausedBeforeTaken(periods, atMs, nextStart ?? nowMs, policy.catchupWindowMs);
    if (pausedFirst) {
      out.push({
        atMs,
        status: 'paused',
        reason: `${pausedReason(pausedFirst, facts.pauseNote)}; the pause began ${formatDuration(Date.parse(pausedFirst.from) - atMs)} after this time, before Temporal's scheduler had started its run`,
      });
      continue;
    }
    if (nowMs - atMs < START_GRACE_MS) {
      out.push({ atMs, status: 'due', reason: 'due now; the run is starting' });
      continue;
    }
    const back = nextStart !== undefined ? `the next run started at ${iso(nextStart)}, ` : '';
    if (nextStart === undefined && nowMs - atMs < policy.catchupWindowMs) {
      out.push({
        atMs,
        status: 'due',
        reason: `no run has started yet; Temporal may still start it until its catch-up window (${formatDuration(policy.catchupWindowMs)}) closes at ${iso(atMs + policy.catchupWindowMs)}`,
      });
      continue;
    }
    out.push({
      atMs,
      status: 'missed',
      reason: `missed: no run started for this time; Temporal could not start runs then (it or Pulse was down), ${back}and by then the catch-up window of ${formatDuration(policy.catchupWindowMs)} had closed`,
    });
  }

  // Runs at no matching time: triggered by hand, or the first run of a task that was due at once.
  for (const run of runs) {
    if (claimed.has(run) || run.nominalMs < facts.fromMs || run.nominalMs > facts.toMs) continue;
    out.push({
      atMs: run.nominalMs,
      status: runStatus(run),
      reason: runReason(run, run.nominalMs, true),
      run,
      manual: true,
    });
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

/** What a one-time task's workflow shows in visibility. */
export interface OnceFacts {
  readonly dueAtMs: number;
  readonly execution: string;
  /** `PulseStatus` as the workflow last wrote it. */
  readonly reported?: string;
  readonly startedMs: number;
  readonly closedMs?: number;
  readonly run?: LedgerRun;
  readonly nowMs: number;
}

/** The single occurrence of a one-time task. */
export function onceOccurrence(facts: OnceFacts): Occurrence {
  const { dueAtMs: atMs, run } = facts;
  if (run?.record) return { atMs, status: runStatus(run), reason: runReason(run, atMs, false), run };
  if (facts.execution === 'RUNNING') {
    if (facts.reported === 'paused') {
      return {
        atMs,
        status: 'paused',
        reason:
          atMs > facts.nowMs
            ? 'the task is paused; it will not run at this time unless it is resumed first'
            : 'the task is paused; it was due then and runs when resumed',
      };
    }
    if (atMs > facts.nowMs) return { atMs, status: 'upcoming', reason: 'scheduled' };
    if (facts.reported === 'processing' || facts.nowMs - atMs >= START_GRACE_MS) {
      return {
        atMs,
        status: 'running',
        reason: 'running (or waiting for a worker to run it)',
        ...(run ? { run } : {}),
      };
    }
    return { atMs, status: 'due', reason: 'due now; the run is starting' };
  }
  if (facts.execution === 'CANCELLED' || facts.execution === 'TERMINATED') {
    const when = facts.closedMs !== undefined ? ` at ${iso(facts.closedMs)}` : '';
    return {
      atMs,
      status: 'cancelled',
      reason:
        facts.closedMs !== undefined && facts.closedMs < atMs
          ? `cancelled${when}, before it was due`
          : `cancelled${when} before its run started`,
    };
  }
  if (facts.execution === 'COMPLETED') return { atMs, status: 'succeeded', reason: 'ran and succeeded' };
  return {
    atMs,
    status: 'failed',
    reason: `the task's workflow ended ${facts.execution.toLowerCase()} without a recorded run`,
  };
}
