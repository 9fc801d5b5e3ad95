import { isIPv6 } from 'node:net';
import { parseIPv4 } from '@kemu/common';

/**
 * The eight 16-bit groups of an IPv6 address (`::` expanded, a dotted IPv4 tail as its
 * two groups), or undefined when `addr` is not IPv6.
 */
export function ipv6Groups(addr: string): number[] | undefined {
  if (!isIPv6(addr)) return undefined;
  let a = addr;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(a)?.[1];
  if (tail !== undefined) {
    const n = parseIPv4(tail) ?? 0;
    a = `${a.slice(0, -tail.length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head = '', rest] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = rest ? rest.split(':') : [];
  const groups = rest === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => parseInt(g, 16));
}

/** `2001:db8::1` -> `2001:0db8:0000:0000:0000:0000:0000:0001` (lower case); other strings unchanged. */
export function expandIPv6(addr: string): string {
  return ipv6Groups(addr)?.map((g) => g.toString(16).padStart(4, '0')).join(':') ?? addr;
}

/** Sixteen octets as RFC 5952 text (`fd00::1`): the URL standard's IPv6 serializer does exactly this. */
export function formatIPv6(octets: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(octets.readUInt16BE(i).toString(16));
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}
