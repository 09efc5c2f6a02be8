/**
 * A tenant's `concurrent_runs` across every worker: one `tenantRunSlots` workflow per tenant hands out its slots.
 * A run asks with an update and gets an answer at once (a slot, or "not yet: you are in line"); it asks again
 * until it holds one, renews it while it runs, and gives it back with a signal. Every slot is a lease: a run whose
 * worker died stops renewing and its slot frees itself; one that stopped asking leaves the line. The line is
 * first come, first served. The workflow keeps no timer: leases are checked whenever someone asks, and it ends
 * after a quiet minute with nobody holding or waiting (the next ask starts it again).
 */
import {
  condition,
  continueAsNew,
  defineSignal,
  defineUpdate,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';

export interface SlotRequest {
  /** Who asks: one run attempt. */
  readonly holder: string;
  /** The tenant's `concurrent_runs` as the asking worker reads it now (the file may have changed). */
  readonly limit: number;
  /** How long a granted slot lasts unless renewed. */
  readonly leaseMs: number;
  /** A run that holds a slot extending its lease: never queued or granted anew (a late renewal after a release). */
  readonly renew?: boolean;
}

/** What the workflow carries over a continue-as-new. */
export interface SlotState {
  /** Holders and when their lease ends (epoch ms). */
  readonly holders: Array<[string, number]>;
  /** Runs in line, first come first, and by when each must ask again to keep its place (epoch ms). */
  readonly waiting: Array<[string, number]>;
}

/** A slot, or the run's place in line (0: next) and when to ask again. */
export type SlotAnswer =
  | { readonly granted: true }
  | { readonly granted: false; readonly place: number; readonly askAgainInMs: number }
  /** A renewal for a slot that is no longer held (its lease ran out, or it was released). */
  | { readonly granted: false; readonly lost: true };

export const acquireSlotUpdate = defineUpdate<SlotAnswer, [SlotRequest]>('acquireSlot');
export const releaseSlotSignal = defineSignal<[string]>('releaseSlot');

/**
 * When a run in line asks again: the next in line soon, the rest less often (each ask is an update, and a burst can
 * put thousands in line). One that has not asked again within that and 15 s more (a slow server included) has
 * given up, its worker gone, and loses its place.
 */
export function askAgainAfterMs(place: number): number {
  return Math.min(500 + 250 * place, 30_000);
}
const QUIET_MS = 60_000;
/** Without a workflow cache (workers with tenants keep none) each task replays the history: keep it short. */
const MAX_HISTORY_EVENTS = 500;

export async function tenantRunSlots(state?: SlotState): Promise<void> {
  const holders = new Map(state?.holders ?? []);
  const waiting = new Map(state?.waiting ?? []);
  let asked = 0;

  function dropExpired(now: number): void {
    for (const [holder, until] of holders) if (until <= now) holders.delete(holder);
    for (const [holder, dueBy] of waiting) if (dueBy <= now) waiting.delete(holder);
  }

  setHandler(acquireSlotUpdate, ({ holder, limit, leaseMs, renew }) => {
    asked++;
    const now = Date.now();
    dropExpired(now);
    if (holders.has(holder)) {
      holders.set(holder, now + leaseMs);
      return { granted: true };
    }
    if (renew) return { granted: false, lost: true };
    // A Map keeps insertion order: setting an existing key keeps the run's place in line.
    if (!waiting.has(holder)) waiting.set(holder, now);
    const place = [...waiting.keys()].indexOf(holder);
    if (holders.size + place >= limit) {
      const askAgainInMs = askAgainAfterMs(place);
      waiting.set(holder, now + askAgainInMs + 15_000);
      return { granted: false, place, askAgainInMs };
    }
    waiting.delete(holder);
    holders.set(holder, now + leaseMs);
    return { granted: true };
  });

  setHandler(releaseSlotSignal, (holder) => {
    asked++;
    holders.delete(holder);
    waiting.delete(holder);
  });

  for (;;) {
    const seen = asked;
    const busy = await condition(() => asked !== seen, QUIET_MS);
    if (workflowInfo().historyLength > MAX_HISTORY_EVENTS || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof tenantRunSlots>({ holders: [...holders], waiting: [...waiting] });
    }
    if (!busy) {
      dropExpired(Date.now());
      if (holders.size === 0 && waiting.size === 0) return;
    }
  }
}
