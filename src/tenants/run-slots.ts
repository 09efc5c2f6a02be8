/**
 * A tenant's `concurrent_runs` on one worker process: a run beyond the limit waits for a slot (heartbeating, so a
 * cancel still reaches it), then runs. Per process, as Temporal's own activity slots are: N workers allow N × the
 * limit; the fairness key is what shares the workers between tenants.
 */
export interface RunSlots {
  /** Waits for a slot of `tenant`'s; resolves to its release. Rejects when `signal` aborts first. */
  acquire(tenant: string, signal: AbortSignal): Promise<() => void>;
}

export function createRunSlots(limitFor: (tenant: string) => number | undefined): RunSlots {
  const running = new Map<string, number>();
  const queues = new Map<string, Array<() => void>>();

  function release(tenant: string): void {
    const next = queues.get(tenant)?.shift();
    if (next) {
      next();
      return;
    }
    running.set(tenant, (running.get(tenant) ?? 1) - 1);
  }

  return {
    async acquire(tenant, signal) {
      const limit = limitFor(tenant);
      const done = () => release(tenant);
      if (limit === undefined) return () => undefined;
      if ((running.get(tenant) ?? 0) < limit) {
        running.set(tenant, (running.get(tenant) ?? 0) + 1);
        return done;
      }
      // The slot passes straight from the run that releases it to the first one waiting.
      await new Promise<void>((resolve, reject) => {
        const queue = queues.get(tenant) ?? [];
        queues.set(tenant, queue);
        const wake = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          queue.splice(queue.indexOf(wake), 1);
          reject(signal.reason);
        };
        queue.push(wake);
        signal.addEventListener('abort', onAbort, { once: true });
      });
      return done;
    },
  };
}
