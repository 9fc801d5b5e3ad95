import { parseIPv4 } from '@kemu/common';
import { ipv6Groups } from './addresses.js';
import { CLASSIC_UDP_SIZE, EDNS_UDP_SIZE, Flag, HEADER_SIZE, Type } from './constants.js';
import type { Answer, RData, ResourceRecord } from './message.js';
import { lowerAscii, nameToLabels } from './names.js';
import type { Query } from './parse.js';

/**
 * Writes DNS messages with name compression (RFC 1035 4.1.4). Hand-written rather than
 * built with dns2's encoder: dns2 does not compress names, which makes every answer with
 * more than a few records larger than 512 octets, and its per-message object model is
 * what kept a dns2 server near 18k queries/s on these machines (the issue's target is
 * 0.6x dnsmasq, about 63k/s).
 */
class Writer {
  buf: Buffer;
  len = 0;
  /** Lowered name suffix (presentation form) -> offset of its first label. */
  private readonly names = new Map<string, number>();

  constructor(size = 512) {
    this.buf = Buffer.allocUnsafe(size);
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(bigger, 0, 0, this.len);
    this.buf = bigger;
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.len++] = v;
  }
  u16(v: number): void {
    this.room(2);
    this.buf.writeUInt16BE(v, this.len);
    this.len += 2;
  }
  u32(v: number): void {
    this.room(4);
    this.buf.writeUInt32BE(v >>> 0, this.len);
    this.len += 4;
  }
  bytes(b: Buffer | Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  latin1(s: string): void {
    this.room(s.length);
    this.buf.write(s, this.len, 'latin1');
    this.len += s.length;
  }
  /** Remembers that `name` (presentation form) is written at `offset`, for later pointers. */
  remember(name: string, offset: number): void {
    const { labels, key, starts } = splitName(name);
    let at = offset;
    for (let i = 0; i < labels.length && at < 0x4000; i++) {
      const suffix = key.slice(starts[i]);
      if (!this.names.has(suffix)) this.names.set(suffix, at);
      at += labels[i]!.length + 1;
    }
  }
  name(name: string, compress = true): void {
    const { labels, key, starts } = splitName(name);
    for (let i = 0; i < labels.length; i++) {
      const suffix = key.slice(starts[i]);
      const at = compress ? this.names.get(suffix) : undefined;
      if (at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (compress && this.len < 0x4000) this.names.set(suffix, this.len);
      const l = labels[i]!;
      this.u8(l.length);
      this.latin1(l);
    }
    this.u8(0);
  }
}

/** A name's labels, its lowered wire key, and where each label starts in the key. */
function splitName(name: string): { labels: string[]; key: string; starts: number[] } {
  const labels = nameToLabels(name);
  const starts: number[] = [];
  let key = '';
  for (const l of labels) {
    starts.push(key.length);
    key += String.fromCharCode(l.length) + l;
  }
  return { labels, key: lowerAscii(key), starts };
}

function ipv4(addr: string): Buffer {
  const n = parseIPv4(addr);
  if (n === undefined) throw new Error(`not an IPv4 address: ${addr}`);
  const out = Buffer.alloc(4);
  out.writeUInt32BE(n);
  return out;
}

function ipv6(addr: string): Buffer {
  const groups = ipv6Groups(addr);
  if (!groups) throw new Error(`not an IPv6 address: ${addr}`);
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

function writeRData(w: Writer, d: RData): void {
  const lenAt = w.len;
  w.u16(0);
  const start = w.len;
  if ('raw' in d) w.bytes(d.raw);
  else if (d.type === Type.A) w.bytes(ipv4(d.address));
  else if (d.type === Type.AAAA) w.bytes(ipv6(d.address));
  else if (d.type === Type.SRV) {
    w.u16(d.priority);
    w.u16(d.weight);
    w.u16(d.port);
    w.name(d.target, false); // RFC 2782: the target is not compressed
  } else if (d.type === Type.TXT) {
    for (const t of d.texts) {
      const b = Buffer.from(t, 'utf8');
      for (let i = 0; i < Math.max(1, b.length); i += 255) {
        const part = b.subarray(i, i + 255);
        w.u8(part.length);
        w.bytes(part);
      }
    }
  } else if (d.type === Type.SOA) {
    w.name(d.mname);
    w.name(d.rname);
    w.u32(d.serial);
    w.u32(d.refresh);
    w.u32(d.retry);
    w.u32(d.expire);
    w.u32(d.minimum);
  } else w.name(d.target); // NS, CNAME, PTR
  w.buf.writeUInt16BE(w.len - start, lenAt);
}

export interface Encoded {
  wire: Buffer;
  /** Offsets of each record's TTL field, to age cached copies. */
  ttlOffsets: number[];
}

export interface EncodeOptions {
  /** Recursion available (RA). */
  recursionAvailable: boolean;
  truncated?: boolean;
}

/**
 * Encodes `answer` as the reply to `query`: same ID, opcode, RD and CD; the question
 * copied octet for octet (so the client's letter case comes back); an OPT record when
 * the query had one.
 */
export function encodeResponse(query: Query, answer: Answer, opts: EncodeOptions): Encoded {
  const w = new Writer(512);
  const ext = answer.rcode >> 4;
  let flags = Flag.QR | (query.flags & (0x7800 | Flag.RD | Flag.CD)) | (answer.rcode & 0xf);
  if (answer.authoritative) flags |= Flag.AA;
  if (opts.recursionAvailable) flags |= Flag.RA;
  if (opts.truncated) flags |= Flag.TC;
  w.u16(query.id);
  w.u16(flags);
  w.u16(1);
  w.u16(answer.answer.length);
  w.u16(answer.authority.length);
  w.u16(answer.additional.length + (query.edns ? 1 : 0));
  w.bytes(query.packet.subarray(HEADER_SIZE, query.questionEnd));
  w.remember(query.name, HEADER_SIZE);
  const ttlOffsets: number[] = [];
  const rr = (r: ResourceRecord): void => {
    w.name(r.name);
    w.u16(r.data.type);
    w.u16(1); // IN
    ttlOffsets.push(w.len);
    w.u32(r.ttl);
    writeRData(w, r.data);
  };
  answer.answer.forEach(rr);
  answer.authority.forEach(rr);
  answer.additional.forEach(rr);
  if (query.edns) writeOpt(w, ext, query.edns.dnssecOk);
  return { wire: w.buf.subarray(0, w.len), ttlOffsets };
}

function writeOpt(w: Writer, extRcode: number, dnssecOk: boolean): void {
  w.u8(0);
  w.u16(Type.OPT);
  w.u16(EDNS_UDP_SIZE);
  w.u8(extRcode);
  w.u8(0); // version
  w.u16(dnssecOk ? 0x8000 : 0);
  w.u16(0);
}

/**
 * The reply to a packet that could not be answered normally (FORMERR, NOTIMP, BADVERS):
 * the header with the question when it was readable, an OPT record when the query had one.
 */
export function encodeError(id: number, flags: number, rcode: number, query: Query | undefined): Buffer {
  if (query) return encodeResponse(query, { rcode, authoritative: false, answer: [], authority: [], additional: [] }, { recursionAvailable: true }).wire;
  const w = new Writer(HEADER_SIZE + 11);
  w.u16(id);
  w.u16(Flag.QR | (flags & (0x7800 | Flag.RD | Flag.CD)) | Flag.RA | (rcode & 0xf));
  w.u16(0);
  w.u16(0);
  w.u16(0);
  w.u16(rcode > 15 ? 1 : 0);
  if (rcode > 15) writeOpt(w, rcode >> 4, false);
  return w.buf.subarray(0, w.len);
}

/** What is left of a message that does not fit: header, question and OPT, with TC set. */
export function truncate(query: Query, answer: Answer, recursionAvailable: boolean): Buffer {
  const empty = { ...answer, answer: [], authority: [], additional: [] };
  return encodeResponse(query, empty, { recursionAvailable, truncated: true }).wire;
}

/** Largest reply to `query` over UDP: 512 without EDNS, else its size capped at 1232. */
export function udpLimit(query: Query): number {
  return query.edns ? Math.min(query.edns.udpSize, EDNS_UDP_SIZE) : CLASSIC_UDP_SIZE;
}

