/**
 * IP parsing with the semantics Kubernetes validation uses (k8s.io/utils/net
 * ParseIPSloppy: Go's pre-1.17 parser, which accepts IPv4 octets with leading zeros).
 * An IPv4-mapped IPv6 address counts as IPv4, as Go's To4() does.
 */

export type IPFamily = 'IPv4' | 'IPv6';

export interface IP {
  readonly family: IPFamily;
  /** 4 bytes for IPv4, 16 for IPv6. */
  readonly bytes: readonly number[];
}

export function parseIP(s: string): IP | undefined {
  if (s.includes(':')) {
    const b = parseIPv6(s);
    if (!b) return undefined;
    const mapped = b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
    return mapped ? { family: 'IPv4', bytes: b.slice(12) } : { family: 'IPv6', bytes: b };
  }
  const b = parseIPv4(s);
  return b ? { family: 'IPv4', bytes: b } : undefined;
}

function parseIPv4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^[0-9]+$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

function parseIPv6(s: string): number[] | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    const parts = h.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (!v4) return undefined;
        out.push(...v4);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
      const n = parseInt(p, 16);
      out.push(n >> 8, n & 0xff);
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 1) return head.length === 16 ? head : undefined;
  // "::" stands for at least one zero group.
  if (head.length + tail.length > 14) return undefined;
  return [...head, ...new Array<number>(16 - head.length - tail.length).fill(0), ...tail];
}

export function isUnspecified(ip: IP): boolean {
  return ip.bytes.every((b) => b === 0);
}

export function isLoopback(ip: IP): boolean {
  if (ip.family === 'IPv4') return ip.bytes[0] === 127;
  return ip.bytes.slice(0, 15).every((b) => b === 0) && ip.bytes[15] === 1;
}

export function isLinkLocalUnicast(ip: IP): boolean {
  if (ip.family === 'IPv4') return ip.bytes[0] === 169 && ip.bytes[1] === 254;
  return ip.bytes[0] === 0xfe && (ip.bytes[1]! & 0xc0) === 0x80;
}

export function isLinkLocalMulticast(ip: IP): boolean {
  if (ip.family === 'IPv4') return ip.bytes[0] === 224 && ip.bytes[1] === 0 && ip.bytes[2] === 0;
  return ip.bytes[0] === 0xff && (ip.bytes[1]! & 0x0f) === 0x02;
}

/** Go's net.IP String(): dotted quad, or RFC 5952 IPv6 with the longest zero run as "::". */
export function formatIP(ip: IP): string {
  if (ip.family === 'IPv4') return ip.bytes.join('.');
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((ip.bytes[i]! << 8) | ip.bytes[i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** A parsed CIDR: the network address (host bits cleared) and the prefix length. */
export interface CIDR {
  readonly network: IP;
  readonly prefix: number;
  readonly text: string;
}

export function parseCIDR(s: string): CIDR | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIP(s.slice(0, slash));
  const bitsText = s.slice(slash + 1);
  if (!ip || !/^[0-9]{1,3}$/.test(bitsText)) return undefined;
  const prefix = Number(bitsText);
  if (prefix > ip.bytes.length * 8) return undefined;
  const bytes = ip.bytes.map((b, i) => {
    const keep = Math.min(8, Math.max(0, prefix - i * 8));
    return b & ((0xff << (8 - keep)) & 0xff);
  });
  return { network: { family: ip.family, bytes }, prefix, text: s };
}

/** Whether `ip` is in `cidr` and is neither its network nor (IPv4) broadcast address. */
export function isAllocatableIn(cidr: CIDR, ip: IP): boolean {
  if (ip.family !== cidr.network.family) return false;
  let network = true;
  let broadcast = true;
  for (let i = 0; i < ip.bytes.length; i++) {
    const keep = Math.min(8, Math.max(0, cidr.prefix - i * 8));
    const mask = (0xff << (8 - keep)) & 0xff;
    if ((ip.bytes[i]! & mask) !== cidr.network.bytes[i]) return false;
    const host = ip.bytes[i]! & ~mask & 0xff;
    if (host !== 0) network = false;
    if (host !== (~mask & 0xff)) broadcast = false;
  }
  return !network && !(broadcast && ip.family === 'IPv4');
}
