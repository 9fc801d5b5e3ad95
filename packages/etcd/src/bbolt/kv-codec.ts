// Protobuf codec for mvccpb.KeyValue, the value type of etcd's "key" bucket:
//   key=1 bytes, create_revision=2 int64, mod_revision=3 int64, version=4 int64,
//   value=5 bytes, lease=6 int64.
// Encoding matches gogoproto's Marshal: fields in number order, proto3 zero values
// (0, empty bytes) omitted, negative int64 as a 10-byte varint.

import { KvDecodeError } from './errors.js';

/** Revisions and version are safe integers; lease ids use the full int64 range. */
export interface MvccKeyValue {
  readonly key: Buffer;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
  readonly value: Buffer;
  readonly lease: bigint;
}

const WireType = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

export function encodeKeyValue(kv: MvccKeyValue): Buffer {
  const out: number[] = [];
  const chunks: Buffer[] = [];
  const flush = (): void => {
    if (out.length > 0) chunks.push(Buffer.from(out.splice(0)));
  };
  const bytesField = (field: number, b: Buffer): void => {
    if (b.length === 0) return;
    pushVarint(out, BigInt((field << 3) | WireType.bytes));
    pushVarint(out, BigInt(b.length));
    flush();
    chunks.push(b);
  };
  const intField = (field: number, v: bigint): void => {
    if (v === 0n) return;
    pushVarint(out, BigInt((field << 3) | WireType.varint));
    pushVarint(out, BigInt.asUintN(64, v));
  };
  bytesField(1, kv.key);
  intField(2, int64(kv.createRevision, 'create_revision'));
  intField(3, int64(kv.modRevision, 'mod_revision'));
  intField(4, int64(kv.version, 'version'));
  bytesField(5, kv.value);
  intField(6, BigInt.asIntN(64, kv.lease));
  flush();
  return Buffer.concat(chunks);
}

export function decodeKeyValue(buf: Buffer): MvccKeyValue {
  let key = Buffer.alloc(0);
  let value = Buffer.alloc(0);
  let createRevision = 0;
  let modRevision = 0;
  let version = 0;
  let lease = 0n;
  const r = { pos: 0 };
  while (r.pos < buf.length) {
    const tag = readVarint(buf, r);
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    switch (wire) {
      case WireType.varint: {
        const v = BigInt.asIntN(64, readVarint(buf, r));
        if (field === 2) createRevision = toSafe(v, 'create_revision');
        else if (field === 3) modRevision = toSafe(v, 'mod_revision');
        else if (field === 4) version = toSafe(v, 'version');
        else if (field === 6) lease = v;
        break;
      }
      case WireType.bytes: {
        const len = Number(readVarint(buf, r));
        if (r.pos + len > buf.length) throw new KvDecodeError(`field ${field} length ${len} runs past the end`);
        const b = Buffer.from(buf.subarray(r.pos, r.pos + len));
        r.pos += len;
        if (field === 1) key = b;
        else if (field === 5) value = b;
        break;
      }
      case WireType.fixed64:
        r.pos += 8;
        break;
      case WireType.fixed32:
        r.pos += 4;
        break;
      default:
        throw new KvDecodeError(`unsupported wire type ${wire} for field ${field}`);
    }
    if (field === 0) throw new KvDecodeError('field number 0');
  }
  if (r.pos !== buf.length) throw new KvDecodeError('truncated message');
  return { key, createRevision, modRevision, version, value, lease };
}

function int64(n: number, field: string): bigint {
  if (!Number.isSafeInteger(n)) throw new KvDecodeError(`${field} ${n} is not a safe integer`);
  return BigInt(n);
}

function toSafe(v: bigint, field: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new KvDecodeError(`${field} ${v} is not a safe integer`);
  return n;
}

function pushVarint(out: number[], v: bigint): void {
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}

function readVarint(buf: Buffer, r: { pos: number }): bigint {
  let result = 0n;
  for (let shift = 0n; shift < 70n; shift += 7n) {
    const byte = buf[r.pos++];
    if (byte === undefined) throw new KvDecodeError('truncated varint');
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return BigInt.asUintN(64, result);
  }
  throw new KvDecodeError('varint longer than 10 bytes');
}
