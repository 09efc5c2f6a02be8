/** The three ways a benchmark puts load on a side: closed loop, at planned instants, and at a fixed rate. */
import { createLatencyRecorder, type LatencyRecorder } from './histogram.js';
import { preciseNow } from './receiver.js';

export interface ClosedLoopResult {
  readonly completed: number;
  readonly errors: number;
  readonly elapsedMs: number;
  readonly perSecond: number;
  /** Time each operation took. */
  readonly latency: LatencyRecorder;
  readonly firstError?: string;
}

/**
 * Keeps `concurrency` operations in flight until `count` have been started or `durationMs` has passed,
 * whichever comes first; each loop starts its next operation as soon as its last one ends.
 */
export async function closedLoop(options: {
  concurrency: number;
  count?: number;
  durationMs?: number;
  operation: (index: number) => Promise<unknown>;
}): Promise<ClosedLoopResult> {
  const latency = createLatencyRecorder();
  const count = options.count ?? Number.POSITIVE_INFINITY;
  const started = preciseNow();
  const endAt = options.durationMs === undefined ? Number.POSITIVE_INFINITY : started + options.durationMs;
  let next = 0;
  let completed = 0;
  let errors = 0;
  let firstError: string | undefined;
  const loop = async () => {
    while (next < count && preciseNow() < endAt) {
      const index = next++;
      const begin = preciseNow();
      try {
        await options.operation(index);
        completed++;
        latency.record(preciseNow() - begin);
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));
  const elapsedMs = preciseNow() - started;
  return {
    completed,
    errors,
    elapsedMs,
    perSecond: (completed / elapsedMs) * 1000,
    latency,
    ...(firstError ? { firstError } : {}),
  };
}

/**
 * Runs `operation(item)` at `at(item)` (epoch ms) for every item, without waiting for earlier ones; resolves
 * when all have settled. Returns how many failed and how late, at worst, an operation was started.
 */
export async function atPlannedTimes<T>(
  items: readonly T[],
  at: (item: T) => number,
  operation: (item: T) => Promise<unknown>,
): Promise<{ errors: number; firstError?: string; worstStartDelayMs: number }> {
  const ordered = [...items].sort((a, b) => at(a) - at(b));
  const pending: Promise<unknown>[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let worstStartDelayMs = 0;
  for (const item of ordered) {
    const waitMs = at(item) - preciseNow();
    if (waitMs > 1) await new Promise((resolve) => setTimeout(resolve, waitMs));
    worstStartDelayMs = Math.max(worstStartDelayMs, preciseNow() - at(item));
    pending.push(
      operation(item).catch((err: unknown) => {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }),
    );
  }
  await Promise.all(pending);
  return { errors, worstStartDelayMs, ...(firstError ? { firstError } : {}) };
}

export interface OpenLoopResult {
  readonly sent: number;
  readonly errors: number;
  readonly achievedRate: number;
  /** From the instant a request was due to be sent (not when it was sent) to its response: no coordinated omission. */
  readonly latency: LatencyRecorder;
  readonly statuses: Record<string, number>;
}

/**
 * Sends requests at a fixed rate whatever the server does (open loop); latency is counted from each request's
 * planned send time, so a stalled server shows up as latency instead of a lower rate. The first `warmupMs`
 * are sent but not recorded.
 */
export async function openLoop(options: {
  rate: number;
  durationMs: number;
  warmupMs: number;
  request: () => Promise<number>;
}): Promise<OpenLoopResult> {
  const latency = createLatencyRecorder();
  const statuses: Record<string, number> = {};
  const intervalMs = 1000 / options.rate;
  const total = Math.round(((options.durationMs + options.warmupMs) / 1000) * options.rate);
  const warmup = Math.round((options.warmupMs / 1000) * options.rate);
  const started = preciseNow();
  const pending: Promise<void>[] = [];
  let errors = 0;
  let sent = 0;
  while (sent < total) {
    const now = preciseNow();
    // Everything whose planned instant has passed goes out now, each timed from its own planned instant.
    while (sent < total && started + sent * intervalMs <= now) {
      const planned = started + sent * intervalMs;
      const recorded = sent >= warmup;
      sent++;
      pending.push(
        options.request().then(
          (status) => {
            if (!recorded) return;
            latency.record(preciseNow() - planned);
            statuses[status] = (statuses[status] ?? 0) + 1;
          },
          () => {
            if (recorded) errors++;
          },
        ),
      );
    }
    const nextAt = started + sent * intervalMs;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, nextAt - preciseNow() - 0.5)));
  }
  const sendingMs = preciseNow() - started - options.warmupMs;
  await Promise.all(pending);
  return {
    sent: total - warmup,
    errors,
    achievedRate: ((total - warmup) / sendingMs) * 1000,
    latency,
    statuses,
  };
}
