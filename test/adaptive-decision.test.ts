/** An adaptive task's next run (workflows/adaptive.ts) and the result fields it is read from (agent-signals.ts). */
import { describe, expect, it } from 'vitest';
import { readNextRun } from '../src/executors/agent-signals.js';
import type { RunRecord } from '../src/shared/task-types.js';
import { CARRIED_RUNS, carryOver, decideNextRun } from '../workflows/adaptive.js';

const END = Date.parse('2026-12-02T10:00:00Z');
const policy = { minIntervalMs: 60_000, maxIntervalMs: 3_600_000 };
const run = (extra: Partial<RunRecord> = {}): RunRecord => ({
  executionId: 't:1',
  status: 'success',
  scheduledFor: '2026-12-02T09:59:00Z',
  startedAtMs: END - 1000,
  finishedAtMs: END,
  executionTimeMs: 1000,
  result: { ok: true },
  ...extra,
});
const at = (ms: number) => new Date(END + ms).toISOString();

describe('readNextRun', () => {
  it('reads next_run_in as seconds or a duration, next_run_at as ISO, null as the end', () => {
    expect(readNextRun({ next_run_in: 90 })).toEqual({ inMs: 90_000 });
    expect(readNextRun({ next_run_in: '90' })).toEqual({ inMs: 90_000 });
    expect(readNextRun({ next_run_in: '10m' })).toEqual({ inMs: 600_000 });
    expect(readNextRun({ next_run_at: '2026-12-03T08:00:00Z' })).toEqual({
      atMs: Date.parse('2026-12-03T08:00:00Z'),
    });
    expect(readNextRun({ next_run_in: null })).toEqual({ stop: true });
    expect(readNextRun({ next_run_at: null })).toEqual({ stop: true });
    // An HTTP call's answer says it in its JSON body.
    expect(readNextRun({ status_code: 200, headers: {}, body: { next_run_in: 5 } })).toEqual({ inMs: 5000 });
  });

  it('says what is wrong with what it cannot read, and nothing when the result names no next run', () => {
    expect(readNextRun({ next_run_in: 'soon' })?.invalid).toBe(
      'next_run_in "soon" is not seconds or a duration such as "10m"',
    );
    expect(readNextRun({ next_run_in: -5 })?.invalid).toMatch(/not seconds/);
    expect(readNextRun({ next_run_in: Number.POSITIVE_INFINITY })?.invalid).toMatch(/not seconds/);
    expect(readNextRun({ next_run_at: 'tomorrow' })?.invalid).toBe(
      'next_run_at "tomorrow" is not an ISO-8601 time',
    );
    expect(readNextRun({ answer: 'next_run_in 5' })).toBeUndefined();
    expect(readNextRun('next_run_in: 5')).toBeUndefined();
    expect(readNextRun([{ next_run_in: 5 }])).toBeUndefined();
  });
});

describe('decideNextRun', () => {
  it('keeps the asked time within min_interval and max_interval of the end of the run', () => {
    expect(decideNextRun(run({ nextRunRequest: { inMs: 120_000 } }), policy, 1, END)).toEqual({
      at: at(120_000),
      reason: 'the agent asked for next_run_in 2 min',
    });
    expect(decideNextRun(run({ nextRunRequest: { inMs: 5000 } }), policy, 1, END)).toEqual({
      at: at(60_000),
      reason: 'the agent asked for next_run_in 5 s; raised to min_interval (1 min)',
    });
    expect(decideNextRun(run({ nextRunRequest: { atMs: END + 86_400_000 } }), policy, 1, END)).toEqual({
      at: at(3_600_000),
      reason: `the agent asked for next_run_at ${at(86_400_000)}; lowered to max_interval (1 h)`,
    });
    // A time already past is as soon as allowed.
    expect(decideNextRun(run({ nextRunRequest: { atMs: END - 5000 } }), policy, 1, END).at).toBe(at(60_000));
  });

  it('waits max_interval after a failure, a silent or unreadable result; ends at times or when asked', () => {
    expect(decideNextRun(run({ status: 'failed', nextRunRequest: { inMs: 1 } }), policy, 1, END).at).toBe(
      at(3_600_000),
    );
    expect(decideNextRun(run(), policy, 1, END).reason).toBe(
      'the result named no next run: max_interval (1 h)',
    );
    expect(
      decideNextRun(run({ nextRunRequest: { invalid: 'next_run_in "x" is bad' } }), policy, 1, END),
    ).toEqual({
      at: at(3_600_000),
      reason: 'next_run_in "x" is bad: max_interval (1 h)',
    });
    expect(decideNextRun(run({ nextRunRequest: { stop: true } }), policy, 1, END)).toEqual({
      at: null,
      reason: 'the agent asked for no further run',
    });
    expect(
      decideNextRun(run({ nextRunRequest: { inMs: 120_000 } }), { ...policy, times: 3 }, 3, END).at,
    ).toBeNull();
  });

  it('carries the latest runs over, newest first, results cut to their summary', () => {
    const long = run({
      executionId: 't:big',
      result: { text: 'x'.repeat(5000) },
      triggerInput: { payload: {} },
    });
    const first = carryOver([long], undefined);
    expect(first.count).toBe(1);
    expect(first.runs[0]!.result).toHaveLength(1000);
    expect(first.runs[0]!.triggerInput).toBeUndefined();
    const many = Array.from({ length: 80 }, (_, i) => run({ executionId: `t:${i}` }));
    const carried = carryOver(many.slice(40), carryOver(many.slice(0, 40), undefined));
    expect(carried.count).toBe(80);
    expect(carried.runs).toHaveLength(CARRIED_RUNS);
    expect(carried.runs[0]!.executionId).toBe('t:79');
    expect(carried.runs[0]!.result).toBe('{"ok":true}');
  });
});
