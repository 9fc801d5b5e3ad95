// IPv4 addresses as unsigned 32-bit numbers, so ranges and containment are arithmetic.

const OCTET = /^(0|[1-9][0-9]{0,2})$/;

/** The address as an unsigned 32-bit number, or undefined when `s` is not a dotted quad (no leading zeros). */
export function parseIPv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!OCTET.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}
