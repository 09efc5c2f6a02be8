/**
 * The SSRF guard refuses loopback, private, link-local, metadata and other internal destinations, before any
 * connection is made: at check time for literal addresses and resolved names, and again at connection time so
 * a name that re-resolves (DNS rebinding) is still refused. Real traffic goes only to servers on 127.0.0.1,
 * which double as sentinels: a guard that let a request through would show up as a connection they counted.
 */
import { once, type EventEmitter } from 'node:events';
import {
  createServer as createHttpServer,
  request as httpRequest,
  type Server as HttpServer,
} from 'node:http';
import {
  connect as netConnect,
  createServer as createNetServer,
  type AddressInfo,
  type Server,
} from 'node:net';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import {
  classifyAddress,
  createDestinationGuard,
  destinationGuardFromEnv,
  DestinationRefusedError,
  type DestinationGuard,
  type DestinationGuardOptions,
  type HostResolver,
  type ResolvedAddress,
} from '../src/security/ssrf-guard.js';

const PUBLIC_V4 = '93.184.216.34';
const PUBLIC_V6 = '2606:2800:220:1:248:1893:25c8:1946';

const guards: DestinationGuard[] = [];
const servers: Array<Server | HttpServer | WebSocketServer> = [];

afterEach(async () => {
  await Promise.all(guards.splice(0).map((guard) => guard.dispatcher.close()));
  await Promise.all(
    servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
  );
});

function guardWith(options: Partial<DestinationGuardOptions> = {}): DestinationGuard {
  const guard = createDestinationGuard({ allowPrivateNetworks: false, allowedHosts: [], ...options });
  guards.push(guard);
  return guard;
}

/** A resolver that answers every name with `addresses` and records what it was asked. */
function resolverAnswering(...addresses: string[]) {
  return vi.fn<HostResolver>(async () => addresses.map(toResolved));
}

/** A resolver for checks that must never need DNS. */
function resolverThatMustNotBeCalled() {
  return vi.fn<HostResolver>(async (hostname) => {
    throw new Error(`resolver called for ${hostname}`);
  });
}

function toResolved(address: string): ResolvedAddress {
  return { address, family: address.includes(':') ? 6 : 4 };
}

/** A TCP server on 127.0.0.1 that only counts connections. */
async function startSentinel(): Promise<{ port: number; connections: () => number }> {
  let count = 0;
  const server = createNetServer((socket) => {
    count++;
    socket.destroy();
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, connections: () => count };
}

/** An HTTP server on 127.0.0.1 answering `ok`, or redirecting when a path is in `redirects`. */
async function startHttpServer(redirects: Record<string, string> = {}) {
  let connections = 0;
  const server = createHttpServer((req, res) => {
    const location = redirects[req.url ?? ''];
    if (location) res.writeHead(302, { location }).end();
    else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
  server.on('connection', () => connections++);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

async function expectRefused(promise: Promise<unknown>, reason?: RegExp): Promise<DestinationRefusedError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DestinationRefusedError);
  if (reason) expect((err as DestinationRefusedError).reason).toMatch(reason);
  return err as DestinationRefusedError;
}

/** fetch wraps connection errors as `TypeError: fetch failed` with the real error as `cause`. */
async function expectFetchRefused(promise: Promise<unknown>, reason?: RegExp): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TypeError);
  expect((err as Error).cause).toBeInstanceOf(DestinationRefusedError);
  if (reason) expect(((err as Error).cause as DestinationRefusedError).reason).toMatch(reason);
}

/** The `error` an emitter reports, failing at once if `success` (a connection) comes first instead. */
function errorBefore(emitter: EventEmitter, success: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    emitter.once('error', resolve);
    emitter.once(success, () =>
      reject(new Error(`'${success}' happened: the guard let the connection through`)),
    );
  });
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('classifyAddress and literal URLs', () => {
  // [address or URL, blocked, what the reason must say]
  const table: ReadonlyArray<readonly [string, boolean, RegExp?]> = [
    ['127.0.0.1', true, /loopback/],
    ['127.255.255.254', true, /loopback/],
    ['0.0.0.0', true, /unspecified/],
    ['0.1.2.3', true, /unspecified/],
    ['10.0.0.1', true, /private/],
    ['172.16.0.1', true, /private/],
    ['172.31.255.255', true, /private/],
    ['192.168.1.1', true, /private/],
    ['100.64.0.1', true, /carrier-grade NAT/],
    ['100.127.255.255', true, /carrier-grade NAT/],
    ['169.254.1.1', true, /link-local/],
    ['169.254.169.254', true, /link-local \/ cloud-metadata/],
    ['100.100.100.200', true, /metadata/],
    ['198.18.0.1', true, /benchmarking/],
    ['198.19.255.255', true, /benchmarking/],
    ['224.0.0.1', true, /multicast/],
    ['239.255.255.250', true, /multicast/],
    ['240.0.0.1', true, /reserved/],
    ['255.255.255.255', true, /reserved/],
    ['192.0.2.1', true, /documentation/],
    ['2130706433', true, /loopback/],
    ['0177.0.0.1', true, /loopback/],
    ['0x7f.1', true, /loopback/],
    ['0x7f000001', true, /loopback/],
    ['012.1', true, /private/],
    ['::1', true, /loopback/],
    ['::', true, /unspecified/],
    ['fe80::1', true, /link-local/],
    ['fe80::1%eth0', true, /link-local/],
    ['febf:ffff::1', true, /link-local/],
    ['fc00::1', true, /unique-local/],
    ['fd12:3456:789a::1', true, /unique-local/],
    ['fd00:ec2::254', true, /cloud-metadata/],
    ['ff02::1', true, /multicast/],
    ['::ffff:127.0.0.1', true, /IPv4-mapped .* 127\.0\.0\.1, which is a loopback/],
    ['::ffff:7f00:1', true, /IPv4-mapped .* 127\.0\.0\.1/],
    ['::ffff:a9fe:a9fe', true, /IPv4-mapped .* 169\.254\.169\.254/],
    ['::ffff:10.1.2.3', true, /private/],
    ['::127.0.0.1', true, /IPv4-compatible/],
    ['64:ff9b::127.0.0.1', true, /NAT64 .* loopback/],
    ['64:ff9b::a9fe:a9fe', true, /NAT64 .* cloud-metadata/],
    ['2002:7f00:1::', true, /6to4 .* 127\.0\.0\.1/],
    ['2002:c0a8:101::1', true, /6to4 .* 192\.168\.1\.1/],
    ['2001:db8::1', true, /documentation/],
    ['100::1', true, /discard/],
    ['not-an-ip', true, /not an IP address/],
    [PUBLIC_V4, false],
    ['8.8.8.8', false],
    ['1.1.1.1', false],
    ['172.32.0.1', false],
    ['100.128.0.1', false],
    ['198.20.0.1', false],
    [PUBLIC_V6, false],
    ['2001:4860:4860::8888', false],
    ['::ffff:93.184.216.34', false],
    ['64:ff9b::8.8.8.8', false],
    ['2002:5db8:d822::1', false],
  ];

  const rows = table.map(([address, blocked, reason]) => ({ address, blocked, reason }));
  it.each(rows)('classifyAddress($address) → blocked $blocked', ({ address, blocked, reason }) => {
    const verdict = classifyAddress(address);
    expect(verdict.blocked).toBe(blocked);
    if (reason) expect(verdict.reason).toMatch(reason);
    if (!blocked) expect(verdict.reason).toBeUndefined();
  });

  it('WHATWG URL parsing already turns decimal, octal, hex and short IPv4 spellings into dotted quads', () => {
    expect(new URL('http://2130706433/').hostname).toBe('127.0.0.1');
    expect(new URL('http://0177.0.0.1/').hostname).toBe('127.0.0.1');
    expect(new URL('http://0x7f.1/').hostname).toBe('127.0.0.1');
    expect(new URL('http://127.1/').hostname).toBe('127.0.0.1');
    expect(new URL('http://0/').hostname).toBe('0.0.0.0');
    expect(new URL('http://[::ffff:127.0.0.1]/').hostname).toBe('[::ffff:7f00:1]');
    expect(() => new URL('http://1.2.3.4.5/')).toThrow();
  });

  const urls: ReadonlyArray<readonly [string, RegExp]> = [
    ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is a link-local \/ cloud-metadata/],
    ['http://10.0.0.1/', /private/],
    ['http://[::1]/', /loopback/],
    ['http://[::]/', /unspecified/],
    ['http://127.0.0.1:8080/hook', /loopback/],
    ['http://2130706433/', /127\.0\.0\.1 is a loopback/],
    ['http://0177.0.0.1/', /127\.0\.0\.1 is a loopback/],
    ['http://0x7f.1/', /127\.0\.0\.1 is a loopback/],
    ['http://0xa9fea9fe/', /cloud-metadata/],
    ['https://[::ffff:169.254.169.254]/', /IPv4-mapped .* cloud-metadata/],
    ['http://[64:ff9b::10.0.0.1]/', /NAT64 .* private/],
    ['http://[2002:a9fe:a9fe::]/', /6to4 .* cloud-metadata/],
    ['http://[fd00:ec2::254]/', /cloud-metadata/],
    ['http://[fe80::1]/', /link-local/],
    ['http://public.example.com@127.0.0.1/', /127\.0\.0\.1 is a loopback/],
    ['http://metadata.google.internal/computeMetadata/v1/', /cloud-metadata name/],
    ['http://METADATA.google.internal./', /cloud-metadata name/],
    ['http://localhost:3000/', /loopback name/],
    ['http://api.localhost/', /loopback name/],
  ];

  it.each(urls)('checkUrl refuses %s without asking DNS', async (url, reason) => {
    const resolve = resolverThatMustNotBeCalled();
    const guard = guardWith({ resolve });
    const err = await expectRefused(guard.checkUrl(url, 'callback_url'), reason);
    expect(err.field).toBe('callback_url');
    expect(err.url).toBe(url);
    expect(err.kind).toBe('blocked_destination');
    expect(resolve).not.toHaveBeenCalled();
  });

  it.each([`http://${PUBLIC_V4}/`, `https://[${PUBLIC_V6}]:8443/x`, 'https://user:secret@93.184.216.34/'])(
    'checkUrl allows the public literal %s',
    async (url) => {
      const resolve = resolverThatMustNotBeCalled();
      await expect(guardWith({ resolve }).checkUrl(url, 'callback_url')).resolves.toBeUndefined();
    },
  );

  it('explains a refusal in one sentence with the way out for local development', async () => {
    const err = await expectRefused(guardWith().checkUrl('http://169.254.169.254/', 'callback_url'));
    expect(err.message).toBe(
      'callback_url http://169.254.169.254/ is refused: 169.254.169.254 is a link-local / cloud-metadata address. ' +
        'Set PULSE_ALLOW_PRIVATE_NETWORKS=true or add the host to PULSE_ALLOWED_HOSTS for local development.',
    );
    expect(err.reason).toBe('169.254.169.254 is a link-local / cloud-metadata address');
  });

  it.each([
    'ftp://example.com/file',
    'file:///etc/passwd',
    'gopher://example.com/',
    'javascript:alert(1)',
    'ws://x/',
  ])('refuses the non-http scheme of %s, even with private networks allowed', async (url) => {
    const err = await expectRefused(
      guardWith({ allowPrivateNetworks: true }).checkUrl(url, 'webhook_url'),
      /only http and https/,
    );
    expect(err.kind).toBe('unsupported_scheme');
    expect(err.message).not.toMatch(/PULSE_ALLOW_PRIVATE_NETWORKS/);
  });

  it.each(['not a url', '/relative/path', 'http://', 'http://[::1/'])(
    'refuses the unparseable %j',
    async (url) => {
      const err = await expectRefused(guardWith().checkUrl(url, 'callback_url'), /not a valid absolute URL/);
      expect(err.kind).toBe('invalid_url');
    },
  );
});

describe('hostnames through an injected resolver', () => {
  it.each(['10.0.0.1', '169.254.169.254', '::1', 'fd00:ec2::254', '::ffff:192.168.0.1'])(
    'refuses a name resolving to %s, asking only the resolver, with no connection made',
    async (address) => {
      const sentinel = await startSentinel();
      const resolve = resolverAnswering(address);
      const guard = guardWith({ resolve });
      const err = await expectRefused(
        guard.checkUrl(`http://innocent.example:${sentinel.port}/`, 'callback_url'),
        new RegExp(`innocent\\.example resolves to ${address.replace(/\./g, '\\.')}, which is`),
      );
      expect(err.message).toMatch(/^callback_url http:\/\/innocent\.example:\d+\/ is refused: /);
      expect(resolve).toHaveBeenCalledTimes(1);
      expect(resolve).toHaveBeenCalledWith('innocent.example');
      await settle();
      expect(sentinel.connections()).toBe(0);
    },
  );

  it('refuses a name when any one of its addresses is blocked', async () => {
    const guard = guardWith({ resolve: resolverAnswering(PUBLIC_V4, '10.0.0.1') });
    await expectRefused(guard.checkUrl('https://mixed.example/', 'callback_url'), /resolves to 10\.0\.0\.1/);
  });

  it('allows a name resolving only to public addresses', async () => {
    const resolve = resolverAnswering(PUBLIC_V4, PUBLIC_V6);
    await expect(guardWith({ resolve }).checkUrl('https://example.com/hook', 'callback_url')).resolves.toBe(
      undefined,
    );
    expect(resolve).toHaveBeenCalledWith('example.com');
  });

  it('leaves a name that does not resolve yet to the connection-time check', async () => {
    const resolve = vi.fn<HostResolver>(async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND later.example'), { code: 'ENOTFOUND' });
    });
    const guard = guardWith({ resolve });
    await expect(guard.checkUrl('https://later.example/', 'callback_url')).resolves.toBeUndefined();
    const err = await fetch('http://later.example/', { dispatcher: guard.dispatcher }).catch((e: Error) => e);
    expect((err as Error).cause).toMatchObject({ code: 'ENOTFOUND' });
  });
});

describe('connection-time checks', () => {
  it('refuses through the dispatcher a name that re-resolves to 127.0.0.1 after passing checkUrl (DNS rebinding)', async () => {
    const server = await startHttpServer();
    const answers = [PUBLIC_V4, '127.0.0.1'];
    const resolve = vi.fn<HostResolver>(async () => [toResolved(answers.shift() ?? '127.0.0.1')]);
    const guard = guardWith({ resolve });
    const url = `http://rebind.example:${server.port}/`;

    await expect(guard.checkUrl(url, 'callback_url')).resolves.toBeUndefined();
    await expectFetchRefused(
      fetch(url, { dispatcher: guard.dispatcher }),
      /rebind\.example resolves to 127\.0\.0\.1, which is a loopback address/,
    );
    expect(resolve).toHaveBeenCalledTimes(2);
    await settle();
    expect(server.connections()).toBe(0);
  });

  it.each(['127.0.0.1', '[::ffff:127.0.0.1]', '0x7f.1', '2130706433'])(
    'refuses the literal %s through the dispatcher, although undici never calls lookup for it',
    async (host) => {
      const server = await startHttpServer();
      const resolve = resolverThatMustNotBeCalled();
      const guard = guardWith({ resolve });
      await expectFetchRefused(
        fetch(`http://${host}:${server.port}/`, { dispatcher: guard.dispatcher }),
        /127\.0\.0\.1,? (which )?is a loopback address/,
      );
      expect(resolve).not.toHaveBeenCalled();
      await settle();
      expect(server.connections()).toBe(0);
    },
  );

  it('refuses a name resolving to 127.0.0.1 through the dispatcher', async () => {
    const server = await startHttpServer();
    const guard = guardWith({ resolve: resolverAnswering('127.0.0.1') });
    await expectFetchRefused(
      fetch(`http://sneaky.example:${server.port}/`, { dispatcher: guard.dispatcher }),
    );
    await settle();
    expect(server.connections()).toBe(0);
  });

  it('follows no automatic redirect into blocked space', async () => {
    const sentinel = await startHttpServer();
    const origin = await startHttpServer({ '/start': `http://127.0.0.1:${sentinel.port}/` });
    const guard = guardWith({ allowedHosts: ['origin.example'], resolve: resolverAnswering('127.0.0.1') });
    await expectFetchRefused(
      fetch(`http://origin.example:${origin.port}/start`, { dispatcher: guard.dispatcher }),
      /127\.0\.0\.1 is a loopback/,
    );
    expect(origin.connections()).toBe(1);
    await settle();
    expect(sentinel.connections()).toBe(0);
  });

  it('checks a manually followed redirect with guardedRedirectTarget', async () => {
    const origin = await startHttpServer({
      '/metadata': 'http://169.254.169.254/latest/meta-data/',
      '/relative': '/next?x=1',
    });
    const guard = guardWith({ allowedHosts: ['origin.example'], resolve: resolverAnswering('127.0.0.1') });
    const from = `http://origin.example:${origin.port}/metadata`;
    const response = await fetch(from, { dispatcher: guard.dispatcher, redirect: 'manual' });
    expect(response.status).toBe(302);
    const err = await expectRefused(
      guard.guardedRedirectTarget(from, response.headers.get('location') ?? ''),
      /cloud-metadata/,
    );
    expect(err.message).toMatch(/^redirect from http:\/\/origin\.example:\d+\/metadata to http:\/\/169\.254/);

    const relativeFrom = `http://origin.example:${origin.port}/relative`;
    const relative = await fetch(relativeFrom, { dispatcher: guard.dispatcher, redirect: 'manual' });
    await expect(
      guard.guardedRedirectTarget(relativeFrom, relative.headers.get('location') ?? ''),
    ).resolves.toBe(`http://origin.example:${origin.port}/next?x=1`);
  });

  it('resolves Location against the URL that answered it before judging it', async () => {
    const guard = guardWith({ resolve: resolverAnswering(PUBLIC_V4) });
    await expectRefused(
      guard.guardedRedirectTarget('https://example.com/a', '//169.254.169.254/latest'),
      /cloud-metadata/,
    );
    await expectRefused(
      guard.guardedRedirectTarget('https://example.com/a', 'file:///etc/passwd'),
      /only http/,
    );
    await expect(guard.guardedRedirectTarget('https://example.com/a/b', '../c')).resolves.toBe(
      'https://example.com/c',
    );
  });

  it('refuses in net.connect and http.request through the lookup option, with no connection made', async () => {
    const sentinel = await startSentinel();
    const guard = guardWith({ resolve: resolverAnswering('127.0.0.1') });

    const socket = netConnect({ host: 'net.example', port: sentinel.port, lookup: guard.lookup });
    expect(await errorBefore(socket, 'connect')).toBeInstanceOf(DestinationRefusedError);

    const request = httpRequest({ host: 'http.example', port: sentinel.port, lookup: guard.lookup });
    request.end();
    expect(await errorBefore(request, 'response')).toBeInstanceOf(DestinationRefusedError);

    await settle();
    expect(sentinel.connections()).toBe(0);
  });

  it('refuses in the ws client through the lookup option, with no connection made', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    servers.push(wss);
    await once(wss, 'listening');
    let connections = 0;
    wss.on('connection', (ws) => {
      connections++;
      ws.close();
    });
    const port = (wss.address() as AddressInfo).port;
    const resolve = resolverAnswering('127.0.0.1');

    const refused = new WebSocket(`ws://agent.example:${port}/api/v1/agents/a/run-stream`, {
      lookup: guardWith({ resolve }).lookup,
    });
    const err = await errorBefore(refused, 'open');
    expect(err).toBeInstanceOf(DestinationRefusedError);
    expect((err as DestinationRefusedError).reason).toMatch(/agent\.example resolves to 127\.0\.0\.1/);
    expect(resolve).toHaveBeenCalledWith('agent.example');

    // The same client with the host allowed connects, so it really is the guard's lookup that ws used.
    const allowed = new WebSocket(`ws://agent.example:${port}/`, {
      lookup: guardWith({ resolve, allowedHosts: ['agent.example'] }).lookup,
    });
    await once(allowed, 'open');
    allowed.close();
    await once(allowed, 'close');
    expect(connections).toBe(1);
  });

  it('answers in both dns.lookup forms: a single address, or all of them with all: true', async () => {
    const guard = guardWith({ allowPrivateNetworks: true, resolve: resolverAnswering('127.0.0.1', '::1') });
    const lookup = (options: LookupOptions | number) =>
      new Promise<{ address: string | LookupAddress[]; family?: number }>((resolve, reject) =>
        guard.lookup('both.example', options, (err, address, family) =>
          err ? reject(err) : resolve({ address, family }),
        ),
      );
    await expect(lookup({})).resolves.toEqual({ address: '127.0.0.1', family: 4 });
    await expect(lookup({ all: true })).resolves.toEqual({
      address: [
        { address: '127.0.0.1', family: 4 },
        { address: '::1', family: 6 },
      ],
      family: undefined,
    });
    await expect(lookup({ family: 6 })).resolves.toEqual({ address: '::1', family: 6 });
    await expect(lookup(4)).resolves.toEqual({ address: '127.0.0.1', family: 4 });
    const twoArguments = await new Promise((resolve) =>
      guard.lookup('both.example', (err, address, family) => resolve({ err, address, family })),
    );
    expect(twoArguments).toEqual({ err: null, address: '127.0.0.1', family: 4 });

    const strict = guardWith({ resolve: resolverAnswering(PUBLIC_V4, '10.0.0.1') });
    const refused = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      strict.lookup('mixed.example', { all: true }, (err) => resolve(err)),
    );
    expect(refused).toBeInstanceOf(DestinationRefusedError);
  });
});

describe('opening the guard up for local development', () => {
  it('allowPrivateNetworks lets a fetch through the dispatcher reach a real server on 127.0.0.1', async () => {
    const server = await startHttpServer();
    const guard = guardWith({ allowPrivateNetworks: true, resolve: resolverAnswering('127.0.0.1') });
    for (const url of [`http://127.0.0.1:${server.port}/`, `http://dev.example:${server.port}/`]) {
      await guard.checkUrl(url, 'callback_url');
      const response = await fetch(url, { dispatcher: guard.dispatcher });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('ok');
    }
    await guard.checkUrl('http://169.254.169.254/', 'callback_url');
  });

  it("allowedHosts ['localhost'] lets only localhost through", async () => {
    const server = await startHttpServer();
    const guard = guardWith({ allowedHosts: ['localhost'], resolve: resolverAnswering('127.0.0.1') });
    const url = `http://localhost:${server.port}/`;
    await guard.checkUrl(url, 'callback_url');
    const response = await fetch(url, { dispatcher: guard.dispatcher });
    expect(await response.text()).toBe('ok');

    await expectRefused(
      guard.checkUrl(`http://127.0.0.1:${server.port}/`, 'callback_url'),
      /loopback address/,
    );
    await expectRefused(
      guard.checkUrl(`http://app.localhost:${server.port}/`, 'callback_url'),
      /loopback name/,
    );
    await expectRefused(
      guard.checkUrl(`http://other.example:${server.port}/`, 'callback_url'),
      /resolves to/,
    );
    await expectFetchRefused(fetch(`http://127.0.0.1:${server.port}/`, { dispatcher: guard.dispatcher }));
    await expectFetchRefused(fetch(`http://other.example:${server.port}/`, { dispatcher: guard.dispatcher }));
    expect(server.connections()).toBe(1);
  });

  it('matches *.suffix entries on subdomains only, and exact IP entries', async () => {
    const guard = guardWith({
      allowedHosts: ['*.internal.example', '10.1.2.3', '[FD00::1]'],
      resolve: resolverAnswering('10.0.0.1'),
    });
    await guard.checkUrl('http://api.internal.example/', 'callback_url');
    await guard.checkUrl('http://a.b.internal.example./', 'callback_url');
    await guard.checkUrl('http://10.1.2.3:9000/', 'callback_url');
    await guard.checkUrl('http://[fd00:0:0:0:0:0:0:1]/', 'callback_url');
    await expectRefused(guard.checkUrl('http://internal.example/', 'callback_url'));
    await expectRefused(guard.checkUrl('http://evilinternal.example/', 'callback_url'));
    await expectRefused(guard.checkUrl('http://10.1.2.4/', 'callback_url'));
  });

  it('reads PULSE_ALLOW_PRIVATE_NETWORKS and PULSE_ALLOWED_HOSTS, refusing by default', async () => {
    const resolve = resolverAnswering('10.0.0.1');
    const byDefault = destinationGuardFromEnv({}, resolve);
    guards.push(byDefault);
    await expectRefused(byDefault.checkUrl('http://10.0.0.1/', 'callback_url'));

    const open = destinationGuardFromEnv({ PULSE_ALLOW_PRIVATE_NETWORKS: 'true' }, resolve);
    guards.push(open);
    await open.checkUrl('http://10.0.0.1/', 'callback_url');

    const closed = destinationGuardFromEnv({ PULSE_ALLOW_PRIVATE_NETWORKS: 'false' }, resolve);
    guards.push(closed);
    await expectRefused(closed.checkUrl('http://10.0.0.1/', 'callback_url'));

    const listed = destinationGuardFromEnv(
      { PULSE_ALLOWED_HOSTS: ' receiver.lan , *.dev.example ,' },
      resolve,
    );
    guards.push(listed);
    await listed.checkUrl('http://receiver.lan/', 'callback_url');
    await listed.checkUrl('http://x.dev.example/', 'callback_url');
    await expectRefused(listed.checkUrl('http://other.lan/', 'callback_url'));

    expect(() => destinationGuardFromEnv({ PULSE_ALLOW_PRIVATE_NETWORKS: 'maybe' })).toThrow(
      /PULSE_ALLOW_PRIVATE_NETWORKS must be true or false/,
    );
    expect(() => destinationGuardFromEnv({ PULSE_ALLOWED_HOSTS: 'http://receiver.lan:8080' })).toThrow(
      /PULSE_ALLOWED_HOSTS entry 'http:\/\/receiver.lan:8080'/,
    );
  });
});
