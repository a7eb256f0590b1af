/**
 * The address ranges a TURN relay must never reach on a client's behalf: every entry of IANA's
 * IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and updates), plus multicast and the
 * reserved IPv4 block, and IPv4-mapped IPv6 (`::ffff:0:0/96`: coturn before 4.9.0 let such a peer
 * past `denied-peer-ip`, CVE-2026-27624). Why each is here is in its note. The SFU's own address
 * is allowed on top of these (coturn-config.ts).
 */
export interface SpecialRange {
  readonly cidr: string;
  readonly note: string;
}

export const SPECIAL_IPV4: readonly SpecialRange[] = [
  { cidr: '0.0.0.0/8', note: '"this network" (RFC 791)' },
  { cidr: '10.0.0.0/8', note: 'private (RFC 1918)' },
  { cidr: '100.64.0.0/10', note: 'shared address space, CGNAT (RFC 6598)' },
  { cidr: '127.0.0.0/8', note: 'loopback (RFC 1122)' },
  { cidr: '169.254.0.0/16', note: 'link-local, cloud metadata 169.254.169.254 (RFC 3927)' },
  { cidr: '172.16.0.0/12', note: 'private (RFC 1918)' },
  { cidr: '192.0.0.0/24', note: 'IETF protocol assignments (RFC 6890)' },
  { cidr: '192.0.2.0/24', note: 'documentation TEST-NET-1 (RFC 5737)' },
  { cidr: '192.31.196.0/24', note: 'AS112-v4 (RFC 7535)' },
  { cidr: '192.52.193.0/24', note: 'AMT (RFC 7450)' },
  { cidr: '192.88.99.0/24', note: 'deprecated 6to4 relay anycast (RFC 7526)' },
  { cidr: '192.168.0.0/16', note: 'private (RFC 1918)' },
  { cidr: '192.175.48.0/24', note: 'direct delegation AS112 service (RFC 7534)' },
  { cidr: '198.18.0.0/15', note: 'benchmarking (RFC 2544)' },
  { cidr: '198.51.100.0/24', note: 'documentation TEST-NET-2 (RFC 5737)' },
  { cidr: '203.0.113.0/24', note: 'documentation TEST-NET-3 (RFC 5737)' },
  { cidr: '224.0.0.0/4', note: 'multicast (RFC 5771)' },
  { cidr: '240.0.0.0/4', note: 'reserved, and limited broadcast 255.255.255.255 (RFC 1112, RFC 919)' },
];

export const SPECIAL_IPV6: readonly SpecialRange[] = [
  { cidr: '::/128', note: 'unspecified (RFC 4291)' },
  { cidr: '::1/128', note: 'loopback (RFC 4291)' },
  { cidr: '::/96', note: 'deprecated IPv4-compatible (RFC 4291)' },
  { cidr: '::ffff:0:0/96', note: 'IPv4-mapped (RFC 4291); CVE-2026-27624 in coturn < 4.9.0' },
  { cidr: '64:ff9b::/96', note: 'IPv4/IPv6 translation (RFC 6052)' },
  { cidr: '64:ff9b:1::/48', note: 'local-use IPv4/IPv6 translation (RFC 8215)' },
  { cidr: '100::/64', note: 'discard-only (RFC 6666)' },
  { cidr: '2001::/23', note: 'IETF protocol assignments, Teredo 2001::/32 among them (RFC 2928, RFC 4380)' },
  { cidr: '2001:db8::/32', note: 'documentation (RFC 3849)' },
  { cidr: '2002::/16', note: '6to4 (RFC 3056)' },
  { cidr: '3fff::/20', note: 'documentation (RFC 9637)' },
  { cidr: '5f00::/16', note: 'segment routing SIDs (RFC 9602)' },
  { cidr: 'fc00::/7', note: 'unique local, ULA (RFC 4193)' },
  { cidr: 'fe80::/10', note: 'link-local (RFC 4291)' },
  { cidr: 'fec0::/10', note: 'deprecated site-local (RFC 3879)' },
  { cidr: 'ff00::/8', note: 'multicast (RFC 4291)' },
];

/** An IPv4 CIDR as coturn's `first-last` range. */
export function ipv4Range(cidr: string): string {
  const [address, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const value = ipv4ToNumber(address!);
  const size = 2 ** (32 - bits);
  const first = value - (value % size);
  return `${numberToIpv4(first)}-${numberToIpv4(first + size - 1)}`;
}

/** An IPv6 CIDR as coturn's `first-last` range (full, uncompressed groups). */
export function ipv6Range(cidr: string): string {
  const [address, bitsText] = cidr.split('/');
  const bits = BigInt(Number(bitsText));
  const value = ipv6ToBigInt(address!);
  const hostBits = 128n - bits;
  const mask = (1n << hostBits) - 1n;
  const first = value & ~mask & ((1n << 128n) - 1n);
  return `${bigIntToIpv6(first)}-${bigIntToIpv6(first | mask)}`;
}

export function ipv4ToNumber(address: string): number {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${address}`);
  return parts.reduce((n, p) => n * 256 + p, 0);
}

function numberToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

export function ipv6ToBigInt(address: string): bigint {
  let text = address;
  // A trailing dotted IPv4 part (::ffff:1.2.3.4) is two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4ToNumber(dotted[1]!);
    text = `${text.slice(0, dotted.index)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) throw new Error(`not an IPv6 address: ${address}`);
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) throw new Error(`not an IPv6 address: ${address}`);
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  let value = 0n;
  for (const g of groups) {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) throw new Error(`not an IPv6 address: ${address}`);
    value = (value << 16n) | BigInt(parseInt(g, 16));
  }
  return value;
}

function bigIntToIpv6(value: bigint): string {
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((value >> BigInt(i * 16)) & 0xffffn).toString(16));
  return groups.join(':');
}
