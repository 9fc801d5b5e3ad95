import { Flag, HEADER_SIZE, MAX_LABEL_OCTETS, MAX_NAME_OCTETS, Opcode, Rcode, Type } from './constants.js';
import { keyToName, lowerAscii } from './names.js';

/** EDNS(0) from the query's OPT record (RFC 6891). */
export interface Edns {
  /** The requestor's UDP payload size, at least 512. */
  udpSize: number;
  version: number;
  dnssecOk: boolean;
}

/** A parsed query. The question's octets stay in `packet`; the name is made on demand. */
export class Query {
  private presentation: string | undefined;

  constructor(
    readonly packet: Buffer,
    readonly id: number,
    /** The header's second word: opcode, RD, CD and the rest, as sent. */
    readonly flags: number,
    /** The question name in wire key form (lowered), see names.ts. */
    readonly nameKey: string,
    readonly qtype: number,
    readonly qclass: number,
    /** Offset just past the question (QTYPE and QCLASS included). */
    readonly questionEnd: number,
    readonly edns: Edns | undefined,
  ) {}

  get opcode(): number {
    return (this.flags >> 11) & 0xf;
  }
  get recursionDesired(): boolean {
    return (this.flags & Flag.RD) !== 0;
  }
  /** The question name, lowered, in presentation form with the trailing dot. */
  get name(): string {
    return (this.presentation ??= keyToName(this.nameKey));
  }
}

/**
 * Why a packet is not a query kemu answers. `drop`: no reply at all (too short to have an
 * ID, or a response: answering responses invites loops). Otherwise the reply carries
 * `rcode`, and the question when it was read cleanly.
 */
export class ParseError extends Error {
  override readonly name = 'ParseError';
  constructor(
    message: string,
    readonly rcode: number | 'drop',
    readonly id = 0,
    readonly flags = 0,
    readonly query: Query | undefined = undefined,
  ) {
    super(message);
  }
}

/**
 * Reads a name starting at `off`. Compression pointers must point strictly backwards to
 * an earlier label and never into the header, so a pointer loop cannot exist; the total
 * length is checked against 255 octets as it is read. Returns the offset after the name
 * in the packet (after the first pointer, when there is one) and, if `wantKey`, the key.
 */
export function readName(buf: Buffer, off: number, wantKey: boolean): { next: number; key: string } {
  let key = '';
  let pos = off;
  let next = -1;
  let octets = 1;
  let floor = off; // pointers must land before the start of the labels that led to them
  for (;;) {
    if (pos >= buf.length) throw new Error('name runs past the end of the message');
    const len = buf[pos]!;
    if (len === 0) {
      if (next < 0) next = pos + 1;
      return { next, key };
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= buf.length) throw new Error('compression pointer runs past the end of the message');
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (target < HEADER_SIZE) throw new Error('compression pointer into the header');
      if (target >= floor) throw new Error('compression pointer does not point backwards');
      if (next < 0) next = pos + 2;
      floor = target;
      pos = target;
      continue;
    }
    if (kind !== 0) throw new Error(`label type 0x${kind.toString(16)} is not supported`);
    if (len > MAX_LABEL_OCTETS) throw new Error('label longer than 63 octets');
    octets += len + 1;
    if (octets > MAX_NAME_OCTETS) throw new Error('name longer than 255 octets');
    if (pos + 1 + len > buf.length) throw new Error('label runs past the end of the message');
    if (wantKey) key += buf.toString('latin1', pos, pos + 1 + len);
    pos += 1 + len;
  }
}

/** Skips one resource record; returns the offset after it, its fields, and where its data starts. */
export function skipRecord(buf: Buffer, off: number): { next: number; type: number; nameIsRoot: boolean; rrclass: number; ttl: number; rdata: number; rdlen: number } {
  const nameIsRoot = buf[off] === 0;
  const { next: p } = readName(buf, off, false);
  if (p + 10 > buf.length) throw new Error('resource record header runs past the end of the message');
  const type = buf.readUInt16BE(p);
  const rrclass = buf.readUInt16BE(p + 2);
  const ttl = buf.readUInt32BE(p + 4);
  const rdlen = buf.readUInt16BE(p + 8);
  if (p + 10 + rdlen > buf.length) throw new Error('record data runs past the end of the message');
  return { next: p + 10 + rdlen, type, nameIsRoot, rrclass, ttl, rdata: p + 10, rdlen };
}

/**
 * Parses a query as a server must before answering it (RFC 1035 4.1, RFC 6891): exactly
 * one question, every counted record present and well formed, nothing after the last
 * record, at most one OPT record and it owned by the root. Throws ParseError.
 */
export function parseQuery(buf: Buffer): Query {
  if (buf.length < HEADER_SIZE) throw new ParseError(`message of ${buf.length} octets is shorter than a header`, 'drop');
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  if (flags & Flag.QR) throw new ParseError('message is a response', 'drop', id, flags);
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  const ns = buf.readUInt16BE(8);
  const ar = buf.readUInt16BE(10);
  const opcode = (flags >> 11) & 0xf;
  if (qd !== 1) throw new ParseError(`QDCOUNT is ${qd}, not 1`, opcode === Opcode.QUERY ? Rcode.FORMERR : Rcode.NOTIMP, id, flags);

  let nameKey: string;
  let p: number;
  try {
    ({ next: p, key: nameKey } = readName(buf, HEADER_SIZE, true));
  } catch (err) {
    throw new ParseError(`question: ${(err as Error).message}`, Rcode.FORMERR, id, flags);
  }
  if (p + 4 > buf.length) throw new ParseError('question runs past the end of the message', Rcode.FORMERR, id, flags);
  const qtype = buf.readUInt16BE(p);
  const qclass = buf.readUInt16BE(p + 2);
  const questionEnd = p + 4;
  nameKey = lowerAscii(nameKey);

  let edns: Edns | undefined;
  let ednsError: string | undefined;
  let q = questionEnd;
  try {
    for (let i = 0; i < an + ns + ar; i++) {
      const rr = skipRecord(buf, q);
      if (rr.type === Type.OPT) {
        if (i < an + ns) throw new Error('OPT record outside the additional section');
        if (edns) throw new Error('more than one OPT record');
        if (!rr.nameIsRoot) throw new Error('OPT record not owned by the root');
        edns = { udpSize: Math.max(512, rr.rrclass), version: (rr.ttl >>> 16) & 0xff, dnssecOk: (rr.ttl & 0x8000) !== 0 };
        ednsError = checkOptions(buf, rr.rdata, rr.rdlen);
      }
      q = rr.next;
    }
    if (q !== buf.length) throw new Error(`${buf.length - q} octets after the last record`);
  } catch (err) {
    throw new ParseError((err as Error).message, Rcode.FORMERR, id, flags);
  }
  const query = new Query(buf, id, flags, nameKey, qtype, qclass, questionEnd, edns);
  if (ednsError) throw new ParseError(ednsError, Rcode.FORMERR, id, flags, query);
  if (opcode !== Opcode.QUERY) throw new ParseError(`opcode ${opcode} is not implemented`, Rcode.NOTIMP, id, flags, query);
  if (edns && edns.version !== 0) throw new ParseError(`EDNS version ${edns.version} is not supported`, Rcode.BADVERS, id, flags, query);
  if (an !== 0 || ns !== 0) throw new ParseError('a query carries no answer or authority records', Rcode.FORMERR, id, flags, query);
  return query;
}

/** EDNS options are (code, length, data) triples that must fill the OPT data exactly. */
function checkOptions(buf: Buffer, start: number, len: number): string | undefined {
  let p = start;
  const end = start + len;
  while (p < end) {
    if (p + 4 > end) return 'EDNS option header runs past the OPT record';
    const olen = buf.readUInt16BE(p + 2);
    p += 4 + olen;
  }
  return p === end ? undefined : 'EDNS option runs past the OPT record';
}
