/**
 * A tenant's `concurrent_runs`, across every worker: a run beyond the limit waits for a slot (heartbeating, so a
 * cancel still reaches it), then runs. The slots are handed out by the tenant's `tenantRunSlots` workflow
 * (workflows/tenant-run-slots.ts), which every worker asks; a held slot is a lease the run renews while it runs.
 */
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { Semaphore } from 'async-mutex';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
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

/** Asks of one tenant's slots workflow in flight from one worker process at once. */
const ASKS_IN_FLIGHT = 4;

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
  // A few asks per tenant in flight from this process: the server takes 10 updates at a time per workflow
  // (`history.maxInFlightUpdates`) and refuses more, so a burst queues here instead of failing and backing off.
  const asking = new Map<string, Semaphore>();
  const lane = (tenant: string) => {
    const found = asking.get(tenant) ?? new Semaphore(ASKS_IN_FLIGHT);
    asking.set(tenant, found);
    return found;
  };
  return {
    async acquire(tenant, signal) {
      const limit = limitFor(tenant);
      if (limit === undefined) return () => undefined;
      const client = temporal.client();
      const workflowId = runSlotsWorkflowId(tenant);
      const holder = randomUUID();
      const send = (renew: boolean) =>
        lane(tenant).runExclusive(() =>
          client.workflow.executeUpdateWithStart(acquireSlotUpdate, {
            args: [{ holder, limit, leaseMs: lease.leaseMs, ...(renew ? { renew } : {}) }],
            startWorkflowOperation: new WithStartWorkflowOperation(tenantRunSlots, {
              workflowId,
              taskQueue: temporal.taskQueue(),
              workflowIdConflictPolicy: 'USE_EXISTING',
              args: [],
              // What the Web UI shows for it, as for every workflow Pulse starts.
              staticSummary: `concurrent runs of tenant ${tenant} (at most ${limit})`,
              staticDetails: `Hands out tenant **${tenant}**'s \`concurrent_runs\` slots to runs on every worker; ends after a quiet minute.`,
              // Ahead of the runs in the queue (the default is 3): a burst's runs wait on its answers.
              priority: { priorityKey: 1 },
            }),
          }),
        );
      /**
       * Asks until the slots workflow answers. An ask can fail for a while: the workflow ending after a quiet
       * minute just as it arrived, or a burst of asks beyond the updates the server takes at once. The run keeps
       * waiting (heartbeating, cancellable) rather than failing its attempt.
       */
      const ask = async (): Promise<SlotAnswer> => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await send(false);
          } catch (err) {
            if (attempt % 10 === 0) logger?.warn({ err, tenant, attempt }, 'still asking for a run slot');
            await sleep(Math.min(200 * attempt, 5_000) * (0.5 + Math.random()), undefined, { signal });
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
          await sleep('askAgainInMs' in answer ? answer.askAgainInMs : 0, undefined, { signal });
        }
      } catch (err) {
        // Cancelled in line: leave the line at once, not when the workflow gives up on it.
        void release();
        // The cancellation itself (Temporal's), not the timer's AbortError.
        throw signal.aborted ? signal.reason : err;
      }
      let released = false;
      let renewing: Promise<unknown> = Promise.resolve();
      const renew = setInterval(() => {
        if (released) return;
        renewing = send(true).then(
          (answer) => {
            // Its lease ran out (renewals failed for longer than it lasts): the slot may be another run's now.
            if (!answer.granted && !released) logger?.warn({ tenant }, 'a run lost its slot; it runs on');
          },
          (err: unknown) => logger?.warn({ err, tenant }, 'could not renew a run slot'),
        );
      }, lease.renewEveryMs);
      return () => {
        released = true;
        clearInterval(renew);
        // After any renewal in flight, so the release is the last word (a renewal after it would be refused anyway).
        void renewing.then(release);
      };
    },
  };
}
