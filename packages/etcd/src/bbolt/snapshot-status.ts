// The figures `etcdctl snapshot status` reports for a snapshot file, computed the same
// way: crc32c over every bucket name followed by its keys and values in order, the main
// revision of the last key of the "key" bucket, the number of keys in all buckets, and
// the database size (high-water pgid x page size).

import { Crc32c } from './crc32c.js';
import { BoltFormatError } from './errors.js';
import { readBoltFile } from './reader.js';
import { stripSha256Trailer } from './sha256-trailer.js';

export interface SnapshotStatus {
  readonly hash: number;
  readonly revision: number;
  readonly totalKey: number;
  readonly totalSize: number;
}

/** Accepts the database with or without etcd's sha256 trailer (verified when present). */
export function snapshotStatus(fileBytes: Buffer): SnapshotStatus {
  const { meta, buckets } = readBoltFile(stripSha256Trailer(fileBytes));
  const crc = new Crc32c();
  let revision = 0;
  let totalKey = 0;
  for (const bucket of buckets) {
    crc.update(bucket.name);
    const isKeyBucket = bucket.name.toString('latin1') === 'key';
    for (const [k, v] of bucket.entries) {
      crc.update(k);
      crc.update(v);
      if (isKeyBucket) {
        if (k.length < 8) throw new BoltFormatError(`"key" bucket key of ${k.length} bytes is not a revision`);
        revision = Number(k.readBigInt64BE(0));
      }
      totalKey++;
    }
  }
  return { hash: crc.digest(), revision, totalKey, totalSize: Number(meta.highWaterPgid) * meta.pageSize };
}
