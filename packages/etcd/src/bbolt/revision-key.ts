// Keys of etcd's "key" bucket: an MVCC revision, 8-byte big-endian main revision, '_',
// 8-byte big-endian sub revision (17 bytes), plus a trailing 't' for a tombstone (18 bytes).
// The encoding lives with the MVCC store (mvcc/codec.ts); this adds bbolt's errors.

import { parseRevisionBytes, revisionBytes, REV_BYTES_LEN, type DecodedRevision } from '../mvcc/codec.js';
import { KvDecodeError } from './errors.js';

export const REVISION_KEY_SIZE = REV_BYTES_LEN;
export type RevisionKey = DecodedRevision;

export const encodeRevisionKey = (main: number, sub: number, tombstone = false): Buffer => revisionBytes(main, sub, tombstone);

export function decodeRevisionKey(key: Buffer): RevisionKey {
  const rev = parseRevisionBytes(key);
  if (!rev) throw new KvDecodeError(`revision key has ${key.length} bytes, want ${REVISION_KEY_SIZE} (or ${REVISION_KEY_SIZE + 1} with 't')`);
  if (!Number.isSafeInteger(rev.main) || !Number.isSafeInteger(rev.sub)) throw new KvDecodeError(`revision ${rev.main}_${rev.sub} is not a safe integer`);
  return rev;
}
