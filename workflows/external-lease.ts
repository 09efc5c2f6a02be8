/**
 * The external-worker lease as pure rules: who may claim a due task, and whose ack counts. No Temporal here, so the
 * rules are tested as plain functions; the workflow applies their answers.
 */
import type { AckOutcome, AckRequest, ClaimOutcome, ClaimRequest } from '../src/shared/task-messages.js';
import type { RunRecord } from '../src/shared/task-types.js';

/** A worker's hold on a task: the execution it runs and until when. */
export interface Lease {
  readonly workerId: string;
  readonly executionId: string;
  readonly leaseExpiresAtMs: number;
  readonly claimedAtMs: number;
}

/** What a claim is decided on. */
export interface ClaimContext {
  readonly taskId: string;
  readonly external: boolean;
  readonly ran: boolean;
  readonly cancelled: boolean;
  readonly paused: boolean;
  readonly dueAtMs: number;
  readonly lease: Lease | undefined;
}

/**
 * Decides a claim at `nowMs`. The holder claiming again renews its lease and keeps its execution id; a new holder
 * gets a fresh one from `newExecutionId`, called only then (it draws from the workflow's seeded random source).
 */
export function decideClaim(
  context: ClaimContext,
  request: ClaimRequest,
  nowMs: number,
  newExecutionId: () => string,
): { outcome: ClaimOutcome; lease?: Lease } {
  const refuse = (why: string) => ({
    outcome: { claimed: false as const, reason: `task ${context.taskId} cannot be claimed: ${why}` },
  });
  const held = context.lease;
  if (!context.external) return refuse('it is not handed to external workers');
  if (context.ran) return refuse('it already ran');
  if (context.cancelled) return refuse('it is cancelled');
  if (context.paused) return refuse('it is paused');
  if (nowMs < context.dueAtMs) {
    return refuse(`it is not due until ${new Date(context.dueAtMs).toISOString()}`);
  }
  if (held && held.workerId !== request.workerId && held.leaseExpiresAtMs > nowMs) {
    return refuse('another worker holds it');
  }
  const renewing = held?.workerId === request.workerId;
  const lease: Lease = {
    workerId: request.workerId,
    executionId: renewing ? held.executionId : newExecutionId(),
    leaseExpiresAtMs: nowMs + request.leaseMs,
    claimedAtMs: renewing ? held.claimedAtMs : nowMs,
  };
  return {
    outcome: { claimed: true, executionId: lease.executionId, leaseExpiresAtMs: lease.leaseExpiresAtMs },
    lease,
  };
}

/**
 * Decides an ack at `nowMs`: only the current holder, for its own execution (absent: the one it holds), within its
 * lease. An accepted ack yields the run it reports.
 */
export function decideAck(
  taskId: string,
  lease: Lease | undefined,
  alreadyReported: boolean,
  ack: AckRequest,
  nowMs: number,
  dueAtMs: number,
): { outcome: AckOutcome; run?: RunRecord } {
  const executionId = ack.executionId ?? (lease?.workerId === ack.workerId ? lease.executionId : undefined);
  if (!lease || alreadyReported || lease.workerId !== ack.workerId || lease.executionId !== executionId) {
    return {
      outcome: {
        accepted: false,
        reason:
          executionId === undefined
            ? `task ${taskId}: worker '${ack.workerId}' holds no claim on it`
            : `task ${taskId}: worker '${ack.workerId}' does not hold execution '${executionId}'`,
      },
    };
  }
  if (lease.leaseExpiresAtMs <= nowMs) {
    return {
      outcome: {
        accepted: false,
        reason: `task ${taskId}: the lease of worker '${ack.workerId}' expired; the task may be claimed by another worker`,
      },
    };
  }
  const run: RunRecord = {
    executionId: lease.executionId,
    status: ack.status,
    scheduledFor: new Date(dueAtMs).toISOString(),
    startedAtMs: lease.claimedAtMs,
    finishedAtMs: nowMs,
    executionTimeMs: ack.executionTimeMs ?? nowMs - lease.claimedAtMs,
    result: ack.result ?? null,
    ...(ack.error !== undefined
      ? { error: ack.error }
      : ack.status === 'failed'
        ? { error: 'the worker reported a failure' }
        : {}),
  };
  return { outcome: { accepted: true }, run };
}
