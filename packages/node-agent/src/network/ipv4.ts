// IPv4 addresses and CIDRs as numbers, so containment and ordering are arithmetic.
// Parsing is strict (dotted quad, no leading zeros, aligned or maskable CIDRs) because
// every string that passes ends up on an `ip` command line.
import { formatIPv4, parseIPv4 } from '@kemu/common';

/** An IPv4 network: `base` is the network address (host bits zero), 0 <= prefix <= 32. */
export interface Cidr4 {
  readonly base: number;
  readonly prefix: number;
}

/** A string given as an IPv4 address or CIDR is not one. */
export class AddressFormatError extends Error {
  override readonly name = 'AddressFormatError';
  constructor(
    readonly field: string,
    readonly value: string,
    expected: string,
  ) {
    super(`${field}: Invalid value: ${JSON.stringify(value)}: must be ${expected}`);
  }
}

export { parseIPv4, formatIPv4 };

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/**
 * Parses `a.b.c.d/p` (a bare address means /32). Host bits are cleared, so
 * `10.244.1.7/24` reads as 10.244.1.0/24. Undefined when `s` is not an IPv4 CIDR.
 */
export function parseCidr4(s: string): Cidr4 | undefined {
  const slash = s.indexOf('/');
  const addr = parseIPv4(slash < 0 ? s : s.slice(0, slash));
  if (addr === undefined) return undefined;
  let prefix = 32;
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (!/^(0|[1-9][0-9]?)$/.test(p)) return undefined;
    prefix = Number(p);
    if (prefix > 32) return undefined;
  }
  return { base: (addr & mask(prefix)) >>> 0, prefix };
}

export function formatCidr4(c: Cidr4): string {
  return `${formatIPv4(c.base)}/${c.prefix}`;
}

/** Parses every CIDR or throws AddressFormatError naming `field[i]`. */
export function parseCidrList(field: string, cidrs: readonly string[]): Cidr4[] {
  return cidrs.map((s, i) => {
    const c = parseCidr4(s);
    if (!c) throw new AddressFormatError(`${field}[${i}]`, s, 'an IPv4 CIDR such as 10.96.0.0/16');
    return c;
  });
}

/** True when `inner` lies entirely inside `outer`. */
export function cidrContains(outer: Cidr4, inner: Cidr4): boolean {
  return inner.prefix >= outer.prefix && (inner.base & mask(outer.prefix)) >>> 0 === outer.base;
}

export function cidrsOverlap(a: Cidr4, b: Cidr4): boolean {
  return cidrContains(a, b) || cidrContains(b, a);
}

export function containsAddress(cidr: Cidr4, address: number): boolean {
  return cidrContains(cidr, { base: address, prefix: 32 });
}

/** Orders CIDRs by network address, then shorter prefix first. */
export function compareCidr4(a: Cidr4, b: Cidr4): number {
  return a.base - b.base || a.prefix - b.prefix;
}
