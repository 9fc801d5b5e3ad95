/** DNS numbers (RFC 1035, 3596, 2782, 6891): resource record types, classes, opcodes, rcodes. */

export const Type = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
} as const;

export const Class = { IN: 1, CH: 3, NONE: 254, ANY: 255 } as const;

export const Opcode = { QUERY: 0 } as const;

export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  /** Extended (needs OPT): the upper 8 bits go in the OPT record's TTL field. */
  BADVERS: 16,
} as const;

const TYPE_NAMES = new Map<number, string>(Object.entries(Type).map(([k, v]) => [v, k]));
const RCODE_NAMES = new Map<number, string>(Object.entries(Rcode).map(([k, v]) => [v, k]));

/** `A`, `SRV`, or `TYPE65` for types without a mnemonic (RFC 3597). */
export const typeName = (t: number): string => TYPE_NAMES.get(t) ?? `TYPE${t}`;
export const rcodeName = (r: number): string => RCODE_NAMES.get(r) ?? `RCODE${r}`;

/** A type's number from its mnemonic (any case) or RFC 3597's `TYPEnnn`; undefined if neither. */
export function parseTypeName(s: string): number | undefined {
  const up = s.toUpperCase();
  if (Object.hasOwn(Type, up)) return Type[up as keyof typeof Type];
  const m = /^TYPE(\d{1,5})$/.exec(up);
  return m && Number(m[1]) < 65536 ? Number(m[1]) : undefined;
}

/** Header flag bits in the second 16-bit word. */
export const Flag = { QR: 0x8000, AA: 0x0400, TC: 0x0200, RD: 0x0100, RA: 0x0080, AD: 0x0020, CD: 0x0010 } as const;

export const HEADER_SIZE = 12;
/** Largest UDP answer to a client that did not send EDNS (RFC 1035). */
export const CLASSIC_UDP_SIZE = 512;
/** Largest UDP answer kemu sends to an EDNS client (the DNS flag day 2020 default). */
export const EDNS_UDP_SIZE = 1232;
/** Names are at most 255 octets on the wire, labels at most 63. */
export const MAX_NAME_OCTETS = 255;
export const MAX_LABEL_OCTETS = 63;
