/**
 * API keys: `Authorization: Bearer <key>` on every route but `/health` (and `/metrics` when it is public), checked
 * by Hono's bearer-auth middleware. Every configured key is compared, each in constant time, so neither the
 * answer's timing nor which key matched tells a caller anything.
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { HTTPException } from 'hono/http-exception';
import { timingSafeEqual } from 'hono/utils/buffer';
import { createHash } from 'node:crypto';
import { PulseApiError } from '../errors.js';
import type { Tenant, TenantRegistry } from '../tenants/tenant-registry.js';
import { withTenantScope, type TenantScope } from '../tenants/tenant-scope.js';
import { createRateLimiter } from './rate-limit.js';

export interface ApiAuth {
  /** Keys accepted in `Authorization: Bearer`; empty means auth is off. With tenants, these are admin keys. */
  readonly apiKeys: readonly string[];
  /** `PULSE_TENANTS_FILE`: every key belongs to a tenant (or is an admin key); requests act within it. */
  readonly tenants?: TenantRegistry;
  /** Serve `/metrics` without a key (for a scraper on a private network). */
  readonly metricsPublic?: boolean;
}

/** Who is calling, set by the auth middleware: the API key's fingerprint (with tenants: the tenant). */
export type AuthVariables = { principal?: string; tenant?: Tenant };

/** The header an admin key names the tenant it acts for with (the dashboard's tenant picker sends it). */
export const TENANT_HEADER = 'x-pulse-tenant';

const UNAUTHORIZED = {
  detail: 'A valid API key is required: send "Authorization: Bearer <key>".',
  code: 'UNAUTHORIZED',
};

/** The routes auth itself lets through: `/health`, and `/metrics` when it is public. */
const needsNoKey = (c: Context, auth: ApiAuth) =>
  c.req.path === '/health' || (c.req.path === '/metrics' && auth.metricsPublic === true);

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
  if (auth.tenants) return tenantAuth(auth.tenants, auth);
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
  return (c, next) => (needsNoKey(c, auth) ? next() : check(c, next));
}

const limitsOf = (tenant: Tenant) => (tenant.limits ? { limits: tenant.limits } : {});

/**
 * Auth with tenants: the key names its tenant (or is an admin key), and the rest of the request runs in that
 * tenant's scope. An admin key acts for the tenant named in `x-pulse-tenant`, or sees every tenant without it.
 */
function tenantAuth(
  registry: TenantRegistry,
  auth: ApiAuth,
): MiddlewareHandler<{ Variables: AuthVariables }> {
  const refuse = (c: Context) => c.json(UNAUTHORIZED, 401);
  const adminKeys = auth.apiKeys;
  return async (c, next) => {
    if (needsNoKey(c, auth)) return next();
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      c.header('WWW-Authenticate', 'Bearer');
      return refuse(c);
    }
    const token = match[1]!;
    let caller = registry.identify(token);
    if (!caller) {
      let admin = false;
      for (const key of adminKeys) admin = (await timingSafeEqual(key, token)) || admin;
      if (admin) caller = { admin: true };
    }
    if (!caller) {
      c.header('WWW-Authenticate', 'Bearer');
      return refuse(c);
    }
    // Metrics carry every tenant's labels: an operator's, not a tenant's.
    if (c.req.path === '/metrics' && !caller.admin) {
      return c.json(
        { detail: '/metrics is for admin keys: it covers every tenant.', code: 'FORBIDDEN' },
        403,
      );
    }
    const named = c.req.header(TENANT_HEADER)?.trim();
    let scope: TenantScope;
    if (caller.admin) {
      if (named && !registry.tenant(named)) {
        return c.json(
          { detail: `There is no tenant '${named}' (${TENANT_HEADER}).`, code: 'UNKNOWN_TENANT' },
          400,
        );
      }
      const tenant = named ? registry.tenant(named) : undefined;
      scope = tenant ? { tenantId: tenant.id, admin: true, ...limitsOf(tenant) } : { admin: true };
      c.set('principal', named ? `tenant:${named}` : 'admin');
      if (named) c.set('tenant', registry.tenant(named)!);
    } else {
      if (named && named !== caller.tenant.id) {
        return c.json(
          {
            detail: `This API key belongs to tenant '${caller.tenant.id}'; it cannot act for '${named}'.`,
            code: 'FORBIDDEN',
          },
          403,
        );
      }
      scope = { tenantId: caller.tenant.id, admin: false, ...limitsOf(caller.tenant) };
      c.set('principal', `tenant:${caller.tenant.id}`);
      c.set('tenant', caller.tenant);
    }
    return withTenantScope(scope, () => next());
  };
}

/**
 * `authenticate` (the middleware above) with missing and wrong keys limited per client address: past
 * `perMinute` of them, every request from that address is a 429 until the minute has refilled, whatever key it
 * sends, so a key cannot be guessed at the speed of the network and the answers tell a guesser nothing meanwhile.
 */
export function limitWrongKeys(
  authenticate: MiddlewareHandler<{ Variables: AuthVariables }>,
  auth: ApiAuth,
  perMinute: number,
): MiddlewareHandler<{ Variables: AuthVariables }> {
  const wrongKeys = createRateLimiter(perMinute);
  const refusedUntil = new Map<string, number>();
  const tooMany = (c: Context, untilMs: number) => {
    const seconds = Math.max(1, Math.ceil((untilMs - Date.now()) / 1000));
    c.header('Retry-After', String(seconds));
    return new PulseApiError(
      429,
      'RATE_LIMITED',
      `Too many requests with a missing or wrong API key from this address; retry in ${seconds} s.`,
    );
  };
  return async (c, next) => {
    if (needsNoKey(c, auth)) return next();
    const client = principalOf(c);
    const until = refusedUntil.get(client) ?? 0;
    if (until > Date.now()) throw tooMany(c, until);
    refusedUntil.delete(client);
    // A refusal comes back as the middleware's answer (tenants) or thrown (hono's bearer auth).
    let refusal: unknown;
    try {
      const answer = await authenticate(c, next);
      if (answer instanceof Response) c.res = answer;
    } catch (err) {
      if (!(err instanceof HTTPException && err.status === 401)) throw err;
      refusal = err;
    }
    if (refusal === undefined && c.res.status !== 401) return;
    const wait = wrongKeys.take(client);
    if (wait <= 0) {
      if (refusal) throw refusal;
      return;
    }
    // Bounded, like the limiter's own buckets: a flood of addresses forgets the oldest first.
    if (refusedUntil.size >= 10_000) refusedUntil.delete(refusedUntil.keys().next().value!);
    refusedUntil.set(client, Date.now() + wait);
    throw tooMany(c, Date.now() + wait);
  };
}
