/**
 * Runs held until their due time (`run-ahead.ts`) start in turns between tenants. When hundreds are due at the same
 * instant in one worker, their timers fire together and each run's first steps (its executor, its request) would
 * share the worker's event loop with all of them: a tenant with one run due would start it only after another
 * tenant's hundreds had taken their steps. Here each turn of the event loop starts runs of each tenant in
 * proportion to its fairness weight (one for weight 1), so that one run starts in the first turn.
 */
/** How long the other tenants' runs wait after a tenant's last run (of those due at an instant) started. */
const LAST_RUN_GRACE_MS = 10;

interface Lane {
  readonly starts: Array<() => void>;
  weight: number;
  /** Turns' worth of runs the tenant may still start: its weight each turn, one per run started. */
  credit: number;
}

export class TenantTurns {
  /** Runs waiting for an instant, in the order they came: one timer per instant, so they all start in turns. */
  readonly #waiting = new Map<
    number,
    Array<{ readonly tenant: string; readonly weight: number; readonly start: () => void }>
  >();
  readonly #lanes = new Map<string, Lane>();
  #turning = false;

  /** Resolves at `atMs`, in the tenant's turn. */
  at(atMs: number, tenant: string, weight = 1): Promise<void> {
    return new Promise((start) => {
      const run = { tenant, weight: weight > 0 && Number.isFinite(weight) ? weight : 1, start };
      const waiting = this.#waiting.get(atMs);
      if (waiting) {
        waiting.push(run);
        return;
      }
      this.#waiting.set(atMs, [run]);
      setTimeout(
        () => {
          const due = this.#waiting.get(atMs) ?? [];
          this.#waiting.delete(atMs);
          for (const each of due) this.#enqueue(each.tenant, each.weight, each.start);
        },
        Math.max(0, atMs - Date.now()),
      );
    });
  }

  #enqueue(tenant: string, weight: number, start: () => void): void {
    const lane = this.#lanes.get(tenant);
    if (lane) {
      lane.starts.push(start);
      lane.weight = weight;
    } else this.#lanes.set(tenant, { starts: [start], weight, credit: 0 });
    if (this.#turning) return;
    this.#turning = true;
    setImmediate(() => this.#turn());
  }

  #turn(): void {
    let emptied = false;
    for (const [tenant, lane] of this.#lanes) {
      lane.credit += lane.weight;
      while (lane.credit >= 1 && lane.starts.length > 0) {
        lane.starts.shift()!();
        lane.credit -= 1;
      }
      if (lane.starts.length === 0) {
        this.#lanes.delete(tenant);
        emptied = true;
      }
    }
    if (this.#lanes.size === 0) this.#turning = false;
    // A tenant's last run just started while others still have runs to start: it gets a moment to send its
    // request before the rest start, instead of taking its steps in turn with theirs.
    else if (emptied) setTimeout(() => this.#turn(), LAST_RUN_GRACE_MS);
    else setImmediate(() => this.#turn());
  }
}
