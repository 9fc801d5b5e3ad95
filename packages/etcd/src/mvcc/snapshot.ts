// Snapshot bytes of a store (kemu's own format, deterministic for a given state):
//
//   "KMVCC001"                       8-byte magic
//   currentRev                       int64 BE
//   compactRev                       int64 BE (-1 = never compacted)
//   rowCount                         uint32 BE
//   rowCount x { keyLen u8 (17|18), key, valueLen u32 BE, value }
//   crc32c of everything above       uint32 BE
//
// Rows are the key bucket exactly as etcd's bbolt holds it after a finished
// compaction: key = revision bytes (+'t' for tombstones), value = marshalled
// mvccpb.KeyValue. Lease attachments are not stored: like etcd's restore they
// follow from each live key's newest row.

import { crc32c, keyValueSize, marshalKeyValue, parseRevisionBytes, revisionBytes, unmarshalKeyValue } from './codec.js';
import { SnapshotFormatError } from './errors.js';
import type { RevEntry } from './key-index.js';
import type { StoreCore } from './store-core.js';

const MAGIC = Buffer.from('KMVCC001', 'latin1');

export function serializeCore(core: StoreCore): Buffer {
  let size = MAGIC.length + 8 + 8 + 4 + 4;
  for (const e of core.log) size += 1 + 17 + (e.tombstone ? 1 : 0) + 4 + keyValueSize(e.kv);
  const out = Buffer.alloc(size);
  let p = MAGIC.copy(out, 0);
  out.writeBigInt64BE(BigInt(core.currentRev), p);
  p += 8;
  out.writeBigInt64BE(BigInt(core.compactRev), p);
  p += 8;
  out.writeUInt32BE(core.log.length, p);
  p += 4;
  for (const e of core.log) {
    const k = revisionBytes(e.main, e.sub, e.tombstone);
    out[p++] = k.length;
    p += k.copy(out, p);
    const v = marshalKeyValue(e.kv);
    out.writeUInt32BE(v.length, p);
    p += 4;
    p += v.copy(out, p);
  }
  out.writeUInt32BE(crc32c(0, out.subarray(0, p)), p);
  return out;
}

export interface ParsedSnapshot {
  readonly currentRev: number;
  readonly compactRev: number;
  readonly rows: RevEntry[];
}

export function parseSnapshot(buf: Buffer): ParsedSnapshot {
  if (buf.length < MAGIC.length + 24 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new SnapshotFormatError('bad magic or too short');
  }
  const body = buf.subarray(0, buf.length - 4);
  if (crc32c(0, body) !== buf.readUInt32BE(buf.length - 4)) throw new SnapshotFormatError('checksum mismatch');
  let p = MAGIC.length;
  const currentRev = Number(buf.readBigInt64BE(p));
  p += 8;
  const compactRev = Number(buf.readBigInt64BE(p));
  p += 8;
  const n = buf.readUInt32BE(p);
  p += 4;
  const rows: RevEntry[] = [];
  let prevMain = -1;
  let prevSub = -1;
  for (let i = 0; i < n; i++) {
    if (p + 1 > body.length) throw new SnapshotFormatError('truncated row');
    const klen = body[p++]!;
    if (p + klen + 4 > body.length) throw new SnapshotFormatError('truncated row key');
    const rev = parseRevisionBytes(body.subarray(p, p + klen));
    if (rev === undefined) throw new SnapshotFormatError(`bad revision key in row ${i}`);
    p += klen;
    const vlen = body.readUInt32BE(p);
    p += 4;
    if (p + vlen > body.length) throw new SnapshotFormatError('truncated row value');
    let kv;
    try {
      kv = unmarshalKeyValue(body.subarray(p, p + vlen));
    } catch (cause) {
      throw new SnapshotFormatError(`bad KeyValue in row ${i}`, { cause });
    }
    p += vlen;
    if (rev.main < prevMain || (rev.main === prevMain && rev.sub <= prevSub)) {
      throw new SnapshotFormatError(`rows out of revision order at row ${i}`);
    }
    prevMain = rev.main;
    prevSub = rev.sub;
    rows.push({ main: rev.main, sub: rev.sub, tombstone: rev.tombstone, kv });
  }
  if (p !== body.length) throw new SnapshotFormatError('trailing bytes');
  return { currentRev, compactRev, rows };
}
