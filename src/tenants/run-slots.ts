/**
 * A tenant's `concurrent_runs`, across every worker: a run beyond the limit waits for a slot (heartbeating, so a
 * cancel still reaches it), then runs. The slots are handed out by the tenant's `tenantRunSlots` workflow
 * (workflows/tenant-run-slots.ts), which every worker asks; a held slot is a lease the run renews while it runs.
 */
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../observability/logger.js';
import {
  acquireSlotUpdate,
  releaseSlotSignal,
  tenantRunSlots,
  type SlotAnswer,
} from '../../workflows/tenant-run-slots.js';

export interface RunSlots {
  /** Waits for a slot of `tenant`'s; resolves to its release. Rejects when `signal` aborts first. */
  acquire(tenant: string, signal: AbortSignal): Promise<() => void>;
}

/** Where the slots live: the worker's client and task queue, read when a run asks (inside its activity). */
export interface SlotsOnTemporal {
  readonly client: () => Client;
  readonly taskQueue: () => string;
}

export interface LeaseTimes {
  /** How long a slot lasts without renewal: a run on a worker that died frees its slot after this. */
  readonly leaseMs: number;
  readonly renewEveryMs: number;
}

const LEASE: LeaseTimes = { leaseMs: 30_000, renewEveryMs: 10_000 };
export function runSlotsWorkflowId(tenant: string): string {
  return `pulse-run-slots:${tenant}`;
}

export function createRunSlots(
  limitFor: (tenant: string) => number | undefined,
  temporal: SlotsOnTemporal,
  logger?: Logger,
  lease: LeaseTimes = LEASE,
): RunSlots {
  return {
    async acquire(tenant, signal) {
      const limit = limitFor(tenant);
      if (limit === undefined) return () => undefined;
      const client = temporal.client();
      const workflowId = runSlotsWorkflowId(tenant);
      const holder = randomUUID();
      const ask = async (): Promise<SlotAnswer> => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await client.workflow.executeUpdateWithStart(acquireSlotUpdate, {
              args: [{ holder, limit, leaseMs: lease.leaseMs }],
              startWorkflowOperation: new WithStartWorkflowOperation(tenantRunSlots, {
                workflowId,
                taskQueue: temporal.taskQueue(),
                workflowIdConflictPolicy: 'USE_EXISTING',
                args: [],
              }),
            });
          } catch (err) {
            // The slots workflow ending after a quiet minute just as this arrived: the next ask starts a new one.
            if (attempt >= 3) throw err;
            await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
          }
        }
      };
      const release = () =>
        client.workflow
          .getHandle(workflowId)
          .signal(releaseSlotSignal, holder)
          // Not given back: its lease ends it (or, in line, its silence).
          .catch((err: unknown) => logger?.warn({ err, tenant }, 'could not release a run slot'));
      try {
        for (let answer = await ask(); !answer.granted; answer = await ask()) {
          await pause(answer.askAgainInMs, signal);
        }
      } catch (err) {
        // Cancelled in line (or the ask failed): leave the line at once, not after the workflow's stale time.
        void release();
        throw err;
      }
      const renew = setInterval(() => {
        ask().catch((err: unknown) => logger?.warn({ err, tenant }, 'could not renew a run slot'));
      }, lease.renewEveryMs);
      return () => {
        clearInterval(renew);
        void release();
      };
    },
  };
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
