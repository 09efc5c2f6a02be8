/**
 * Which IP addresses a user-supplied destination may never reach: loopback, private, link-local, cloud-metadata,
 * unique-local, multicast and reserved space, in IPv4 and IPv6, including IPv6 forms that embed an IPv4 address
 * (mapped, compatible, NAT64, 6to4), whose embedded address is what the packets finally reach. Pure functions;
 * the guard in `ssrf-guard.ts` decides when to ask.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** The verdict on one address; `reason` is a sentence fragment naming the address and what it is. */
export interface AddressClassification {
  readonly blocked: boolean;
  readonly reason?: string;
}

interface Ipv4Range {
  readonly base: number;
  readonly bits: number;
  readonly kind: string;
}

interface Ipv6Range {
  readonly base: bigint;
  readonly bits: number;
  readonly kind: string;
}

// First match wins, so single addresses with a more telling name come before the block that contains them.
const IPV4_BLOCKED: readonly Ipv4Range[] = (
  [
    ['169.254.169.254/32', 'a link-local / cloud-metadata address'],
    ['100.100.100.200/32', 'a cloud-metadata address (Alibaba Cloud)'],
    ['168.63.129.16/32', 'a cloud platform address (Azure WireServer)'],
    ['0.0.0.0/8', 'an unspecified ("this network") address'],
    ['10.0.0.0/8', 'a private (RFC 1918) address'],
    ['100.64.0.0/10', 'a carrier-grade NAT (RFC 6598) address'],
    ['127.0.0.0/8', 'a loopback address'],
    ['169.254.0.0/16', 'a link-local address'],
    ['172.16.0.0/12', 'a private (RFC 1918) address'],
    ['192.0.0.0/24', 'an IETF protocol-assignment address'],
    ['192.0.2.0/24', 'a documentation (TEST-NET-1) address'],
    ['192.88.99.0/24', 'a 6to4 relay anycast address'],
    ['192.168.0.0/16', 'a private (RFC 1918) address'],
    ['198.18.0.0/15', 'a benchmarking (RFC 2544) address'],
    ['198.51.100.0/24', 'a documentation (TEST-NET-2) address'],
    ['203.0.113.0/24', 'a documentation (TEST-NET-3) address'],
    ['224.0.0.0/4', 'a multicast address'],
    ['240.0.0.0/4', 'a reserved (240.0.0.0/4 or broadcast) address'],
  ] as const
).map(([cidr, kind]) => ipv4Range(cidr, kind));

// Inside ::/96 (IPv4-compatible), so matched before the embedding prefixes below.
const IPV6_UNSPECIFIED = ipv6Range('::/128', 'an unspecified address');
const IPV6_LOOPBACK = ipv6Range('::1/128', 'a loopback address');

const IPV6_BLOCKED: readonly Ipv6Range[] = (
  [
    ['fd00:ec2::254/128', 'a cloud-metadata address (AWS instance metadata over IPv6)'],
    ['64:ff9b:1::/48', 'a local-use NAT64 (RFC 8215) address'],
    ['100::/64', 'a discard-only address'],
    ['2001::/32', 'a Teredo tunnel address'],
    ['2001:2::/48', 'a benchmarking address'],
    ['2001:10::/28', 'an ORCHID address'],
    ['2001:20::/28', 'an ORCHIDv2 address'],
    ['2001:db8::/32', 'a documentation address'],
    ['3fff::/20', 'a documentation address'],
    ['fc00::/7', 'a unique-local address'],
    ['fe80::/10', 'a link-local address'],
    ['fec0::/10', 'a site-local (deprecated) address'],
    ['ff00::/8', 'a multicast address'],
  ] as const
).map(([cidr, kind]) => ipv6Range(cidr, kind));

// IPv6 prefixes whose low (or, for 6to4, middle) 32 bits are an IPv4 address the traffic is delivered to; the
// verdict is the embedded address's.
const EMBEDDING_PREFIXES: readonly { readonly range: Ipv6Range; readonly shift: bigint }[] = [
  { range: ipv6Range('::ffff:0:0/96', 'an IPv4-mapped IPv6 address'), shift: 0n },
  { range: ipv6Range('::ffff:0:0:0/96', 'an IPv4-translated IPv6 address'), shift: 0n },
  { range: ipv6Range('64:ff9b::/96', 'a NAT64 address'), shift: 0n },
  { range: ipv6Range('2002::/16', 'a 6to4 address'), shift: 80n },
  { range: ipv6Range('::/96', 'an IPv4-compatible IPv6 address'), shift: 0n },
];

const GLOBAL_UNICAST = ipv6Range('2000::/3', 'global unicast');

/**
 * Classifies one IP address (IPv4 in any inet_aton spelling such as `0x7f.1` or `2130706433`, or IPv6 with an
 * optional `%zone`). Anything that is not an IP address is blocked: a caller must never be able to slip a
 * hostname past a check meant for resolved addresses.
 */
export function classifyAddress(ip: string): AddressClassification {
  const kind = blockedAddressKind(ip);
  return kind === undefined ? { blocked: false } : { blocked: true, reason: `${ip} is ${kind}` };
}

/** What makes `ip` blocked, as a phrase with its article (`a loopback address`), or undefined when it is not. */
export function blockedAddressKind(ip: string): string | undefined {
  const v4 = parseIpv4(ip);
  if (v4 !== undefined) return ipv4Kind(v4);
  const v6 = parseIpv6(ip);
  if (v6 !== undefined) return ipv6Kind(v6);
  return 'not an IP address';
}

function ipv4Kind(address: number): string | undefined {
  return IPV4_BLOCKED.find((range) => inIpv4Range(address, range))?.kind;
}

function ipv6Kind(address: bigint): string | undefined {
  if (inIpv6Range(address, IPV6_UNSPECIFIED)) return IPV6_UNSPECIFIED.kind;
  if (inIpv6Range(address, IPV6_LOOPBACK)) return IPV6_LOOPBACK.kind;
  for (const { range, shift } of EMBEDDING_PREFIXES) {
    if (!inIpv6Range(address, range)) continue;
    const embedded = Number((address >> shift) & 0xffffffffn);
    const embeddedKind = ipv4Kind(embedded);
    return embeddedKind === undefined
      ? undefined
      : `${range.kind} for ${formatIpv4(embedded)}, which is ${embeddedKind}`;
  }
  const listed = IPV6_BLOCKED.find((range) => inIpv6Range(address, range));
  if (listed) return listed.kind;
  // Everything outside 2000::/3 not named above is unassigned or special-purpose; nothing legitimate lives there.
  if (!inIpv6Range(address, GLOBAL_UNICAST))
    return 'a reserved IPv6 address (outside global unicast 2000::/3)';
  return undefined;
}

function inIpv4Range(address: number, range: Ipv4Range): boolean {
  if (range.bits === 0) return true;
  const shift = 32 - range.bits;
  return address >>> shift === range.base >>> shift;
}

function inIpv6Range(address: bigint, range: Ipv6Range): boolean {
  const shift = BigInt(128 - range.bits);
  return address >> shift === range.base >> shift;
}

function ipv4Range(cidr: string, kind: string): Ipv4Range {
  const [address, bits] = cidr.split('/');
  const base = parseIpv4(address ?? '');
  if (base === undefined) throw new Error(`bad IPv4 range ${cidr}`);
  return { base, bits: Number(bits), kind };
}

function ipv6Range(cidr: string, kind: string): Ipv6Range {
  const [address, bits] = cidr.split('/');
  const base = parseIpv6(address ?? '');
  if (base === undefined) throw new Error(`bad IPv6 range ${cidr}`);
  return { base, bits: Number(bits), kind };
}

/**
 * Parses IPv4 the way inet_aton (and the WHATWG URL parser) does: one to four dot-separated parts, each
 * decimal, `0x` hex or leading-zero octal, the last filling the remaining bytes. getaddrinfo accepts these
 * spellings, so a check that knew only dotted-quad decimal could be walked around with `0177.1`.
 */
export function parseIpv4(text: string): number | undefined {
  if (isIPv4(text)) {
    return text.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
  }
  if (!/^[0-9a-fx.]+$/i.test(text)) return undefined;
  const parts = text.endsWith('.') ? text.slice(0, -1).split('.') : text.split('.');
  if (parts.length === 0 || parts.length > 4) return undefined;
  const numbers: number[] = [];
  for (const part of parts) {
    const value = parseIpv4Part(part);
    if (value === undefined) return undefined;
    numbers.push(value);
  }
  const last = numbers.pop() as number;
  if (numbers.some((n) => n > 255) || last >= 256 ** (4 - numbers.length)) return undefined;
  return numbers.reduce((acc, n, index) => acc + n * 256 ** (3 - index), 0) + last;
}

function parseIpv4Part(part: string): number | undefined {
  let digits = part;
  let radix = 10;
  if (/^0x/i.test(part)) {
    digits = part.slice(2);
    radix = 16;
  } else if (part.length > 1 && part.startsWith('0')) {
    digits = part.slice(1);
    radix = 8;
  }
  if (digits === '') return radix === 16 ? 0 : undefined;
  const pattern = radix === 16 ? /^[0-9a-f]+$/i : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!pattern.test(digits)) return undefined;
  const value = parseInt(digits, radix);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** Parses an IPv6 address (with optional brackets, `%zone` and trailing dotted IPv4) to its 128-bit value. */
export function parseIpv6(text: string): bigint | undefined {
  let address = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = address.indexOf('%');
  if (zone !== -1) address = address.slice(0, zone);
  if (!isIPv6(address)) return undefined;

  const groups: number[] = [];
  const lastColon = address.lastIndexOf(':');
  const tail = address.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIpv4(tail) as number;
    address = `${address.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head = '', rest] = address.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = rest === undefined ? 0 : 8 - headGroups.length - restGroups.length;
  for (const group of headGroups) groups.push(parseInt(group, 16));
  for (let i = 0; i < missing; i++) groups.push(0);
  for (const group of restGroups) groups.push(parseInt(group, 16));
  if (groups.length !== 8) return undefined;
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(group), 0n);
}

function formatIpv4(address: number): string {
  return [24, 16, 8, 0].map((shift) => (address >>> shift) & 0xff).join('.');
}
