/** The delivery decision (workflows/delivery-policy.ts) on its own: which messages a run sends, and where. */
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../src/shared/task-types.js';
import { HISTORY_LIMIT, decideDelivery, type RunHistory } from '../workflows/delivery-policy.js';

let n = 0;
function run(status: RunRecord['status'], extra: Partial<RunRecord> = {}): RunRecord {
  n++;
  return {
    executionId: `t:${n}`,
    status,
    scheduledFor: new Date(n * 1000).toISOString(),
    startedAtMs: n * 1000,
    finishedAtMs: n * 1000 + 10,
    executionTimeMs: 10,
    result: status === 'success' ? { n } : null,
    ...(status === 'failed' ? { error: 'boom' } : {}),
    ...extra,
  };
}
/** Earlier runs given oldest first, as a history (most recent first). */
const history = (...runs: RunRecord[]): RunHistory => ({
  number: runs.length + 1,
  previous: [...runs].reverse(),
  nextRunAtMs: null,
});
const CB = 'http://127.0.0.1/cb';
const FAIL = 'http://127.0.0.1/failures';

describe('decideDelivery', () => {
  it('without a policy every run goes to callback_url, unless the agent had nothing to report', () => {
    expect(decideDelivery(run('success'), { callbackUrl: CB }, undefined)).toEqual({ url: CB });
    expect(decideDelivery(run('failed'), { callbackUrl: CB }, undefined)).toEqual({ url: CB });
    expect(decideDelivery(run('success', { nothingToReport: true }), { callbackUrl: CB }, undefined)).toEqual(
      { skipped: { url: CB, reason: 'the agent had nothing to report' } },
    );
    // A failure is always reported, whatever the result said.
    expect(decideDelivery(run('failed', { nothingToReport: true }), { callbackUrl: CB }, undefined)).toEqual({
      url: CB,
    });
    expect(decideDelivery(run('success'), {}, undefined)).toEqual({});
  });

  it('on_change compares with the previous decided run: result hash for successes, error for failures', () => {
    const input = { callbackUrl: CB, delivery: { mode: 'on_change' as const } };
    const a = run('success', { resultHash: 'A' });
    expect(decideDelivery(run('success', { resultHash: 'A' }), input, history()).url).toBe(CB);
    expect(decideDelivery(run('success', { resultHash: 'A' }), input, history(a)).skipped?.reason).toMatch(
      /^delivery on_change: the same result as the previous run/,
    );
    expect(decideDelivery(run('success', { resultHash: 'B' }), input, history(a)).url).toBe(CB);
    // A cancelled run in between changes nothing.
    expect(
      decideDelivery(run('success', { resultHash: 'A' }), input, history(a, run('cancelled'))).skipped,
    ).toBeDefined();
    const failed = run('failed');
    expect(decideDelivery(run('failed'), input, history(a, failed)).skipped?.reason).toMatch(
      /the same error/,
    );
    expect(decideDelivery(run('failed', { error: 'other' }), input, history(failed)).url).toBe(CB);
    expect(decideDelivery(run('success', { resultHash: 'A' }), input, history(failed)).url).toBe(CB);
    // A previous run recorded before results were hashed counts as different.
    expect(decideDelivery(run('success', { resultHash: 'A' }), input, history(run('success'))).url).toBe(CB);
  });

  it('failure_url takes failed runs; on_failure skips successes', () => {
    const input = { callbackUrl: CB, delivery: { mode: 'on_failure' as const, failureUrl: FAIL } };
    expect(decideDelivery(run('failed'), input, undefined)).toEqual({ url: FAIL });
    expect(decideDelivery(run('success'), input, undefined)).toEqual({
      skipped: { url: CB, reason: 'delivery on_failure: the run succeeded' },
    });
    // With no callback_url, successes have nowhere to go and nothing is recorded.
    expect(
      decideDelivery(run('success'), { delivery: { mode: 'always', failureUrl: FAIL } }, undefined),
    ).toEqual({});
  });

  it('alerts once when failures in a row reach alert_after, and notices recovery once', () => {
    const input = { callbackUrl: CB, delivery: { mode: 'always' as const, alertAfter: 3 } };
    const f1 = run('failed');
    const f2 = run('failed');
    expect(decideDelivery(f2, input, history(f1)).notice).toBeUndefined();
    const f3 = run('failed');
    expect(decideDelivery(f3, input, history(f1, f2)).notice).toEqual({
      event: 'alert',
      url: CB,
      failures: 3,
    });
    const alerted = {
      ...f3,
      notice: { event: 'alert' as const, url: CB, failures: 3, status: 'delivered' as const },
    };
    expect(decideDelivery(run('failed'), input, history(f1, f2, alerted)).notice).toBeUndefined();
    expect(decideDelivery(run('success'), input, history(f1, f2, alerted, run('failed'))).notice).toEqual({
      event: 'recovery',
      url: CB,
      failures: 4,
    });
    // No alert in the streak: a success sends no recovery notice.
    expect(decideDelivery(run('success'), input, history(f1, f2)).notice).toBeUndefined();
    // A success ends the streak: the count starts again.
    expect(decideDelivery(run('failed'), input, history(f1, f2, run('success'))).notice).toBeUndefined();
  });

  it('a streak as long as the whole history may have alerted before it: no second alert', () => {
    const input = { callbackUrl: CB, delivery: { mode: 'always' as const, alertAfter: 2 } };
    const streak = Array.from({ length: HISTORY_LIMIT }, () => run('failed'));
    expect(decideDelivery(run('failed'), input, history(...streak)).notice).toBeUndefined();
    expect(decideDelivery(run('failed'), input, history(...streak.slice(1))).notice?.event).toBe('alert');
  });
});
