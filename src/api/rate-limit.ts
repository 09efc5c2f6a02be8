/**
 * Per-client token buckets: each API key (or, with auth off, each client address) may make `perMinute` requests a
 * minute, in bursts of up to that many. In memory and per API process: a limit on one process's share.
 */
export interface RateLimiter {
  /** Takes a token for `client`; returns 0 when allowed, else the milliseconds until a token is free. */
  take(client: string, nowMs?: number): number;
}

const MAX_TRACKED_CLIENTS = 10_000;

export function createRateLimiter(perMinute: number): RateLimiter {
  const buckets = new Map<string, { tokens: number; updatedMs: number }>();
  const refillPerMs = perMinute / 60_000;
  return {
    take(client, nowMs = Date.now()) {
      let bucket = buckets.get(client);
      if (!bucket) {
        // Forget the least recently seen clients first, so a flood of identities cannot grow memory without bound.
        if (buckets.size >= MAX_TRACKED_CLIENTS) buckets.delete(buckets.keys().next().value!);
        bucket = { tokens: perMinute, updatedMs: nowMs };
      }
      buckets.delete(client);
      buckets.set(client, bucket);
      bucket.tokens = Math.min(perMinute, bucket.tokens + (nowMs - bucket.updatedMs) * refillPerMs);
      bucket.updatedMs = nowMs;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.ceil((1 - bucket.tokens) / refillPerMs);
    },
  };
}
