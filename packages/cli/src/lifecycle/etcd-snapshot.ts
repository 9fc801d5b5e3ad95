import { createWriteStream, renameSync, readFileSync, rmSync } from 'node:fs';
import { credentials, Metadata } from '@grpc/grpc-js';
import { etcdserverpb } from '@kemu/api';
import { readSnapshotKeyspace, type SnapshotKeyspace } from '@kemu/etcd';
import { etcdStatus } from '../etcd-status.js';

export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
}

/** The member to take a snapshot from: the leader if one answers, else the first that answers. */
export async function pickMember(endpoints: readonly string[]): Promise<string> {
  const rows = await etcdStatus([...endpoints]);
  const ok = rows.filter((r) => !r.error);
  const chosen = ok.find((r) => r.leader) ?? ok[0];
  if (!chosen) throw new SnapshotError(`no etcd member answers at ${endpoints.join(', ')}: ${rows.map((r) => r.error).join('; ')}`);
  return chosen.endpoint;
}

/**
 * Streams Maintenance.Snapshot from one member into `file` (written as file.part and
 * renamed once whole and verified, so a failed save never leaves a file that looks
 * good). Returns what the file holds.
 */
export async function saveSnapshot(endpoint: string, file: string, timeoutMs = 120_000): Promise<{ bytes: number; keyspace: SnapshotKeyspace }> {
  const part = `${file}.part`;
  const client = new etcdserverpb.MaintenanceClient(endpoint, credentials.createInsecure());
  try {
    const bytes = await new Promise<number>((resolve, reject) => {
      const out = createWriteStream(part);
      const call = client.snapshot({}, new Metadata(), { deadline: Date.now() + timeoutMs });
      let n = 0;
      let failed = false;
      const fail = (err: Error): void => {
        if (failed) return;
        failed = true;
        call.cancel();
        out.destroy();
        reject(err);
      };
      call.on('data', (msg: etcdserverpb.SnapshotResponse) => {
        n += msg.blob.length;
        if (!out.write(msg.blob)) {
          call.pause();
          out.once('drain', () => call.resume());
        }
      });
      call.on('error', (err: Error & { details?: string }) => fail(new SnapshotError(`snapshot from ${endpoint}: ${err.details ?? err.message}`, { cause: err })));
      call.on('end', () => out.end());
      out.on('error', (err) => fail(new SnapshotError(`cannot write ${part}: ${err.message}`, { cause: err })));
      out.on('finish', () => {
        if (!failed) resolve(n);
      });
    });
    let keyspace: SnapshotKeyspace;
    try {
      keyspace = readSnapshotKeyspace(readFileSync(part));
    } catch (err) {
      throw new SnapshotError(`the snapshot ${endpoint} sent is not readable: ${(err as Error).message}`, { cause: err });
    }
    renameSync(part, file);
    return { bytes, keyspace };
  } catch (err) {
    rmSync(part, { force: true });
    throw err;
  } finally {
    client.close();
  }
}

const MAX_TXN_OPS = 100;
const MAX_TXN_BYTES = 1024 * 1024;

/**
 * Writes a snapshot's keyspace into an empty cluster: its leases granted again under the
 * same ids and TTLs, then its keys with their values and leases, oldest change first, in
 * transactions of at most 100 puts and 1 MiB. Revisions are the new cluster's own.
 */
export async function loadKeyspace(endpoint: string, ks: SnapshotKeyspace, timeoutMs = 10_000): Promise<{ revision: bigint }> {
  const kv = new etcdserverpb.KVClient(endpoint, credentials.createInsecure());
  const lease = new etcdserverpb.LeaseClient(endpoint, credentials.createInsecure());
  const call = <Req, Res>(fn: (req: Req, md: Metadata, opts: { deadline: number }, cb: (err: Error | null, res?: Res) => void) => unknown, req: Req): Promise<Res> =>
    new Promise((resolve, reject) => {
      fn(req, new Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res!)));
    });
  try {
    const granted = new Set<bigint>();
    for (const l of ks.leases) {
      await call<etcdserverpb.LeaseGrantRequest, etcdserverpb.LeaseGrantResponse>(lease.leaseGrant.bind(lease), { ID: l.id, TTL: BigInt(Math.max(1, l.ttl)) });
      granted.add(l.id);
    }
    let revision = 0n;
    let batch: etcdserverpb.RequestOp[] = [];
    let bytes = 0;
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const res = await call<etcdserverpb.TxnRequest, etcdserverpb.TxnResponse>(kv.txn.bind(kv), { compare: [], success: batch, failure: [] });
      revision = res.header?.revision ?? revision;
      batch = [];
      bytes = 0;
    };
    for (const k of ks.keys) {
      const size = k.key.length + k.value.length + 32;
      if (batch.length >= MAX_TXN_OPS || (batch.length > 0 && bytes + size > MAX_TXN_BYTES)) await flush();
      // A key whose lease the snapshot does not hold keeps its value without a lease.
      const leaseId = granted.has(k.lease) ? k.lease : 0n;
      batch.push({ request: { $case: 'requestPut', requestPut: { key: k.key, value: k.value, lease: leaseId, prevKv: false, ignoreValue: false, ignoreLease: false } } });
      bytes += size;
    }
    await flush();
    return { revision };
  } finally {
    kv.close();
    lease.close();
  }
}
