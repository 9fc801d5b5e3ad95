import { writeBoltDb, appendSha256Trailer, encodeLease, type BoltBucketInput } from './bbolt/index.js';
import { revisionBytes } from './mvcc/codec.js';
import type { EtcdStateMachine } from './state-machine.js';

function u64(n: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

/**
 * The member's state as an etcd 3.4 backend database (a bbolt file) followed by the
 * sha256 trailer etcd appends, which is what `etcdctl snapshot save` expects to receive
 * and what `etcdctl snapshot status/restore` read.
 */
export function buildSnapshotFile(state: EtcdStateMachine, appliedIndex: number): Buffer {
  const store = state.store;
  const keyRows: Array<[Buffer, Buffer]> = [];
  for (const row of store.keyBucket()) keyRows.push([row.key, row.value]);
  const meta: Array<[Buffer, Buffer]> = [[Buffer.from('consistent_index'), u64(appliedIndex)]];
  if (store.compactRevision > 0) {
    meta.push([Buffer.from('finishedCompactRev'), revisionBytes(store.compactRevision, 0)]);
    meta.push([Buffer.from('scheduledCompactRev'), revisionBytes(store.compactRevision, 0)]);
  }
  const leases = state.lessor.ids().map((id): [Buffer, Buffer] => [u64(id), encodeLease(id, state.lessor.get(id)?.ttl ?? 0)]);
  const members = state.members().map((mi): [Buffer, Buffer] => [
    Buffer.from(mi.id.toString(16)),
    Buffer.from(JSON.stringify({ id: mi.id, peerURLs: mi.peerUrls, name: mi.name, clientURLs: mi.clientUrls })),
  ]);
  const bucket = (name: string, entries: Array<[Buffer, Buffer]>): BoltBucketInput => ({ name: Buffer.from(name), entries });
  const db = writeBoltDb([
    bucket('alarm', []),
    bucket('auth', []),
    bucket('authRoles', []),
    bucket('authUsers', []),
    bucket('cluster', [[Buffer.from('clusterVersion'), Buffer.from('3.4.0')]]),
    bucket('key', keyRows),
    bucket('lease', leases),
    bucket('members', members),
    bucket('members_removed', []),
    bucket('meta', meta),
  ]);
  return appendSha256Trailer(db);
}
