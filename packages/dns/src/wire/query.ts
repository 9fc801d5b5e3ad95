import { EDNS_UDP_SIZE, Flag, HEADER_SIZE, Type } from './constants.js';
import { nameToLabels } from './names.js';

export interface QueryOptions {
  id?: number;
  /** QTYPE (default A). */
  type?: number;
  /** The header's second word (default: RD set). */
  flags?: number;
  /** Add an OPT record (UDP size 1232, version 0). */
  edns?: boolean;
}

/** A query as a stub resolver sends it: one question, class IN, RD set, optionally EDNS. */
export function encodeQuery(name: string, o: QueryOptions = {}): Buffer {
  const labels = nameToLabels(name);
  const qlen = labels.reduce((n, l) => n + 1 + l.length, 1) + 4;
  const out = Buffer.alloc(HEADER_SIZE + qlen + (o.edns ? 11 : 0));
  out.writeUInt16BE(o.id ?? 0, 0);
  out.writeUInt16BE(o.flags ?? Flag.RD, 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(o.edns ? 1 : 0, 10);
  let p = HEADER_SIZE;
  for (const l of labels) {
    out[p++] = l.length;
    p += out.write(l, p, 'latin1');
  }
  out[p++] = 0;
  out.writeUInt16BE(o.type ?? Type.A, p);
  out.writeUInt16BE(1, p + 2); // IN
  if (o.edns) {
    p += 4;
    out.writeUInt16BE(Type.OPT, p + 1);
    out.writeUInt16BE(EDNS_UDP_SIZE, p + 3);
  }
  return out;
}
