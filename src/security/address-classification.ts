/**
 * Which IP addresses a user-supplied destination may never reach: loopback, private, link-local, cloud-metadata,
 * unique-local, multicast and reserved space, in IPv4 and IPv6, including IPv6 forms that embed an IPv4 address
 * (mapped, compatible, NAT64, 6to4), whose embedded address is what the packets finally reach. Parsing (every
 * inet_aton spelling of IPv4, IPv6 zones) and CIDR matching are ipaddr.js's; this file holds only the tables and
 * the sentence a refusal reads as. Pure functions; the guard in `ssrf-guard.ts` decides when to ask.
 */
import { isIPv6 } from 'node:net';
import ipaddr from 'ipaddr.js';

/** The verdict on one address; `reason` is a sentence fragment naming the address and what it is. */
export interface AddressClassification {
  readonly blocked: boolean;
  readonly reason?: string;
}

type Cidr<T> = [T, number];

function rangeList<T extends ipaddr.IPv4 | ipaddr.IPv6>(
  parse: (cidr: string) => Cidr<T>,
  table: readonly (readonly [kind: string, ...cidrs: string[]])[],
): Record<string, Cidr<T>[]> {
  return Object.fromEntries(table.map(([kind, ...cidrs]) => [kind, cidrs.map((cidr) => parse(cidr))]));
}

// subnetMatch takes the first kind (in this order) with a matching range, so single addresses with a more telling
// name come before the block that contains them.
const IPV4_BLOCKED = rangeList(
  (cidr) => ipaddr.IPv4.parseCIDR(cidr),
  [
    ['a link-local / cloud-metadata address', '169.254.169.254/32'],
    ['a cloud-metadata address (Alibaba Cloud)', '100.100.100.200/32'],
    ['a cloud platform address (Azure WireServer)', '168.63.129.16/32'],
    ['an unspecified ("this network") address', '0.0.0.0/8'],
    ['a private (RFC 1918) address', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'],
    ['a carrier-grade NAT (RFC 6598) address', '100.64.0.0/10'],
    ['a loopback address', '127.0.0.0/8'],
    ['a link-local address', '169.254.0.0/16'],
    ['an IETF protocol-assignment address', '192.0.0.0/24'],
    ['a documentation (TEST-NET-1) address', '192.0.2.0/24'],
    ['a 6to4 relay anycast address', '192.88.99.0/24'],
    ['a benchmarking (RFC 2544) address', '198.18.0.0/15'],
    ['a documentation (TEST-NET-2) address', '198.51.100.0/24'],
    ['a documentation (TEST-NET-3) address', '203.0.113.0/24'],
    ['a multicast address', '224.0.0.0/4'],
    ['a reserved (240.0.0.0/4 or broadcast) address', '240.0.0.0/4'],
  ],
);

// `::` and `::1` lie inside ::/96 (IPv4-compatible), so they are matched before the embedding prefixes below.
const IPV6_SPECIAL = rangeList(
  (cidr) => ipaddr.IPv6.parseCIDR(cidr),
  [
    ['an unspecified address', '::/128'],
    ['a loopback address', '::1/128'],
  ],
);

const IPV6_BLOCKED = rangeList(
  (cidr) => ipaddr.IPv6.parseCIDR(cidr),
  [
    ['a cloud-metadata address (AWS instance metadata over IPv6)', 'fd00:ec2::254/128'],
    ['a local-use NAT64 (RFC 8215) address', '64:ff9b:1::/48'],
    ['a discard-only address', '100::/64'],
    ['a Teredo tunnel address', '2001::/32'],
    ['a benchmarking address', '2001:2::/48'],
    ['an ORCHID address', '2001:10::/28'],
    ['an ORCHIDv2 address', '2001:20::/28'],
    ['a documentation address', '2001:db8::/32', '3fff::/20'],
    ['a unique-local address', 'fc00::/7'],
    ['a link-local address', 'fe80::/10'],
    ['a site-local (deprecated) address', 'fec0::/10'],
    ['a multicast address', 'ff00::/8'],
  ],
);

// IPv6 prefixes with an IPv4 address the traffic is delivered to, at byte `at` (the low 32 bits, or for 6to4 the
// 32 after the prefix); the verdict is the embedded address's.
const EMBEDDING_PREFIXES: readonly {
  readonly kind: string;
  readonly range: Cidr<ipaddr.IPv6>;
  readonly at: number;
}[] = (
  [
    ['an IPv4-mapped IPv6 address', '::ffff:0:0/96', 12],
    ['an IPv4-translated IPv6 address', '::ffff:0:0:0/96', 12],
    ['a NAT64 address', '64:ff9b::/96', 12],
    ['a 6to4 address', '2002::/16', 2],
    ['an IPv4-compatible IPv6 address', '::/96', 12],
  ] as const
).map(([kind, cidr, at]) => ({ kind, range: ipaddr.IPv6.parseCIDR(cidr), at }));

const GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR('2000::/3');
const NOT_LISTED = '';

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
  // inet_aton (and so getaddrinfo) accepts `0177.1` and `2130706433`; a dotted-quad-only check could be walked around.
  if (ipaddr.IPv4.isValid(ip)) return ipv4Kind(ipaddr.IPv4.parse(ip));
  const v6 = parseIpv6(ip);
  return v6 === undefined ? 'not an IP address' : ipv6Kind(v6);
}

function ipv4Kind(address: ipaddr.IPv4): string | undefined {
  return ipaddr.subnetMatch(address, IPV4_BLOCKED, NOT_LISTED) || undefined;
}

function ipv6Kind(address: ipaddr.IPv6): string | undefined {
  const special = ipaddr.subnetMatch(address, IPV6_SPECIAL, NOT_LISTED);
  if (special) return special;
  const embedding = EMBEDDING_PREFIXES.find(({ range }) => address.match(range));
  if (embedding) {
    const embedded = new ipaddr.IPv4(address.toByteArray().slice(embedding.at, embedding.at + 4));
    const embeddedKind = ipv4Kind(embedded);
    return embeddedKind && `${embedding.kind} for ${embedded.toString()}, which is ${embeddedKind}`;
  }
  const listed = ipaddr.subnetMatch(address, IPV6_BLOCKED, NOT_LISTED);
  if (listed) return listed;
  // Everything outside 2000::/3 not named above is unassigned or special-purpose; nothing legitimate lives there.
  return address.match(GLOBAL_UNICAST)
    ? undefined
    : 'a reserved IPv6 address (outside global unicast 2000::/3)';
}

/** An IPv6 address with optional brackets and `%zone`, or undefined when `text` is not one. */
function parseIpv6(text: string): ipaddr.IPv6 | undefined {
  const bare = text.replace(/^\[(.*)\]$/, '$1').split('%')[0] ?? '';
  if (!isIPv6(bare)) return undefined;
  // ipaddr.js reads the deprecated `::a.b.c.d` (IPv4-compatible) spelling as IPv4-mapped `::ffff:a.b.c.d`; the
  // WHATWG URL parser's canonical hex form keeps the address what it is.
  return ipaddr.IPv6.parse(new URL(`http://[${bare}]/`).hostname.slice(1, -1));
}
