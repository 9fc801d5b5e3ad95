import { HEADER_SIZE, Type } from './constants.js';
import { readName, skipRecord } from './parse.js';

/** The rcode of an encoded message (the header's 4 bits). */
export function rcodeOf(wire: Buffer): number {
  return wire.length >= 4 ? wire[3]! & 0xf : 0;
}

/**
 * Offsets of the TTL field of every answer, authority and additional record of an encoded
 * message (OPT excluded: its TTL field holds flags), with the TTLs found there. Throws on
 * a malformed message.
 */
export function ttlFields(wire: Buffer): Array<{ offset: number; ttl: number }> {
  const qd = wire.readUInt16BE(4);
  const records = wire.readUInt16BE(6) + wire.readUInt16BE(8) + wire.readUInt16BE(10);
  let p = HEADER_SIZE;
  for (let i = 0; i < qd; i++) p = readName(wire, p, false).next + 4;
  const out: Array<{ offset: number; ttl: number }> = [];
  for (let i = 0; i < records; i++) {
    const rr = skipRecord(wire, p);
    if (rr.type !== Type.OPT) out.push({ offset: rr.rdata - 6, ttl: rr.ttl });
    p = rr.next;
  }
  return out;
}
