/**
 * The SSRF guard for every user-supplied destination (callback and webhook URLs, `http_request` URLs, agent
 * hosts). `checkUrl` refuses a URL early, with a sentence saying why, so the API can answer 400 at schedule
 * time; `lookup` and `dispatcher` refuse again at connection time, because a hostname that resolved to a public
 * address at schedule time may resolve to 127.0.0.1 when the request is finally made (DNS rebinding).
 *
 * Credentials in a URL (`https://user:pass@host/`) are allowed: they do not change where a request goes, and
 * the host judged is the one the WHATWG parser (which Node's HTTP clients also use) extracts, so
 * `http://public.example@127.0.0.1/` is judged as 127.0.0.1.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { blockedAddressKind } from './address-classification.js';

export { classifyAddress, type AddressClassification } from './address-classification.js';

/** One address a hostname resolves to. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Resolves a hostname to all its addresses; the default uses the system resolver, as connections do. */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface DestinationGuardOptions {
  /** `PULSE_ALLOW_PRIVATE_NETWORKS`: skip every address check (schemes are still checked). */
  readonly allowPrivateNetworks: boolean;
  /** `PULSE_ALLOWED_HOSTS`: exact hostnames (or IP literals) and `*.example.com` suffixes that skip the check. */
  readonly allowedHosts: readonly string[];
  readonly resolve?: HostResolver;
}

/** The callback of Node's `dns.lookup`, in both its single-address and `all: true` forms. */
export type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** Node's `dns.lookup` calling convention, usable as the `lookup` option of net, http, ws and undici. */
export interface GuardedLookup {
  (hostname: string, options: LookupOptions | number, callback: LookupCallback): void;
  (hostname: string, callback: LookupCallback): void;
}

export interface DestinationGuard {
  /** Throws `DestinationRefusedError` when `url` is not http(s) or its host is, or resolves to, blocked space. */
  checkUrl(url: string, field: string): Promise<void>;
  /** Resolves a redirect's `Location` against the URL that answered it and checks the result; returns it. */
  guardedRedirectTarget(from: string, location: string): Promise<string>;
  /** A `dns.lookup` replacement that refuses blocked addresses when a connection is being made. */
  readonly lookup: GuardedLookup;
  /** An undici `Agent` whose every connection is checked: pass it as `fetch(url, { dispatcher })`. */
  readonly dispatcher: Agent;
}

/** Why a destination was refused; `invalid_url` and `unsupported_scheme` cannot be opened up by configuration. */
export type DestinationRefusalKind = 'invalid_url' | 'unsupported_scheme' | 'blocked_destination';

const DEV_HINT =
  'Set PULSE_ALLOW_PRIVATE_NETWORKS=true or add the host to PULSE_ALLOWED_HOSTS for local development.';
const MAX_URL_IN_MESSAGE = 200;

/** A user-supplied destination Pulse will not connect to; the API answers it with 400. */
export class DestinationRefusedError extends Error {
  constructor(
    /** The request field that named the destination (`callback_url`), or what was connecting. */
    readonly field: string,
    readonly url: string,
    /** Why, as a sentence fragment: `169.254.169.254 is a link-local / cloud-metadata address`. */
    readonly reason: string,
    readonly kind: DestinationRefusalKind = 'blocked_destination',
  ) {
    const clipped = url.length > MAX_URL_IN_MESSAGE ? `${url.slice(0, MAX_URL_IN_MESSAGE)}…` : url;
    const shown = kind === 'invalid_url' ? JSON.stringify(clipped) : clipped;
    super(`${field} ${shown} is refused: ${reason}.${kind === 'blocked_destination' ? ` ${DEV_HINT}` : ''}`);
    this.name = 'DestinationRefusedError';
  }
}

// Names that reach loopback or a metadata service whatever DNS says (RFC 6761 `localhost`; GCE resolves the
// short `metadata` through its search domain).
const BLOCKED_NAMES = new Map<string, string>([
  ['localhost', 'a loopback name'],
  ['metadata.google.internal', 'a cloud-metadata name'],
  ['metadata', 'a cloud-metadata name'],
  ['instance-data.ec2.internal', 'a cloud-metadata name'],
]);

/** Builds a guard; one per process is enough (its `dispatcher` pools connections). */
export function createDestinationGuard(options: DestinationGuardOptions): DestinationGuard {
  const resolve = options.resolve ?? systemResolver;
  const allowedHosts = options.allowedHosts.map(parseAllowedHost);
  const bypasses = (host: string): boolean =>
    options.allowPrivateNetworks || allowedHosts.some((allowed) => allowed(host));

  /** The reason `host` (normalized) may not be reached, resolving it when it is a name; undefined = fine. */
  async function refusalFor(host: string): Promise<string | undefined> {
    if (bypasses(host)) return undefined;
    if (isIP(host)) return literalRefusal(host);
    const nameKind = blockedNameKind(host);
    if (nameKind) return `${host} is ${nameKind}`;
    let addresses: ResolvedAddress[];
    try {
      addresses = await resolve(host);
    } catch {
      // A name that does not resolve now cannot be judged now; the connection-time lookup judges it later.
      return undefined;
    }
    return resolvedRefusal(host, addresses);
  }

  async function checkUrl(url: string, field: string): Promise<void> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new DestinationRefusedError(field, url, 'it is not a valid absolute URL', 'invalid_url');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new DestinationRefusedError(
        field,
        url,
        `only http and https URLs are allowed, not ${parsed.protocol.slice(0, -1)}`,
        'unsupported_scheme',
      );
    }
    const reason = await refusalFor(normalizeHost(parsed.hostname));
    if (reason !== undefined) throw new DestinationRefusedError(field, url, reason);
  }

  async function guardedRedirectTarget(from: string, location: string): Promise<string> {
    let target: string;
    try {
      target = new URL(location, from).href;
    } catch {
      throw new DestinationRefusedError(
        'redirect',
        location,
        `the Location header of ${from} is not a valid URL`,
        'invalid_url',
      );
    }
    await checkUrl(target, `redirect from ${from} to`);
    return target;
  }

  function guardedLookup(
    hostname: string,
    lookupOptions: LookupOptions | number | LookupCallback,
    maybeCallback?: LookupCallback,
  ): void {
    const callback = typeof lookupOptions === 'function' ? lookupOptions : maybeCallback;
    if (!callback) throw new TypeError('lookup needs a callback');
    const opts: LookupOptions =
      typeof lookupOptions === 'number'
        ? { family: lookupOptions }
        : typeof lookupOptions === 'object'
          ? lookupOptions
          : {};
    connectionAddresses(hostname, opts).then(
      ([first, ...rest]) => {
        if (opts.all) callback(null, [first, ...rest]);
        else callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, opts.all ? [] : ''),
    );
  }
  const lookup: GuardedLookup = guardedLookup;

  /** The addresses a connection to `hostname` may use (at least one), or a refusal. */
  async function connectionAddresses(
    hostname: string,
    opts: LookupOptions,
  ): Promise<[LookupAddress, ...LookupAddress[]]> {
    const host = normalizeHost(hostname);
    const bypass = bypasses(host);
    const nameKind = bypass ? undefined : blockedNameKind(host);
    if (nameKind) throw new DestinationRefusedError('destination host', host, `${host} is ${nameKind}`);
    const family = isIP(host);
    const resolved: ResolvedAddress[] = family
      ? [{ address: host, family: family as 4 | 6 }]
      : await resolve(host);
    const wanted = familyOf(opts.family);
    // The family is taken from the address itself, not from what a resolver claims, since net trusts it.
    const addresses = resolved
      .map(({ address }) => ({ address, family: isIP(address) }))
      .filter((a) => wanted === 0 || a.family === wanted);
    const [first, ...rest] = addresses;
    if (!first) throw notFound(hostname);
    // Every address is judged, not only the first: Node's happy-eyeballs may connect to any of them.
    const reason = bypass ? undefined : resolvedRefusal(host, addresses);
    if (reason !== undefined) throw new DestinationRefusedError('destination host', host, reason);
    return [first, ...rest];
  }

  // net.connect (and so undici, http and ws) never calls `lookup` for a literal IP, so a literal is judged here,
  // in the connector itself, before any socket exists.
  const connectThroughLookup = buildConnector({ lookup });
  const connector: buildConnector.connector = (connectOptions, callback) => {
    const host = normalizeHost(connectOptions.hostname);
    const reason = isIP(host) && !bypasses(host) ? literalRefusal(host) : undefined;
    if (reason !== undefined) {
      callback(new DestinationRefusedError('destination host', host, reason), null);
      return;
    }
    connectThroughLookup(connectOptions, callback);
  };

  return { checkUrl, guardedRedirectTarget, lookup, dispatcher: new Agent({ connect: connector }) };
}

/** Reads `PULSE_ALLOW_PRIVATE_NETWORKS` (default false) and `PULSE_ALLOWED_HOSTS` (comma-separated). */
export function destinationGuardFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  resolve?: HostResolver,
): DestinationGuard {
  const raw = env.PULSE_ALLOW_PRIVATE_NETWORKS?.trim().toLowerCase() ?? '';
  let allowPrivateNetworks: boolean;
  if (['', '0', 'false', 'no', 'off'].includes(raw)) allowPrivateNetworks = false;
  else if (['1', 'true', 'yes', 'on'].includes(raw)) allowPrivateNetworks = true;
  else {
    // A typo in a security switch must not silently pick either side.
    throw new Error(
      `PULSE_ALLOW_PRIVATE_NETWORKS must be true or false, got '${env.PULSE_ALLOW_PRIVATE_NETWORKS}'`,
    );
  }
  const allowedHosts = (env.PULSE_ALLOWED_HOSTS ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  return createDestinationGuard({ allowPrivateNetworks, allowedHosts, resolve });
}

function literalRefusal(ip: string): string | undefined {
  const kind = blockedAddressKind(ip);
  return kind === undefined ? undefined : `${ip} is ${kind}`;
}

function resolvedRefusal(
  host: string,
  addresses: readonly { readonly address: string }[],
): string | undefined {
  for (const { address } of addresses) {
    const kind = blockedAddressKind(address);
    if (kind !== undefined) return `${host} resolves to ${address}, which is ${kind}`;
  }
  return undefined;
}

function blockedNameKind(host: string): string | undefined {
  if (host.endsWith('.localhost')) return 'a loopback name';
  return BLOCKED_NAMES.get(host);
}

/** Lower case, without IPv6 brackets or the trailing dot of a fully-qualified name (`localhost.`). */
function normalizeHost(hostname: string): string {
  let host = hostname.toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  while (host.endsWith('.')) host = host.slice(0, -1);
  return host;
}

/** Whether `entry` is a host the allow list can hold (an exact name or IP literal, or `*.example.com`). */
export function isAllowedHostEntry(entry: string): boolean {
  try {
    parseAllowedHost(entry);
    return true;
  } catch {
    return false;
  }
}

function parseAllowedHost(entry: string): (host: string) => boolean {
  const normalized = normalizeHost(entry.trim());
  if (normalized.startsWith('*.')) {
    const suffix = normalized.slice(1);
    if (!isHostname(suffix.slice(1))) throw badAllowedHost(entry);
    return (host) => host.endsWith(suffix) && host.length > suffix.length;
  }
  if (isIP(normalized) === 6) {
    // Compare IPv6 in the canonical form the URL parser gives hostnames.
    const canonical = normalizeHost(new URL(`http://[${normalized}]/`).hostname);
    return (host) => isIP(host) === 6 && normalizeHost(new URL(`http://[${host}]/`).hostname) === canonical;
  }
  if (!isIP(normalized) && !isHostname(normalized)) throw badAllowedHost(entry);
  return (host) => host === normalized;
}

function isHostname(text: string): boolean {
  return /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/.test(
    text,
  );
}

function badAllowedHost(entry: string): Error {
  return new Error(
    `PULSE_ALLOWED_HOSTS entry '${entry}' is not a hostname, an IP address or a '*.example.com' suffix ` +
      '(no scheme, port or path)',
  );
}

function familyOf(family: LookupOptions['family']): 0 | 4 | 6 {
  if (family === 4 || family === 'IPv4') return 4;
  if (family === 6 || family === 'IPv6') return 6;
  return 0;
}

function notFound(hostname: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
  err.code = 'ENOTFOUND';
  err.syscall = 'getaddrinfo';
  return err;
}

async function systemResolver(hostname: string): Promise<ResolvedAddress[]> {
  // dns.lookup (getaddrinfo) rather than dns.resolve: it reads /etc/hosts like the connection itself would.
  return new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true }, (err, addresses) => {
      if (err) reject(err);
      else resolve(addresses.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 })));
    });
  });
}

/** The guard that applies to a tenant's tasks: when they are made, and at each connection they make. */
export type GuardFor = (tenant: string | undefined) => DestinationGuard;

/**
 * One guard per tenant: the process's allowed hosts plus that tenant's own `allowed_hosts`, never another
 * tenant's. `hostsOf` is read at each call (a reload of the tenants file may change a list); a tenant with none, and
 * a task of no tenant, get `base`. Guards are kept per list, so each keeps its pooled connections.
 */
export function createTenantGuards(
  base: DestinationGuard,
  options: DestinationGuardOptions,
  hostsOf: (tenant: string) => readonly string[] | undefined,
): GuardFor {
  const guards = new Map<string, DestinationGuard>();
  return (tenant) => {
    const own = tenant ? hostsOf(tenant) : undefined;
    if (!own?.length) return base;
    const key = `${tenant}\n${own.join(',')}`;
    let guard = guards.get(key);
    if (!guard) {
      guard = createDestinationGuard({ ...options, allowedHosts: [...options.allowedHosts, ...own] });
      guards.set(key, guard);
    }
    return guard;
  };
}
