/**
 * An updatable, pausable due time (the samples' updatable timer): the task asks it to wait, and reschedules or
 * pauses it from its handlers; each change wakes the wait, which then starts over with what is now true.
 */
import { condition, proxySinks } from '@temporalio/workflow';
import { STICKY_RELEASE_MIN_SLEEP_MS, type StickyReleaseSinks } from '../src/shared/sticky-release.js';

const { stickyRelease } = proxySinks<StickyReleaseSinks>();

export class DueTimer {
  #dueAtMs: number;
  #paused = false;
  #changed = false;

  constructor(dueAtMs: number) {
    this.#dueAtMs = dueAtMs;
  }

  get dueAtMs(): number {
    return this.#dueAtMs;
  }

  set dueAtMs(next: number) {
    this.#dueAtMs = next;
    this.#changed = true;
  }

  get paused(): boolean {
    return this.#paused;
  }

  set paused(next: boolean) {
    this.#paused = next;
    this.#changed = true;
  }

  /** Resolves once the task is due (or `leadMs` before it) and not paused. */
  async due(leadMs = 0): Promise<void> {
    for (;;) {
      if (this.#paused) {
        await condition(() => !this.#paused);
        continue;
      }
      const remainingMs = this.#dueAtMs - leadMs - Date.now();
      // A task already due runs at once: no timer, so no timer-granularity penalty on the server.
      if (remainingMs <= 0) return;
      this.#changed = false;
      // A long sleep: the worker releases the workflow's stickiness, so its wake-up goes to any worker at once.
      if (remainingMs >= STICKY_RELEASE_MIN_SLEEP_MS) stickyRelease.sleeping(remainingMs);
      // The timer fired: due now. Not re-checking the clock avoids a second sub-millisecond timer that the server
      // would fire up to a second late.
      if (!(await condition(() => this.#changed, remainingMs))) return;
    }
  }
}
