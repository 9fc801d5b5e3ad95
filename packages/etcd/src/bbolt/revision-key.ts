// Keys of etcd's "key" bucket: an MVCC revision, 8-byte big-endian main revision, '_',
// 8-byte big-endian sub revision (17 bytes), plus a trailing 't' for a tombstone (18 bytes).
// Big-endian makes bytewise key order equal revision order.

import { KvDecodeError } from './errors.js';

export const REVISION_KEY_SIZE = 17;
const TOMBSTONE_MARK = 0x74; // 't'

export interface RevisionKey {
  readonly main: number;
  readonly sub: number;
  readonly tombstone: boolean;
}

export function encodeRevisionKey(main: number, sub: number, tombstone = false): Buffer {
  const b = Buffer.alloc(tombstone ? REVISION_KEY_SIZE + 1 : REVISION_KEY_SIZE);
  b.writeBigInt64BE(BigInt(main), 0);
  b[8] = 0x5f; // '_'
  b.writeBigInt64BE(BigInt(sub), 9);
  if (tombstone) b[REVISION_KEY_SIZE] = TOMBSTONE_MARK;
  return b;
}

export function decodeRevisionKey(key: Buffer): RevisionKey {
  const tombstone = key.length === REVISION_KEY_SIZE + 1 && key[REVISION_KEY_SIZE] === TOMBSTONE_MARK;
  if (key.length !== REVISION_KEY_SIZE && !tombstone) {
    throw new KvDecodeError(`revision key has ${key.length} bytes, want ${REVISION_KEY_SIZE} (or ${REVISION_KEY_SIZE + 1} with 't')`);
  }
  return { main: safeNumber(key.readBigInt64BE(0)), sub: safeNumber(key.readBigInt64BE(9)), tombstone };
}

function safeNumber(v: bigint): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new KvDecodeError(`revision ${v} is not a safe integer`);
  return n;
}
