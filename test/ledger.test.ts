/** The ledger's rules as a table: each outcome of a recurring task's time, and of a one-time task. */
import { describe, expect, it } from 'vitest';
import {
  onceOccurrence,
  recurringOccurrences,
  type LedgerRun,
  type RecurringFacts,
} from '../src/ledger/occurrences.js';
import { withPauseEvent } from '../src/ledger/pause-periods.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const MIN = 60_000;
const at = (minutes: number) => T0 + minutes * MIN;
const isoAt = (minutes: number) => new Date(at(minutes)).toISOString();

function run(minute: number, opts: Partial<LedgerRun> & { ok?: boolean; error?: string } = {}): LedgerRun {
  const nominalMs = at(minute);
  const startedMs = opts.startedMs ?? nominalMs + 200;
  const closedMs = 'closedMs' in opts ? opts.closedMs : startedMs + 1000;
  const ok = opts.ok ?? true;
  return {
    workflowId: `task-${new Date(nominalMs).toISOString()}`,
    runId: `run-${minute}`,
    nominalMs,
    startedMs,
    ...(closedMs !== undefined ? { closedMs } : {}),
    execution: closedMs === undefined ? 'RUNNING' : ok ? 'COMPLETED' : 'FAILED',
    ...(closedMs !== undefined
      ? {
          record: {
            executionId: `exec-${minute}`,
            status: ok ? ('success' as const) : ('failed' as const),
            scheduledFor: new Date(nominalMs).toISOString(),
            startedAtMs: startedMs,
            finishedAtMs: closedMs,
            executionTimeMs: closedMs - startedMs,
            result: ok ? { ok: true } : null,
            ...(ok ? {} : { error: opts.error ?? 'boom' }),
          },
        }
      : {}),
  };
}

function facts(overrides: Partial<RecurringFacts>): RecurringFacts {
  return {
    matchingTimesMs: [0, 1, 2, 3, 4].map(at),
    runs: [],
    pausePeriods: [],
    policy: { overlap: 'skip', catchupWindowMs: 10_000, jitterMs: 0 },
    createdMs: at(-1),
    pausedNow: false,
    remainingActions: Infinity,
    fromMs: at(0),
    toMs: at(10),
    nowMs: at(2) + 30_000,
    ...overrides,
  };
}

const statuses = (f: RecurringFacts) => recurringOccurrences(f).map((o) => o.status);

describe('recurringOccurrences', () => {
  const cases: Array<[string, Partial<RecurringFacts>, string[], RegExp?]> = [
    [
      'runs that happened are succeeded or failed; later times upcoming',
      { runs: [run(0), run(1, { ok: false, error: 'agent said 500' }), run(2)] },
      ['succeeded', 'failed', 'succeeded', 'upcoming', 'upcoming'],
      /failed: agent said 500/,
    ],
    [
      'a time inside a recorded pause is paused, with the period',
      { runs: [run(0), run(2)], pausePeriods: [{ kind: 'paused', from: isoAt(0.5), to: isoAt(1.5) }] },
      ['succeeded', 'paused', 'succeeded', 'upcoming', 'upcoming'],
      /paused from 2026-03-01T00:00:30.000Z to 2026-03-01T00:01:30.000Z/,
    ],
    [
      'a time while the previous run was still going, overlap skip: skipped, naming that run',
      { runs: [run(0, { closedMs: at(1.5) }), run(2)] },
      ['succeeded', 'skipped', 'succeeded', 'upcoming', 'upcoming'],
      /run for 2026-03-01T00:00:00.000Z \(workflow task-2026-03-01T00:00:00.000Z.*overlap policy is skip/,
    ],
    [
      'a time with no run while Temporal was down past the catch-up window: missed',
      { runs: [run(0), run(2, { startedMs: at(2) + 200 })], nowMs: at(2) + 30_000 },
      ['succeeded', 'missed', 'succeeded', 'upcoming', 'upcoming'],
      /catch-up window of 10 s had closed/,
    ],
    [
      'a time the scheduler got to only after the catch-up window is missed, even with a run still going',
      {
        runs: [run(0, { closedMs: at(2.5) }), run(2, { startedMs: at(2) + 200 })],
        schedulerEventsMs: [at(0), at(0) + 100, at(1) + 45_000, at(2)],
      },
      ['succeeded', 'missed', 'succeeded', 'upcoming', 'upcoming'],
      /did not get to this time until 2026-03-01T00:01:45.000Z, 45 s later.*catch-up window of 10 s/,
    ],
    [
      'with the scheduler on time, a time behind a running run stays skipped',
      {
        runs: [run(0, { closedMs: at(1.5) }), run(2)],
        schedulerEventsMs: [at(0), at(1) + 20, at(2)],
      },
      ['succeeded', 'skipped', 'succeeded', 'upcoming', 'upcoming'],
    ],
    [
      'a pause that lands after a time but before the scheduler took it: that time is paused, saying so',
      {
        runs: [run(0), run(2)],
        pausePeriods: [{ kind: 'paused', from: new Date(at(1) + 56).toISOString(), to: isoAt(1.5) }],
      },
      ['succeeded', 'paused', 'succeeded', 'upcoming', 'upcoming'],
      /paused from 2026-03-01T00:01:00.056Z to 2026-03-01T00:01:30.000Z; the pause began 56 ms after this time, before Temporal's scheduler had started its run/,
    ],
    [
      'a pause that began only after the catch-up window does not explain a time without a run: missed',
      {
        runs: [run(0), run(2)],
        pausePeriods: [{ kind: 'paused', from: new Date(at(1) + 30_000).toISOString(), to: isoAt(1.8) }],
      },
      ['succeeded', 'missed', 'succeeded', 'upcoming', 'upcoming'],
    ],
    [
      'times after a cancel are no occurrences',
      { runs: [run(0)], pausePeriods: [{ kind: 'cancelled', from: isoAt(0.5) }], pausedNow: true },
      ['succeeded'],
    ],
    [
      'upcoming times while paused now are paused',
      {
        runs: [run(0), run(1), run(2)],
        pausePeriods: [{ kind: 'paused', from: isoAt(2.2) }],
        pausedNow: true,
      },
      ['succeeded', 'succeeded', 'succeeded', 'paused', 'paused'],
      /resumed first/,
    ],
    [
      'paused outside the API: every time since the last run is paused, with the note',
      { runs: [run(0)], pausedNow: true, pauseNote: 'toggled by ops' },
      ['succeeded', 'paused', 'paused', 'paused', 'paused'],
      /\("toggled by ops"\) outside Pulse.s API/,
    ],
    [
      'a run still going is running; the time after it is due within the start grace',
      { runs: [run(0), run(1), run(2, { closedMs: undefined })], nowMs: at(2) + 5000 },
      ['succeeded', 'succeeded', 'running', 'upcoming', 'upcoming'],
    ],
    [
      'a limited schedule stops after its runs',
      { runs: [run(0), run(1)], remainingActions: 0 },
      ['succeeded', 'succeeded'],
    ],
    [
      'upcoming times are limited by the actions left',
      { runs: [run(0), run(1), run(2)], remainingActions: 1 },
      ['succeeded', 'succeeded', 'succeeded', 'upcoming'],
    ],
    [
      'a run at no matching time (a trigger) is its own occurrence',
      { runs: [run(0), run(0.5), run(1), run(2)] },
      ['succeeded', 'succeeded', 'succeeded', 'succeeded', 'upcoming', 'upcoming'],
      /started by hand/,
    ],
    [
      'times before the task existed are not occurrences',
      { runs: [run(2)], createdMs: at(1.5) },
      ['succeeded', 'upcoming', 'upcoming'],
    ],
    [
      'a time less than a second before the task existed, with no run, is no occurrence (the schedule never takes it)',
      { runs: [run(2)], createdMs: at(1) + 400 },
      ['succeeded', 'upcoming', 'upcoming'],
    ],
    [
      'a jittered time matches the run of its nominal time',
      {
        matchingTimesMs: [at(0) + 20_000, at(1) + 5000],
        runs: [run(0), run(1)],
        policy: { overlap: 'skip', catchupWindowMs: 10_000, jitterMs: 30_000 },
      },
      ['succeeded', 'succeeded'],
    ],
    [
      'a late run after downtime within the catch-up window says so',
      { runs: [run(0), run(1, { startedMs: at(1) + 20_000 }), run(2)] },
      ['succeeded', 'succeeded', 'succeeded', 'upcoming', 'upcoming'],
      /started 20 s late/,
    ],
  ];

  it.each(cases)('%s', (_name, overrides, expected, reason) => {
    const f = facts(overrides);
    expect(statuses(f)).toEqual(expected);
    if (reason)
      expect(recurringOccurrences(f).map((o) => o.reason)).toContainEqual(expect.stringMatching(reason));
  });

  it('a skipped occurrence names the run that blocked it', () => {
    const blocking = run(0, { closedMs: at(1.5) });
    const skipped = recurringOccurrences(facts({ runs: [blocking, run(2)] }))[1]!;
    expect(skipped.blockedBy).toBe(blocking);
  });
});

describe('onceOccurrence', () => {
  const nowMs = at(10);
  const cases: Array<[string, Parameters<typeof onceOccurrence>[0], string, RegExp?]> = [
    [
      'sleeping',
      { dueAtMs: at(20), execution: 'RUNNING', reported: 'active', startedMs: at(0), nowMs },
      'upcoming',
    ],
    [
      'paused',
      { dueAtMs: at(20), execution: 'RUNNING', reported: 'paused', startedMs: at(0), nowMs },
      'paused',
      /paused/,
    ],
    [
      'ran',
      { dueAtMs: at(5), execution: 'COMPLETED', startedMs: at(0), closedMs: at(6), run: run(5), nowMs },
      'succeeded',
    ],
    [
      'failed',
      {
        dueAtMs: at(5),
        execution: 'FAILED',
        startedMs: at(0),
        run: run(5, { ok: false, error: 'HTTP 500' }),
        nowMs,
      },
      'failed',
      /HTTP 500/,
    ],
    [
      'cancelled before due',
      { dueAtMs: at(20), execution: 'CANCELLED', startedMs: at(0), closedMs: at(3), nowMs },
      'cancelled',
      /before it was due/,
    ],
    [
      'running',
      { dueAtMs: at(5), execution: 'RUNNING', reported: 'active', startedMs: at(0), nowMs },
      'running',
    ],
  ];
  it.each(cases)('%s', (_name, f, status, reason) => {
    const occurrence = onceOccurrence(f);
    expect(occurrence.status).toBe(status);
    if (reason) expect(occurrence.reason).toMatch(reason);
  });
});

describe('pause periods', () => {
  it('records pause, resume and cancel as periods', () => {
    let periods = withPauseEvent([], 'pause', new Date(at(1)));
    periods = withPauseEvent(periods, 'pause', new Date(at(2)));
    periods = withPauseEvent(periods, 'resume', new Date(at(3)));
    periods = withPauseEvent(periods, 'cancel', new Date(at(4)));
    expect(periods).toEqual([
      { kind: 'paused', from: isoAt(1), to: isoAt(3) },
      { kind: 'cancelled', from: isoAt(4) },
    ]);
  });
});
