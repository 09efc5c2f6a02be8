/**
 * The worker's side of the `stickyRelease` sink (`src/shared/sticky-release.ts`): workflows that went to sleep for
 * long are released from this worker's sticky queue with `ResetStickyTaskQueue`, 10 s after the workflow task that
 * started the sleep, so that its completion (which sets stickiness) is on the server first even when the server is
 * busy (2 s lost that race for half of a herd of 10,000).
 *
 * Best-effort by design: the server keeps the release in its cache of the workflow only (the call writes nothing),
 * and that cache forgets a workflow after an hour (`history.cacheTTL`) or a restart. So a sleep longer than that is
 * released once more a minute before its due time. A release that is lost or fails leaves the workflow as it is
 * without one: sticky, and timed out to the shared queue if this worker does not take its task in time.
 */
import type { InjectedSinks, NativeConnection } from '@temporalio/worker';
import type { Logger } from '../observability/logger.js';
import type { StickyReleaseSinks } from '../shared/sticky-release.js';

/** How long after the workflow task that started the sleep the release is sent. */
const RELEASE_DELAY_MS = 10_000;
/** A sleep longer than this is released again `RELEASE_AGAIN_BEFORE_DUE_MS` before its due time. */
const SERVER_CACHE_TTL_MS = 50 * 60_000;
const RELEASE_AGAIN_BEFORE_DUE_MS = 60_000;
/** Node's longest timer; a sleep beyond it gets no second release. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Releases in flight at once, so a burst of new tasks does not flood the server. */
const MAX_IN_FLIGHT = 8;

/** The sink for a worker that releases nothing: a replay, or a worker without a workflow cache. */
export const noStickyRelease: InjectedSinks<StickyReleaseSinks> = {
  stickyRelease: { sleeping: { fn: () => {}, callDuringReplay: false } },
};

export function createStickyRelease(deps: {
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly logger?: Logger;
  /** False for a worker without a workflow cache: its workflows are never sticky, nothing to release. */
  readonly enabled: boolean;
}): InjectedSinks<StickyReleaseSinks> {
  if (!deps.enabled) return noStickyRelease;
  const queue: { workflowId: string; runId: string; at: number }[] = [];
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;

  const release = async (workflowId: string, runId: string) => {
    try {
      await deps.connection.workflowService.resetStickyTaskQueue({
        namespace: deps.namespace,
        execution: { workflowId, runId },
      });
    } catch (err) {
      // Closed or changed since: nothing to release. Anything else: the workflow stays sticky, as without this.
      deps.logger?.debug({ err, workflowId }, 'sticky release not made');
    }
  };

  const pump = () => {
    timer = undefined;
    while (queue.length > 0 && inFlight < MAX_IN_FLIGHT && queue[0]!.at <= Date.now()) {
      const next = queue.shift()!;
      inFlight++;
      void release(next.workflowId, next.runId).finally(() => {
        inFlight--;
        schedule();
      });
    }
    if (inFlight < MAX_IN_FLIGHT) schedule();
  };

  const schedule = () => {
    if (timer || queue.length === 0) return;
    timer = setTimeout(pump, Math.max(0, queue[0]!.at - Date.now()));
    // Never what keeps a stopping worker's process alive; a release after the connection closed fails quietly.
    timer.unref();
  };

  return {
    stickyRelease: {
      sleeping: {
        fn: (info, sleepMs) => {
          const { workflowId, runId } = info;
          queue.push({ workflowId, runId, at: Date.now() + RELEASE_DELAY_MS });
          schedule();
          const againInMs = sleepMs - RELEASE_AGAIN_BEFORE_DUE_MS;
          if (sleepMs > SERVER_CACHE_TTL_MS && againInMs <= MAX_TIMER_MS) {
            setTimeout(() => {
              queue.push({ workflowId, runId, at: Date.now() });
              schedule();
            }, againInMs).unref();
          }
        },
        // A replayed sleep was released when it first ran.
        callDuringReplay: false,
      },
    },
  };
}
