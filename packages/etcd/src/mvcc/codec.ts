// Byte formats shared with etcd's bbolt backend:
//  - key-bucket keys: 8-byte big-endian main revision, '_', 8-byte big-endian
//    sub revision (17 bytes), plus a trailing 't' for tombstones (18 bytes);
//  - key-bucket values: the protobuf encoding of mvccpb.KeyValue, fields in
//    number order and zero values omitted, as gogoproto marshals it;
//  - CRC-32C (Castagnoli), the checksum etcd's HashKV uses.

import type { KeyValue } from './types.js';

export const REV_BYTES_LEN = 17;
export const TOMBSTONE_MARK = 0x74; // 't'

const EMPTY: Buffer = Buffer.alloc(0);

export function revisionBytes(main: number, sub: number, tombstone = false): Buffer {
  const b = Buffer.alloc(tombstone ? REV_BYTES_LEN + 1 : REV_BYTES_LEN);
  b.writeBigUInt64BE(BigInt(main), 0);
  b[8] = 0x5f; // '_'
  b.writeBigUInt64BE(BigInt(sub), 9);
  if (tombstone) b[REV_BYTES_LEN] = TOMBSTONE_MARK;
  return b;
}

export interface DecodedRevision {
  readonly main: number;
  readonly sub: number;
  readonly tombstone: boolean;
}

export function parseRevisionBytes(b: Uint8Array): DecodedRevision | undefined {
  if (b.length !== REV_BYTES_LEN && b.length !== REV_BYTES_LEN + 1) return undefined;
  if (b.length === REV_BYTES_LEN + 1 && b[REV_BYTES_LEN] !== TOMBSTONE_MARK) return undefined;
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  return {
    main: Number(buf.readBigUInt64BE(0)),
    sub: Number(buf.readBigUInt64BE(9)),
    tombstone: b.length === REV_BYTES_LEN + 1,
  };
}

// ---- protobuf varints ------------------------------------------------------

function int64Varint(v: bigint): bigint {
  return BigInt.asUintN(64, v); // negative int64s encode as 10-byte two's complement
}

function varintSize(v: number | bigint): number {
  if (typeof v === 'number' && v >= 0 && v < 2 ** 28) return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : 4;
  let u = int64Varint(BigInt(v));
  let n = 1;
  while (u >= 0x80n) {
    u >>= 7n;
    n += 1;
  }
  return n;
}

function writeVarint(buf: Buffer, pos: number, v: number | bigint): number {
  if (typeof v === 'number' && v >= 0 && v < 2 ** 31) {
    while (v >= 0x80) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v = v >>> 7;
    }
    buf[pos++] = v;
    return pos;
  }
  let u = int64Varint(BigInt(v));
  while (u >= 0x80n) {
    buf[pos++] = Number(u & 0x7fn) | 0x80;
    u >>= 7n;
  }
  buf[pos++] = Number(u);
  return pos;
}

/** Size of marshalKeyValue(kv) without allocating it. */
export function keyValueSize(kv: KeyValue): number {
  let n = 0;
  if (kv.key.length > 0) n += 1 + varintSize(kv.key.length) + kv.key.length;
  if (kv.createRevision !== 0) n += 1 + varintSize(kv.createRevision);
  if (kv.modRevision !== 0) n += 1 + varintSize(kv.modRevision);
  if (kv.version !== 0) n += 1 + varintSize(kv.version);
  if (kv.value.length > 0) n += 1 + varintSize(kv.value.length) + kv.value.length;
  if (kv.lease !== 0n) n += 1 + varintSize(kv.lease);
  return n;
}

/** mvccpb.KeyValue wire encoding (fields 1..6: key, create_revision, mod_revision, version, value, lease). */
export function marshalKeyValue(kv: KeyValue): Buffer {
  const buf = Buffer.allocUnsafe(keyValueSize(kv));
  let p = 0;
  if (kv.key.length > 0) {
    buf[p++] = 0x0a;
    p = writeVarint(buf, p, kv.key.length);
    p += kv.key.copy(buf, p);
  }
  if (kv.createRevision !== 0) {
    buf[p++] = 0x10;
    p = writeVarint(buf, p, kv.createRevision);
  }
  if (kv.modRevision !== 0) {
    buf[p++] = 0x18;
    p = writeVarint(buf, p, kv.modRevision);
  }
  if (kv.version !== 0) {
    buf[p++] = 0x20;
    p = writeVarint(buf, p, kv.version);
  }
  if (kv.value.length > 0) {
    buf[p++] = 0x2a;
    p = writeVarint(buf, p, kv.value.length);
    p += kv.value.copy(buf, p);
  }
  if (kv.lease !== 0n) {
    buf[p++] = 0x30;
    writeVarint(buf, p, kv.lease);
  }
  return buf;
}

/** Decodes mvccpb.KeyValue; unknown fields are skipped. Throws on malformed input. */
export function unmarshalKeyValue(b: Buffer): KeyValue {
  let key: Buffer = EMPTY;
  let value: Buffer = EMPTY;
  let createRevision = 0;
  let modRevision = 0;
  let version = 0;
  let lease = 0n;
  let p = 0;
  const readVarint = (): bigint => {
    // Fast path: up to 4 bytes fit a small non-negative number.
    let small = 0;
    for (let i = 0; i < 4 && p + i < b.length; i++) {
      const byte = b[p + i]!;
      small |= (byte & 0x7f) << (7 * i);
      if ((byte & 0x80) === 0) {
        p += i + 1;
        return BigInt(small >>> 0);
      }
    }
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (p >= b.length) throw new Error('truncated varint');
      const byte = b[p++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
  };
  const readBytes = (): Buffer => {
    const len = Number(readVarint());
    if (p + len > b.length) throw new Error('truncated bytes field');
    const out = Buffer.from(b.subarray(p, p + len)); // copy: never retain the caller's buffer
    p += len;
    return out;
  };
  while (p < b.length) {
    const tag = Number(readVarint());
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) {
      const v = BigInt.asIntN(64, readVarint());
      if (field === 2) createRevision = Number(v);
      else if (field === 3) modRevision = Number(v);
      else if (field === 4) version = Number(v);
      else if (field === 6) lease = v;
    } else if (wire === 2) {
      const bytes = readBytes();
      if (field === 1) key = bytes;
      else if (field === 5) value = bytes;
    } else if (wire === 1) {
      p += 8;
    } else if (wire === 5) {
      p += 4;
    } else {
      throw new Error(`unsupported wire type ${wire}`);
    }
  }
  if (p !== b.length) throw new Error('truncated fixed field');
  return { key, createRevision, modRevision, version, value, lease };
}

// ---- CRC-32C ---------------------------------------------------------------

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** Continues a CRC-32C over `data` (Go's crc32.Update semantics: start from 0). */
export function crc32c(crc: number, data: Uint8Array): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC32C_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
