// What an etcd snapshot file holds for a restore: the keys alive at its last revision
// with their values and leases, and the leases. This is what `etcdutl snapshot restore`
// carries into a new cluster (history and membership are not kept).

import { BoltFormatError } from './errors.js';
import { decodeKeyValue, type MvccKeyValue } from './kv-codec.js';
import { decodeLease, type LeaseRecord } from './lease-codec.js';
import { readBoltFile } from './reader.js';
import { decodeRevisionKey } from './revision-key.js';
import { hasSha256Trailer, stripSha256Trailer } from './sha256-trailer.js';

export interface SnapshotKeyspace {
  /** The newest revision in the file (what `etcdctl snapshot status` calls REVISION). */
  revision: number;
  /** Alive keys, oldest modification first. */
  keys: MvccKeyValue[];
  leases: LeaseRecord[];
  /** Whether the file carried etcd's sha256 trailer (then verified) or was a bare database. */
  hashed: boolean;
  /** Bytes of the database. */
  size: number;
}

/**
 * Reads a snapshot file strictly: a trailer that does not match, a file that is neither
 * whole pages nor whole pages plus a trailer (cut short), a damaged page tree, or a
 * "key" bucket row that is not a revision and an mvccpb.KeyValue, all throw.
 */
export function readSnapshotKeyspace(file: Buffer): SnapshotKeyspace {
  const hashed = hasSha256Trailer(file);
  const db = stripSha256Trailer(file);
  const { meta, buckets } = readBoltFile(db);
  if (!hashed && db.length % meta.pageSize !== 0) {
    throw new BoltFormatError(`${db.length} bytes are neither whole ${meta.pageSize}-byte pages nor pages plus a sha256 trailer (cut short?)`);
  }
  const bucket = (name: string) => buckets.find((b) => b.name.toString('latin1') === name);
  const keyRows = bucket('key');
  if (!keyRows) throw new BoltFormatError('no "key" bucket: not an etcd snapshot');
  const alive = new Map<string, MvccKeyValue>();
  let revision = 0;
  // Rows come in revision order, so a key's last row decides whether it is alive.
  for (const [k, v] of keyRows.entries) {
    const rev = decodeRevisionKey(k);
    revision = Math.max(revision, rev.main);
    const kv = decodeKeyValue(v);
    const key = kv.key.toString('latin1');
    if (rev.tombstone) alive.delete(key);
    else alive.set(key, kv);
  }
  const leases = (bucket('lease')?.entries ?? []).map(([k, v]) => decodeLease(v, k.length === 8 ? k.readBigUInt64BE(0) : 0n));
  const keys = [...alive.values()].sort((a, b) => a.modRevision - b.modRevision);
  return { revision, keys, leases, hashed, size: db.length };
}
