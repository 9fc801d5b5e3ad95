import { isIPv4 } from 'node:net';

/** An inclusive range of IPv4 addresses, as 32-bit unsigned integers. */
export interface IpRange {
  readonly first: number;
  readonly last: number;
}

/** A pool entry that is not an IPv4 range, CIDR or address; names the entry and why. */
export class LoadBalancerPoolError extends Error {
  override readonly name = 'LoadBalancerPoolError';
  constructor(
    readonly entry: string,
    reason: string,
  ) {
    super(`load balancer pool: ${JSON.stringify(entry)}: ${reason}`);
  }
}

/**
 * The addresses LoadBalancer Services may get: sorted, non-overlapping ranges.
 * Invariant: ranges are sorted by `first`, disjoint and non-adjacent.
 */
export class IpPool {
  readonly size: number;

  private constructor(readonly ranges: readonly IpRange[]) {
    this.size = ranges.reduce((n, r) => n + (r.last - r.first + 1), 0);
  }

  /**
   * Parses entries "a.b.c.d-e.f.g.h" (inclusive), "a.b.c.d/n" (without its network and
   * broadcast addresses, for prefixes up to /30) or a single "a.b.c.d". Overlapping
   * entries are merged. Throws LoadBalancerPoolError naming the first bad entry.
   */
  static parse(entries: readonly string[]): IpPool {
    const ranges: IpRange[] = [];
    for (const raw of entries) {
      const entry = raw.trim();
      if (entry === '') continue;
      ranges.push(parseEntry(entry));
    }
    ranges.sort((a, b) => a.first - b.first);
    const merged: IpRange[] = [];
    for (const r of ranges) {
      const prev = merged[merged.length - 1];
      if (prev && r.first <= prev.last + 1) merged[merged.length - 1] = { first: prev.first, last: Math.max(prev.last, r.last) };
      else merged.push(r);
    }
    return new IpPool(merged);
  }

  contains(ip: string): boolean {
    const n = ipToNumber(ip);
    return n !== undefined && this.ranges.some((r) => n >= r.first && n <= r.last);
  }

  /** The lowest address for which `taken` is false, if any. */
  lowestFree(taken: (n: number) => boolean): number | undefined {
    for (const r of this.ranges) {
      for (let n = r.first; n <= r.last; n++) if (!taken(n)) return n;
    }
    return undefined;
  }
}

function parseEntry(entry: string): IpRange {
  const dash = entry.indexOf('-');
  if (dash >= 0) {
    const first = address(entry, entry.slice(0, dash).trim());
    const last = address(entry, entry.slice(dash + 1).trim());
    if (first > last) throw new LoadBalancerPoolError(entry, 'range ends before it starts');
    return { first, last };
  }
  const slash = entry.indexOf('/');
  if (slash >= 0) {
    const base = address(entry, entry.slice(0, slash));
    const bitsText = entry.slice(slash + 1);
    const bits = Number(bitsText);
    if (!/^\d{1,2}$/.test(bitsText) || bits > 32) throw new LoadBalancerPoolError(entry, 'prefix length must be 0-32');
    const size = 2 ** (32 - bits);
    if (base % size !== 0) {
      throw new LoadBalancerPoolError(entry, `host bits set; the network is ${numberToIp(base - (base % size))}/${bits}`);
    }
    // Network and broadcast addresses are not handed out where the prefix has them.
    return bits <= 30 ? { first: base + 1, last: base + size - 2 } : { first: base, last: base + size - 1 };
  }
  const n = address(entry, entry);
  return { first: n, last: n };
}

function address(entry: string, text: string): number {
  const n = ipToNumber(text);
  if (n === undefined) {
    throw new LoadBalancerPoolError(entry, `${JSON.stringify(text)} is not an IPv4 address (kemu load balancers are IPv4 only)`);
  }
  return n;
}

export function ipToNumber(ip: string): number | undefined {
  if (!isIPv4(ip)) return undefined;
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

export function numberToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}
