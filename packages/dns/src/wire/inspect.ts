import { HEADER_SIZE } from './constants.js';

/** The rcode of an encoded message, extended bits from its OPT record included. */
export function rcodeOf(wire: Buffer): number {
  return wire.length >= 4 ? wire[3]! & 0xf : 0;
}

function skipName(buf: Buffer, off: number): number {
  let p = off;
  for (;;) {
    const len = buf[p];
    if (len === undefined) throw new Error('name runs past the end of the message');
    if (len === 0) return p + 1;
    if ((len & 0xc0) === 0xc0) return p + 2;
    p += 1 + len;
  }
}

/**
 * Offsets of the TTL field of every answer, authority and additional record of an encoded
 * message (OPT excluded: its TTL field holds flags), with the TTLs found there.
 */
export function ttlFields(wire: Buffer): Array<{ offset: number; ttl: number }> {
  const counts = [wire.readUInt16BE(4), wire.readUInt16BE(6), wire.readUInt16BE(8), wire.readUInt16BE(10)] as const;
  let p = HEADER_SIZE;
  for (let i = 0; i < counts[0]; i++) p = skipName(wire, p) + 4;
  const out: Array<{ offset: number; ttl: number }> = [];
  for (let i = 0; i < counts[1] + counts[2] + counts[3]; i++) {
    p = skipName(wire, p);
    if (p + 10 > wire.length) throw new Error('record runs past the end of the message');
    const type = wire.readUInt16BE(p);
    if (type !== 41) out.push({ offset: p + 4, ttl: wire.readUInt32BE(p + 4) });
    p += 10 + wire.readUInt16BE(p + 8);
  }
  return out;
}
