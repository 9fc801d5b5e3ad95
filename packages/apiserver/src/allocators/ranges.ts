/**
 * The address and port ranges kemu allocates from, with Kubernetes' split into a static
 * band (low end, for values users ask for) and a dynamic band (the rest, where automatic
 * allocation looks first, falling back to the static band only when the dynamic one is
 * full). Pure: the driver passes what is taken and a random source.
 */
import { formatIPv4, parseIPv4 } from '@kemu/common';

export class IPRange {
  readonly base: number;
  readonly size: number;
  constructor(readonly cidr: string) {
    const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr);
    const ip = m ? parseIPv4(m[1]!) : undefined;
    const bits = m ? Number(m[2]) : NaN;
    if (ip === undefined || !(bits >= 8 && bits <= 30)) throw new Error(`invalid service CIDR ${JSON.stringify(cidr)}`);
    this.size = 2 ** (32 - bits);
    this.base = ip - (ip % this.size);
  }
  contains(ip: string): boolean {
    const n = parseIPv4(ip);
    return n !== undefined && n >= this.base && n < this.base + this.size;
  }
  /** Offsets 1..size-2 are usable (the network and broadcast addresses are not). */
  usable(ip: string): boolean {
    const n = parseIPv4(ip);
    return n !== undefined && n > this.base && n < this.base + this.size - 1;
  }
  at(offset: number): string {
    return formatIPv4(this.base + offset);
  }
  /** The first usable address: the `kubernetes` Service's ClusterIP. */
  first(): string {
    return this.at(1);
  }
  /** Kubernetes: min(max(16, size/16), 256) addresses at the low end are the static band. */
  staticBand(): number {
    return Math.min(Math.max(16, Math.floor(this.size / 16)), 256);
  }
}

export function pickClusterIP(range: IPRange, taken: (ip: string) => boolean, random: () => number): string | undefined {
  const lastUsable = range.size - 2;
  const staticEnd = Math.min(range.staticBand(), lastUsable);
  return (
    pickIn(staticEnd + 1, lastUsable, (o) => !taken(range.at(o)), random, range.at.bind(range)) ??
    pickIn(1, staticEnd, (o) => !taken(range.at(o)), random, range.at.bind(range))
  );
}

export interface PortRange {
  min: number;
  max: number;
}

export function parsePortRange(s: string): PortRange {
  const m = /^(\d+)-(\d+)$/.exec(s.trim());
  const r = m ? { min: Number(m[1]), max: Number(m[2]) } : undefined;
  if (!r || r.min < 1 || r.max > 65535 || r.min > r.max) throw new Error(`invalid port range ${JSON.stringify(s)}`);
  return r;
}

/** Kubernetes: min(max(16, size/32), 128) ports at the low end are the static band. */
export function nodePortStaticBand(r: PortRange): number {
  const size = r.max - r.min + 1;
  return Math.min(Math.max(16, Math.floor(size / 32)), 128);
}

export function pickNodePort(r: PortRange, taken: (p: number) => boolean, random: () => number): number | undefined {
  const staticEnd = Math.min(r.min + nodePortStaticBand(r) - 1, r.max);
  return (
    pickIn(staticEnd + 1, r.max, (p) => !taken(p), random, (p) => p) ??
    pickIn(r.min, staticEnd, (p) => !taken(p), random, (p) => p)
  );
}

/** A random free value in [lo, hi]: a random start, then the next free one, wrapping. */
function pickIn<T>(lo: number, hi: number, free: (v: number) => boolean, random: () => number, out: (v: number) => T): T | undefined {
  if (hi < lo) return undefined;
  const n = hi - lo + 1;
  const start = Math.floor(random() * n);
  for (let i = 0; i < n; i++) {
    const v = lo + ((start + i) % n);
    if (free(v)) return out(v);
  }
  return undefined;
}
