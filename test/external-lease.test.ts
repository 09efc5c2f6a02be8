/** The external-worker lease rules as plain functions: no Temporal, no clock but the one passed in. */
import { describe, expect, it } from 'vitest';
import { decideAck, decideClaim, type ClaimContext, type Lease } from '../workflows/external-lease.js';

const DUE = 1_000_000;
const base: ClaimContext = {
  taskId: 't1',
  external: true,
  ran: false,
  cancelled: false,
  paused: false,
  dueAtMs: DUE,
  lease: undefined,
};
let minted = 0;
const mint = () => `t1:exec-${++minted}`;

describe('decideClaim', () => {
  it.each([
    ['not external', { external: false }, DUE, /not handed to external workers/],
    ['already ran', { ran: true }, DUE, /already ran/],
    ['cancelled', { cancelled: true }, DUE, /is cancelled/],
    ['paused', { paused: true }, DUE, /is paused/],
    ['not yet due', {}, DUE - 1, /not due until 1970-01-01T00:16:40.000Z/],
  ] as const)('refuses a task that is %s, minting no execution id', (_name, change, now, reason) => {
    const before = minted;
    const { outcome, lease } = decideClaim(
      { ...base, ...change },
      { workerId: 'w1', leaseMs: 100 },
      now,
      mint,
    );
    expect(outcome).toEqual({ claimed: false, reason: expect.stringMatching(reason) });
    expect(lease).toBeUndefined();
    expect(minted).toBe(before);
  });

  it('grants a due task, renews for the holder with the same execution, refuses others until the lease runs out', () => {
    const first = decideClaim(base, { workerId: 'w1', leaseMs: 100 }, DUE, mint);
    expect(first.outcome).toMatchObject({ claimed: true, leaseExpiresAtMs: DUE + 100 });
    const held = first.lease!;
    const renewed = decideClaim({ ...base, lease: held }, { workerId: 'w1', leaseMs: 100 }, DUE + 50, mint);
    expect(renewed.lease).toEqual({ ...held, leaseExpiresAtMs: DUE + 150 });
    const other = decideClaim(
      { ...base, lease: renewed.lease },
      { workerId: 'w2', leaseMs: 100 },
      DUE + 149,
      mint,
    );
    expect(other.outcome).toMatchObject({ claimed: false, reason: expect.stringMatching(/another worker/) });
    const taken = decideClaim(
      { ...base, lease: renewed.lease },
      { workerId: 'w2', leaseMs: 100 },
      DUE + 150,
      mint,
    );
    expect(taken.lease).toMatchObject({ workerId: 'w2', claimedAtMs: DUE + 150 });
    expect(taken.lease!.executionId).not.toBe(held.executionId);
  });
});

describe('decideAck', () => {
  const lease: Lease = { workerId: 'w1', executionId: 't1:e', leaseExpiresAtMs: DUE + 100, claimedAtMs: DUE };
  const ack = { workerId: 'w1', executionId: 't1:e', status: 'success' as const, result: { n: 1 } };

  it('accepts the holder within its lease and reports its run', () => {
    const { outcome, run } = decideAck('t1', lease, false, ack, DUE + 40, DUE);
    expect(outcome).toEqual({ accepted: true });
    expect(run).toEqual({
      executionId: 't1:e',
      status: 'success',
      scheduledFor: new Date(DUE).toISOString(),
      startedAtMs: DUE,
      finishedAtMs: DUE + 40,
      executionTimeMs: 40,
      result: { n: 1 },
    });
  });

  it('an ack without execution id is for the claim the worker holds', () => {
    const { executionId: _omitted, ...anonymous } = ack;
    expect(decideAck('t1', lease, false, anonymous, DUE + 1, DUE).run?.executionId).toBe('t1:e');
    expect(decideAck('t1', lease, false, { ...anonymous, workerId: 'w2' }, DUE + 1, DUE).outcome).toEqual({
      accepted: false,
      reason: "task t1: worker 'w2' holds no claim on it",
    });
  });

  it.each([
    ['no claim', undefined, false, ack, DUE + 1, /does not hold execution/],
    ['already reported', lease, true, ack, DUE + 1, /does not hold execution/],
    ['another worker', lease, false, { ...ack, workerId: 'w2' }, DUE + 1, /'w2' does not hold/],
    ['another execution', lease, false, { ...ack, executionId: 't1:x' }, DUE + 1, /'t1:x'/],
    ['an expired lease', lease, false, ack, DUE + 100, /lease of worker 'w1' expired/],
  ] as const)('refuses %s', (_name, held, reported, request, now, reason) => {
    const { outcome, run } = decideAck('t1', held, reported, request, now, DUE);
    expect(outcome).toEqual({ accepted: false, reason: expect.stringMatching(reason) });
    expect(run).toBeUndefined();
  });

  it('a failed ack without an error says the worker reported a failure', () => {
    const { run } = decideAck('t1', lease, false, { ...ack, status: 'failed' }, DUE + 1, DUE);
    expect(run).toMatchObject({ status: 'failed', error: 'the worker reported a failure' });
  });
});
