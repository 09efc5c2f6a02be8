/**
 * The `stickyRelease` sink: a workflow about to sleep for long tells its worker, which then asks the server to send
 * the workflow's next task to the shared task queue instead of this worker's own (sticky) one.
 *
 * Why: when many sleeping tasks fall due at once, their timer-fire tasks pile up in the sticky queue of whichever
 * worker last ran them, wait there longer than the sticky timeout, and are then timed out and scheduled again on
 * the shared queue: a wasted state write, timer and dispatch per run (BENCHMARKS.md, session 21). Released, the
 * timer-fire task goes to the shared queue at once, where any worker takes it.
 */
import type { Sinks } from '@temporalio/workflow';

/** A sleep at least this long releases the workflow's stickiness; a shorter one is likely to wake on a warm cache. */
export const STICKY_RELEASE_MIN_SLEEP_MS = 30_000;

export interface StickyReleaseSinks extends Sinks {
  stickyRelease: {
    /** The workflow has just started a sleep of `sleepMs`. */
    sleeping(sleepMs: number): void;
  };
}
