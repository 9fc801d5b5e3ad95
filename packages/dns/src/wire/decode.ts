import { formatIPv6 } from './addresses.js';
import { Flag, HEADER_SIZE, Type, typeName } from './constants.js';
import { keyToName } from './names.js';
import { readName } from './parse.js';

/**
 * A whole DNS message read for showing it (`kemu dns query`), the other direction from
 * parseQuery: any message, records in dig's presentation format. Strict: a message that
 * runs past its end, loops through compression pointers or has record data that disagrees
 * with its length throws DecodeError.
 */

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

export interface DnsRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  /** The record data as dig prints it. */
  data: string;
}

export interface DnsMessage {
  id: number;
  flags: { qr: boolean; aa: boolean; tc: boolean; rd: boolean; ra: boolean; ad: boolean; cd: boolean };
  opcode: number;
  /** With the OPT record's extended bits. */
  rcode: number;
  questions: Array<{ name: string; type: number; class: number }>;
  answer: DnsRecord[];
  authority: DnsRecord[];
  /** Without the OPT pseudo-record (its UDP size is in `ednsUdpSize`). */
  additional: DnsRecord[];
  ednsUdpSize?: number;
}

class Reader {
  constructor(
    private readonly buf: Buffer,
    public at: number,
  ) {}

  need(n: number): void {
    if (this.at + n > this.buf.length) throw new DecodeError(`record runs past the end of the message at byte ${this.at}`);
  }
  u8(): number {
    this.need(1);
    return this.buf.readUInt8(this.at++);
  }
  u16(): number {
    this.need(2);
    this.at += 2;
    return this.buf.readUInt16BE(this.at - 2);
  }
  u32(): number {
    this.need(4);
    this.at += 4;
    return this.buf.readUInt32BE(this.at - 4);
  }
  bytes(n: number): Buffer {
    this.need(n);
    this.at += n;
    return this.buf.subarray(this.at - n, this.at);
  }
  name(): string {
    try {
      const { next, key } = readName(this.buf, this.at, true);
      this.at = next;
      return keyToName(key);
    } catch (err) {
      throw new DecodeError(`name at byte ${this.at}: ${(err as Error).message}`, { cause: err });
    }
  }
}

function quoteText(b: Buffer): string {
  let s = '"';
  for (const c of b) {
    if (c === 0x22 || c === 0x5c) s += `\\${String.fromCharCode(c)}`;
    else if (c < 0x20 || c > 0x7e) s += `\\${String(c).padStart(3, '0')}`;
    else s += String.fromCharCode(c);
  }
  return `${s}"`;
}

function rdata(r: Reader, type: number, len: number): string {
  r.need(len);
  const end = r.at + len;
  let out: string;
  switch (type) {
    case Type.A:
      if (len !== 4) throw new DecodeError(`A record of ${len} bytes`);
      out = [...r.bytes(4)].join('.');
      break;
    case Type.AAAA:
      if (len !== 16) throw new DecodeError(`AAAA record of ${len} bytes`);
      out = formatIPv6(r.bytes(16));
      break;
    case Type.NS:
    case Type.CNAME:
    case Type.PTR:
      out = r.name();
      break;
    case Type.MX:
      out = `${r.u16()} ${r.name()}`;
      break;
    case Type.SRV:
      out = `${r.u16()} ${r.u16()} ${r.u16()} ${r.name()}`;
      break;
    case Type.SOA:
      out = `${r.name()} ${r.name()} ${r.u32()} ${r.u32()} ${r.u32()} ${r.u32()} ${r.u32()}`;
      break;
    case Type.TXT: {
      const parts: string[] = [];
      while (r.at < end) parts.push(quoteText(r.bytes(r.u8())));
      out = parts.join(' ');
      break;
    }
    default:
      out = `\\# ${len} ${r.bytes(len).toString('hex')}`;
  }
  if (r.at !== end) throw new DecodeError(`${typeName(type)} record data is ${len} bytes but its fields take ${r.at - (end - len)}`);
  return out;
}

export function decodeMessage(buf: Buffer): DnsMessage {
  if (buf.length < HEADER_SIZE) throw new DecodeError(`message of ${buf.length} bytes is shorter than a header`);
  const f = buf.readUInt16BE(2);
  const has = (bit: number): boolean => (f & bit) !== 0;
  const msg: DnsMessage = {
    id: buf.readUInt16BE(0),
    flags: { qr: has(Flag.QR), aa: has(Flag.AA), tc: has(Flag.TC), rd: has(Flag.RD), ra: has(Flag.RA), ad: has(Flag.AD), cd: has(Flag.CD) },
    opcode: (f >> 11) & 0xf,
    rcode: f & 0xf,
    questions: [],
    answer: [],
    authority: [],
    additional: [],
  };
  const r = new Reader(buf, HEADER_SIZE);
  const counts = [4, 6, 8, 10].map((at) => buf.readUInt16BE(at)) as [number, number, number, number];
  for (let i = 0; i < counts[0]; i++) msg.questions.push({ name: r.name(), type: r.u16(), class: r.u16() });
  const section = (n: number, into: DnsRecord[]): void => {
    for (let i = 0; i < n; i++) {
      const name = r.name();
      const type = r.u16();
      const klass = r.u16();
      const ttl = r.u32();
      const len = r.u16();
      if (type === Type.OPT) {
        msg.ednsUdpSize = klass;
        msg.rcode |= ((ttl >>> 24) & 0xff) << 4;
        r.bytes(len);
        continue;
      }
      into.push({ name, type, class: klass, ttl, data: rdata(r, type, len) });
    }
  };
  section(counts[1], msg.answer);
  section(counts[2], msg.authority);
  section(counts[3], msg.additional);
  return msg;
}
