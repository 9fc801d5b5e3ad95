import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { etcdserverpb } from '@kemu/api';
import { readSnapshotKeyspace } from '@kemu/etcd';
import { COMPONENTS, down, up, type Component } from '../cluster.js';
import { loadPlan } from '../plan.js';
import { readProcesses, sleep } from '../processes.js';
import { etcdStatus } from '../etcd-status.js';
import { loadKeyspace, SnapshotError } from './etcd-snapshot.js';
import { roster } from './roster.js';

export interface RestoreResult {
  keys: number;
  leases: number;
  /** The snapshot's revision, and the revision the restored cluster is at. */
  savedRevision: number;
  revision: bigint;
  /** Where the members' previous data dirs went. */
  backupDir: string;
  /** The components started again afterwards (none if the cluster was stopped). */
  restarted: Component[];
}

/**
 * Replaces the whole state of a state dir's cluster with a snapshot's, the way etcd's
 * documentation says to restore (`etcdutl snapshot restore` into new data dirs, then
 * restart every member and every component that talks to them):
 *
 * 1. read and check the file (sha256, bbolt pages, key rows): a bad file changes nothing;
 * 2. stop every process of the cluster and its pods (kemu down);
 * 3. move each member's data dir to <state-dir>/restore-backups/<time>/ (kept, never deleted);
 * 4. start the three members on empty data dirs, and write the snapshot's keys and leases
 *    into them before anything else runs; check the key count;
 * 5. start again the components that were part of the cluster before (none if it was stopped).
 *
 * kemu's etcd has no offline restore, so step 4 goes through the etcd API: values and
 * leases come back as saved, revisions are renumbered from 2 (the apiserver's
 * resourceVersions start low again, which is why every component is restarted).
 */
export async function restoreSnapshot(stateDirIn: string, file: string, progress: (line: string) => void): Promise<RestoreResult> {
  const stateDir = resolve(stateDirIn);
  const plan = loadPlan(stateDir);
  if (!plan) throw new SnapshotError(`${stateDir} holds no cluster (kemu up --state-dir ${stateDirIn} makes one)`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new SnapshotError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  let ks;
  try {
    ks = readSnapshotKeyspace(bytes);
  } catch (err) {
    throw new SnapshotError(`${file} is not a usable etcd snapshot: ${(err as Error).message}`, { cause: err });
  }
  progress(`${file}: ${ks.keys.length} keys, ${ks.leases.length} leases, revision ${ks.revision}${ks.hashed ? ', sha256 ok' : ' (no sha256 trailer to check)'}`);

  const kinds = new Map(roster(plan).map((p) => [p.name, p.kind]));
  const recorded = new Set(readProcesses(stateDir).map((r) => kinds.get(r.name)));
  const restarted = COMPONENTS.filter((c) => c !== 'etcd' && recorded.has(c));

  progress('stopping the cluster');
  await down(stateDir, progress);

  const backupDir = join(stateDir, 'restore-backups', new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(backupDir, { recursive: true });
  for (const m of plan.etcd) {
    const dir = join(stateDir, m.name);
    if (existsSync(dir)) renameSync(dir, join(backupDir, m.name));
  }
  progress(`previous etcd data moved to ${backupDir}`);

  const undo = `to go back: kemu down --state-dir ${stateDirIn}, then move ${backupDir}/etcd-* back into ${stateDirIn}`;
  try {
    await up({ stateDir, components: ['etcd'], plan, onProgress: progress });
    const endpoint = await waitForLeader(plan.etcd.map((m) => m.client));
    const { revision } = await loadKeyspace(endpoint, ks);
    const count = await countKeys(endpoint);
    if (count !== BigInt(ks.keys.length)) throw new SnapshotError(`after loading, the cluster holds ${count} keys, the snapshot ${ks.keys.length}`);
    progress(`loaded ${ks.keys.length} keys and ${ks.leases.length} leases into ${endpoint}`);
    if (restarted.length > 0) await up({ stateDir, components: ['etcd', ...restarted], plan, onProgress: progress });
    else await down(stateDir);
    return { keys: ks.keys.length, leases: ks.leases.length, savedRevision: ks.revision, revision, backupDir, restarted };
  } catch (err) {
    throw new SnapshotError(`restore failed: ${(err as Error).message}\n${undo}`, { cause: err });
  }
}

/** The leader's endpoint once the members have elected one. */
async function waitForLeader(endpoints: string[], timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const rows = await etcdStatus(endpoints);
    const leader = rows.find((r) => r.leader);
    if (leader) return leader.endpoint;
    last = rows.map((r) => `${r.endpoint}: ${r.error ?? 'no leader'}`).join('; ');
    await sleep(200);
  }
  throw new SnapshotError(`no etcd leader after ${timeoutMs} ms (${last})`);
}

async function countKeys(endpoint: string): Promise<bigint> {
  const kv = new etcdserverpb.KVClient(endpoint, credentials.createInsecure());
  try {
    const res = await new Promise<etcdserverpb.RangeResponse>((resolve, reject) =>
      kv.range(
        { key: Buffer.from([0]), rangeEnd: Buffer.from([0]), countOnly: true, limit: 0n, revision: 0n, sortOrder: 0, sortTarget: 0, serializable: false, keysOnly: false, minModRevision: 0n, maxModRevision: 0n, minCreateRevision: 0n, maxCreateRevision: 0n },
        new Metadata(),
        { deadline: Date.now() + 10_000 },
        (err, res) => (err ? reject(err) : resolve(res)),
      ),
    );
    return res.count;
  } finally {
    kv.close();
  }
}
