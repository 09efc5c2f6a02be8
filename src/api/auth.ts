/**
 * API keys: `Authorization: Bearer <key>` on every route but `/health` (and `/metrics` when it is public), checked
 * by Hono's bearer-auth middleware. Every configured key is compared, each in constant time, so neither the
 * answer's timing nor which key matched tells a caller anything.
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { timingSafeEqual } from 'hono/utils/buffer';
import { createHash } from 'node:crypto';

export interface ApiAuth {
  /** Keys accepted in `Authorization: Bearer`; empty means auth is off. */
  readonly apiKeys: readonly string[];
  /** Serve `/metrics` without a key (for a scraper on a private network). */
  readonly metricsPublic?: boolean;
}

/** Who is calling, set by the auth middleware: the API key's fingerprint. */
export type AuthVariables = { principal?: string };

const UNAUTHORIZED = {
  detail: 'A valid API key is required: send "Authorization: Bearer <key>".',
  code: 'UNAUTHORIZED',
};

/** Who is calling: the API key's fingerprint, or the client address when auth is off. */
export function principalOf(c: Context<{ Variables: AuthVariables }>): string {
  const known = c.get('principal');
  if (known) return known;
  try {
    return `addr:${getConnInfo(c).remote.address ?? 'unknown'}`;
  } catch {
    return 'addr:unknown';
  }
}

/** The auth middleware, or none when no key is configured. */
export function apiKeyAuth(auth: ApiAuth): MiddlewareHandler<{ Variables: AuthVariables }> | undefined {
  if (auth.apiKeys.length === 0) return undefined;
  // A missing, malformed or wrong key gets the same 401, so a client learns nothing from which it was.
  const refuse = { message: (c: Context) => c.json(UNAUTHORIZED, 401), wwwAuthenticateHeader: 'Bearer' };
  const check = bearerAuth<{ Variables: AuthVariables }>({
    verifyToken: async (token, c) => {
      let matched = false;
      for (const key of auth.apiKeys) matched = (await timingSafeEqual(key, token)) || matched;
      if (matched) c.set('principal', `key:${createHash('sha256').update(token).digest('hex').slice(0, 16)}`);
      return matched;
    },
    noAuthenticationHeader: refuse,
    invalidAuthenticationHeader: refuse,
    invalidToken: refuse,
  });
  return (c, next) => {
    if (c.req.path === '/health') return next();
    if (c.req.path === '/metrics' && auth.metricsPublic) return next();
    return check(c, next);
  };
}
