import { mvccpb } from '@kemu/api';
import { readBuckets, SnapshotFileError, verifySnapshot } from './bbolt-read.js';

/**
 * What an etcd snapshot holds for a restore: the keys alive at its last revision with
 * their values and leases, and the leases themselves. This is what `etcdutl snapshot
 * restore` carries into a new cluster (history and membership are not kept).
 *
 * The `key` bucket maps revision keys (main u64 BE, '_', sub u64 BE, and a trailing 't'
 * for a deletion) to mvccpb.KeyValue, in revision order; a key's newest row decides
 * whether it is alive. The `lease` bucket maps lease ids (u64 BE) to leasepb.Lease {ID = 1, TTL = 2}.
 */
export interface Keyspace {
  /** The newest revision in the file (what `etcdctl snapshot status` calls REVISION). */
  revision: bigint;
  /** Alive keys, oldest modification first. */
  keys: mvccpb.KeyValue[];
  leases: Array<{ id: bigint; ttl: bigint }>;
  /** Whether the file carried etcd's sha256 trailer (checked) or was a bare database. */
  hashed: boolean;
  /** Bytes of the database. */
  size: number;
}

const REV_KEY = 17;

/** The protobuf varint fields of a small message, by field number (wire type 0 only). */
function varintFields(b: Buffer): Map<number, bigint> {
  const out = new Map<number, bigint>();
  let at = 0;
  const varint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (at >= b.length) throw new SnapshotFileError('lease record truncated');
      const c = b[at++]!;
      v |= BigInt(c & 0x7f) << shift;
      if (!(c & 0x80)) return BigInt.asIntN(64, v);
    }
    throw new SnapshotFileError('varint longer than 10 bytes in a lease record');
  };
  while (at < b.length) {
    const tag = Number(varint());
    if ((tag & 7) !== 0) throw new SnapshotFileError(`lease record field ${tag >> 3} has wire type ${tag & 7}`);
    out.set(tag >> 3, varint());
  }
  return out;
}

export function readKeyspace(file: Buffer): Keyspace {
  const { db, hashed } = verifySnapshot(file);
  const buckets = readBuckets(db);
  const keyRows = buckets.get('key');
  if (!keyRows) throw new SnapshotFileError('no "key" bucket: not an etcd snapshot');
  const alive = new Map<string, mvccpb.KeyValue>();
  let revision = 0n;
  for (const row of keyRows) {
    if (row.key.length !== REV_KEY && !(row.key.length === REV_KEY + 1 && row.key[REV_KEY] === 0x74)) {
      throw new SnapshotFileError(`"key" bucket row with a ${row.key.length}-byte key is not a revision`);
    }
    const main = row.key.readBigUInt64BE(0);
    if (main > revision) revision = main;
    let kv: mvccpb.KeyValue;
    try {
      kv = mvccpb.KeyValue.decode(row.value);
    } catch (err) {
      throw new SnapshotFileError(`revision ${main}: value is not an mvccpb.KeyValue`, { cause: err });
    }
    const k = kv.key.toString('latin1');
    if (row.key.length === REV_KEY + 1) alive.delete(k);
    else alive.set(k, kv);
  }
  const leases = (buckets.get('lease') ?? []).map((row) => {
    const f = varintFields(row.value);
    return { id: f.get(1) ?? row.key.readBigUInt64BE(0), ttl: f.get(2) ?? 0n };
  });
  const keys = [...alive.values()].sort((a, b) => (a.modRevision < b.modRevision ? -1 : a.modRevision > b.modRevision ? 1 : 0));
  return { revision, keys, leases, hashed, size: db.length };
}
