/**
 * Just enough of the DNS wire format (RFC 1035, 3596, 2782, 6891) for `kemu dns query`:
 * one question out, a whole reply in, records shown in dig's presentation format.
 * Parsing is strict: a reply that runs past its end or loops through compression
 * pointers throws DnsFormatError.
 */

export const RR_TYPES = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const;
export type RrTypeName = keyof typeof RR_TYPES;

export const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'] as const;

export class DnsFormatError extends Error {
  override readonly name = 'DnsFormatError';
}

export function typeName(t: number): string {
  for (const [name, code] of Object.entries(RR_TYPES)) if (code === t) return name;
  return `TYPE${t}`;
}

export function parseType(s: string): number | undefined {
  const up = s.toUpperCase();
  if (Object.hasOwn(RR_TYPES, up)) return RR_TYPES[up as RrTypeName];
  const m = /^TYPE(\d{1,5})$/.exec(up);
  return m && Number(m[1]) < 65536 ? Number(m[1]) : undefined;
}

export const rcodeName = (r: number): string => RCODES[r] ?? `RCODE${r}`;

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
  rcode: number;
  questions: Array<{ name: string; type: number; class: number }>;
  answer: DnsRecord[];
  authority: DnsRecord[];
  /** Without the OPT pseudo-record (its UDP size is in `ednsUdpSize`). */
  additional: DnsRecord[];
  ednsUdpSize?: number;
}

/** A fully qualified name with its final dot ("." for the root). */
export function fqdn(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

function encodeName(name: string): Buffer {
  const parts: Buffer[] = [];
  for (const label of fqdn(name).split('.').slice(0, -1)) {
    const b = Buffer.from(label, 'utf8');
    if (b.length === 0 || b.length > 63) throw new DnsFormatError(`bad name "${name}": labels are 1 to 63 bytes`);
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  const out = Buffer.concat(parts);
  if (out.length > 255) throw new DnsFormatError(`bad name "${name}": longer than 255 bytes`);
  return out;
}

/** A standard query with RD set and an EDNS OPT record advertising `udpSize`. */
export function encodeQuery(id: number, name: string, type: number, udpSize = 1232): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id & 0xffff, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(1, 10); // one additional: OPT
  const q = Buffer.alloc(4);
  q.writeUInt16BE(type, 0);
  q.writeUInt16BE(1, 2); // IN
  const opt = Buffer.alloc(11);
  opt.writeUInt8(0, 0); // root name
  opt.writeUInt16BE(RR_TYPES.OPT, 1);
  opt.writeUInt16BE(udpSize, 3);
  // TTL (extended rcode, version, flags) and RDLENGTH stay 0.
  return Buffer.concat([header, encodeName(name), q, opt]);
}

class Reader {
  constructor(
    readonly buf: Buffer,
    public at = 0,
  ) {}

  need(n: number): void {
    if (this.at + n > this.buf.length) throw new DnsFormatError(`reply truncated at byte ${this.at}`);
  }
  u8(): number {
    this.need(1);
    return this.buf.readUInt8(this.at++);
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.at);
    this.at += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return b;
  }

  /** A possibly compressed name; pointers must go backwards, so a loop cannot happen. */
  name(): string {
    const labels: string[] = [];
    let at = this.at;
    let resumeAt: number | undefined;
    let limit = at;
    for (let steps = 0; steps < 128; steps++) {
      if (at >= this.buf.length) throw new DnsFormatError(`name runs past the reply at byte ${at}`);
      const len = this.buf.readUInt8(at);
      if ((len & 0xc0) === 0xc0) {
        if (at + 1 >= this.buf.length) throw new DnsFormatError('truncated compression pointer');
        const target = ((len & 0x3f) << 8) | this.buf.readUInt8(at + 1);
        if (target >= limit) throw new DnsFormatError(`compression pointer at byte ${at} does not point backwards`);
        resumeAt ??= at + 2;
        limit = target;
        at = target;
        continue;
      }
      if (len & 0xc0) throw new DnsFormatError(`unknown label type at byte ${at}`);
      if (len === 0) {
        this.at = resumeAt ?? at + 1;
        return labels.length ? `${labels.join('.')}.` : '.';
      }
      if (at + 1 + len > this.buf.length) throw new DnsFormatError('label runs past the reply');
      labels.push(escapeLabel(this.buf.subarray(at + 1, at + 1 + len)));
      at += 1 + len;
    }
    throw new DnsFormatError('name has too many labels');
  }
}

function escapeLabel(b: Buffer): string {
  let s = '';
  for (const c of b) {
    if (c === 0x2e || c === 0x5c) s += `\\${String.fromCharCode(c)}`;
    else if (c < 0x21 || c > 0x7e) s += `\\${String(c).padStart(3, '0')}`;
    else s += String.fromCharCode(c);
  }
  return s;
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

function ipv6(b: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i));
  // The longest run of two or more zero groups becomes "::" (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function rdata(r: Reader, type: number, len: number): string {
  const end = r.at + len;
  r.need(len);
  let out: string;
  switch (type) {
    case RR_TYPES.A:
      if (len !== 4) throw new DnsFormatError(`A record of ${len} bytes`);
      out = [...r.bytes(4)].join('.');
      break;
    case RR_TYPES.AAAA:
      if (len !== 16) throw new DnsFormatError(`AAAA record of ${len} bytes`);
      out = ipv6(r.bytes(16));
      break;
    case RR_TYPES.NS:
    case RR_TYPES.CNAME:
    case RR_TYPES.PTR:
      out = r.name();
      break;
    case RR_TYPES.MX:
      out = `${r.u16()} ${r.name()}`;
      break;
    case RR_TYPES.SRV:
      out = `${r.u16()} ${r.u16()} ${r.u16()} ${r.name()}`;
      break;
    case RR_TYPES.SOA:
      out = `${r.name()} ${r.name()} ${r.u32()} ${r.u32()} ${r.u32()} ${r.u32()} ${r.u32()}`;
      break;
    case RR_TYPES.TXT: {
      const parts: string[] = [];
      while (r.at < end) parts.push(quoteText(r.bytes(r.u8())));
      out = parts.join(' ');
      break;
    }
    default:
      out = `\\# ${len} ${r.bytes(len).toString('hex')}`;
  }
  if (r.at !== end) throw new DnsFormatError(`${typeName(type)} record data is ${len} bytes but its fields take ${r.at - (end - len)}`);
  return out;
}

/** Parses a whole reply. */
export function decodeMessage(buf: Buffer): DnsMessage {
  const r = new Reader(buf);
  const id = r.u16();
  const f = r.u16();
  const counts = [r.u16(), r.u16(), r.u16(), r.u16()] as const;
  const msg: DnsMessage = {
    id,
    flags: { qr: !!(f & 0x8000), aa: !!(f & 0x0400), tc: !!(f & 0x0200), rd: !!(f & 0x0100), ra: !!(f & 0x0080), ad: !!(f & 0x0020), cd: !!(f & 0x0010) },
    opcode: (f >> 11) & 0xf,
    rcode: f & 0xf,
    questions: [],
    answer: [],
    authority: [],
    additional: [],
  };
  for (let i = 0; i < counts[0]; i++) msg.questions.push({ name: r.name(), type: r.u16(), class: r.u16() });
  const section = (n: number, into: DnsRecord[]): void => {
    for (let i = 0; i < n; i++) {
      const name = r.name();
      const type = r.u16();
      const klass = r.u16();
      const ttl = r.u32();
      const len = r.u16();
      if (type === RR_TYPES.OPT) {
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

/** The in-addr.arpa name of an IPv4 address (what `dig -x` asks), or undefined. */
export function reverseName(ip: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m || m.slice(1).some((o) => Number(o) > 255)) return undefined;
  return `${m.slice(1).reverse().join('.')}.in-addr.arpa.`;
}
