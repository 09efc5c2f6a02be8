/**
 * Runs held until their due time (`run-ahead.ts`) start in turns between tenants. When hundreds are due at the same
 * instant in one worker, their timers fire together and each run's first steps (its executor, its request) would
 * share the worker's event loop with all of them: a tenant with one run due would start it only after another
 * tenant's hundreds had taken their steps. Here each turn of the event loop starts at most one run of each tenant,
 * so that one run starts in the first turn.
 */
export class TenantTurns {
  /** Runs waiting for an instant, in the order they came: one timer per instant, so they all start in turns. */
  readonly #waiting = new Map<number, Array<{ readonly tenant: string; readonly start: () => void }>>();
  readonly #ready = new Map<string, Array<() => void>>();
  #turning = false;

  /** Resolves at `atMs`, in the tenant's turn. */
  at(atMs: number, tenant: string): Promise<void> {
    return new Promise((start) => {
      const waiting = this.#waiting.get(atMs);
      if (waiting) {
        waiting.push({ tenant, start });
        return;
      }
      this.#waiting.set(atMs, [{ tenant, start }]);
      setTimeout(
        () => {
          const due = this.#waiting.get(atMs) ?? [];
          this.#waiting.delete(atMs);
          for (const run of due) this.#enqueue(run.tenant, run.start);
        },
        Math.max(0, atMs - Date.now()),
      );
    });
  }

  #enqueue(tenant: string, start: () => void): void {
    const queue = this.#ready.get(tenant);
    if (queue) queue.push(start);
    else this.#ready.set(tenant, [start]);
    if (this.#turning) return;
    this.#turning = true;
    setImmediate(() => this.#turn());
  }

  #turn(): void {
    for (const [tenant, queue] of this.#ready) {
      queue.shift()!();
      if (queue.length === 0) this.#ready.delete(tenant);
    }
    if (this.#ready.size > 0) setImmediate(() => this.#turn());
    else this.#turning = false;
  }
}
