// Durability: no acknowledged write is ever lost when every member is killed with -9 at
// once, when every member is stopped gracefully, or when a crash interrupts a snapshot.
// (Repeated kills of single members live in failover.test.ts, to keep file times even.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import { EtcdTestCluster } from '../harness/etcd-cluster.js';
import { putKeys, WriteLedger, WriteLoad } from '../harness/write-load.js';
import { clusterTails, describeReport, isClean, linearizableCheck, serializableCatchUp } from '../harness/verify-acked.js';
import { leaderApplied, waitApplied } from '../harness/raft-progress.js';

// Small snapshot settings so kills also land around snapshot saves, WAL releases and
// restarts from snapshot + WAL tail, not only WAL replay from the first entry.
const SNAPSHOT_COUNT = 300;
const CATCHUP_ENTRIES = 50;

describe('etcd durability of acknowledged writes', () => {
  let cluster: EtcdTestCluster | undefined;
  const c = (): EtcdTestCluster => {
    assert.ok(cluster, 'cluster did not start');
    return cluster;
  };

  before(async () => {
    cluster = await EtcdTestCluster.start({ ipPrefix: '127.22.1', snapshotCount: SNAPSHOT_COUNT, snapshotCatchupEntries: CATCHUP_ENTRIES });
  });
  after(async () => {
    await cluster?.destroy();
  });

  /** Restarts whatever a previous (failed) test left stopped, so each test starts whole. */
  async function allRunning(cl: EtcdTestCluster): Promise<void> {
    for (const m of cl.members) if (!cl.isRunning(m.plan.name)) cl.restart(m.plan.name);
    await cl.waitReady(30_000);
    await cl.leader(20_000);
  }

  /** A leader exists, every member answers a linearizable read with every acknowledged write, and new writes work through each member. */
  async function assertIntact(cl: EtcdTestCluster, prefix: string, ledger: WriteLedger, label: string): Promise<void> {
    try {
      await cl.waitReady(30_000);
      await cl.leader(20_000);
    } catch (err) {
      throw new Error(`${label}: ${(err as Error).message}\n${clusterTails(cl)}`, { cause: err });
    }
    for (const m of cl.members) {
      const r = await linearizableCheck(m.endpoint, prefix, ledger);
      assert.ok(isClean(r), `${label}: ${describeReport(r)}\n${clusterTails(cl)}`);
      assert.equal(r.checked, [...ledger.acked.keys()].filter((k) => k.startsWith(`${prefix}/`)).length);
    }
    for (const m of cl.members) {
      try {
        await putKeys(ledger, m.endpoint, `${prefix}/after/${label}/${m.plan.name}`, 5, 5);
      } catch (err) {
        throw new Error(`${label}: new writes via ${m.plan.name}: ${(err as Error).message}\n${clusterTails(cl)}`, { cause: err });
      }
    }
    const r = await linearizableCheck(cl.members[0]!.endpoint, prefix, ledger);
    assert.ok(isClean(r), `${label}, after new writes: ${describeReport(r)}\n${clusterTails(cl)}`);
  }

  test('kill -9 of all three members mid-load, three times: every acknowledged write survives', { timeout: 180_000 }, async (t) => {
    const cl = c();
    await allRunning(cl);
    const prefix = 'killall';
    const ledger = new WriteLedger();
    for (let cycle = 1; cycle <= 3; cycle++) {
      const load = WriteLoad.start({ endpoints: cl.endpoints(), keyPrefix: prefix, ledger, writers: 8, maxDurationMs: 20_000, maxWrites: 20_000 });
      const startedAt = Date.now();
      try {
        await load.waitAcks(100, startedAt, 20_000);
        await Promise.all(cl.members.map((m) => cl.kill(m.plan.name)));
      } catch (err) {
        throw new Error(`cycle ${cycle}: ${(err as Error).message}\n${clusterTails(cl)}`, { cause: err });
      } finally {
        await load.stop();
      }
      assert.deepEqual(ledger.malformed, [], clusterTails(cl));
      for (const m of cl.members) cl.restart(m.plan.name);
      await assertIntact(cl, prefix, ledger, `kill-all cycle ${cycle}`);
      t.diagnostic(`cycle ${cycle}: ${ledger.acked.size} acknowledged writes so far, ${ledger.failures} failed`);
    }
  });

  test('SIGTERM of all three members mid-load: clean exit, every acknowledged write survives', { timeout: 120_000 }, async (t) => {
    const cl = c();
    await allRunning(cl);
    const prefix = 'sigterm';
    const ledger = new WriteLedger();
    const load = WriteLoad.start({ endpoints: cl.endpoints(), keyPrefix: prefix, ledger, writers: 8, maxDurationMs: 20_000, maxWrites: 20_000 });
    const startedAt = Date.now();
    try {
      await load.waitAcks(300, startedAt, 20_000);
      const stops = Promise.all(cl.members.map((m) => cl.signal(m.plan.name, 'SIGTERM')));
      // The member's own shutdown deadline is 10 s; give it a little more before calling it hung.
      const hung = await Promise.race([stops.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 15_000))]);
      assert.equal(hung, false, `members did not exit within 15 s of SIGTERM\n${clusterTails(cl)}`);
    } finally {
      await load.stop();
      for (const m of cl.members) if (cl.isRunning(m.plan.name)) await cl.kill(m.plan.name);
    }
    for (const m of cl.members) {
      assert.equal(m.proc?.exitCode, 0, `${m.plan.name} exited with ${String(m.proc?.exitCode)} / ${String(m.proc?.signalCode)} after SIGTERM\n${clusterTails(cl)}`);
    }
    t.diagnostic(`${ledger.acked.size} acknowledged writes before SIGTERM, ${ledger.failures} failed`);
    for (const m of cl.members) cl.restart(m.plan.name);
    await assertIntact(cl, prefix, ledger, 'after SIGTERM');
  });

  test('kill -9 after a snapshot file is saved but before its WAL marker: the member restarts and keeps every write', { timeout: 120_000 }, async (t) => {
    const cl = c();
    await allRunning(cl);
    const prefix = 'snap-window';
    const ledger = new WriteLedger();
    const leader = await cl.leader(20_000);
    const follower = cl.members.map((m) => m.plan.name).find((n) => n !== leader)!;
    // Enough entries for the follower to hold at least one snapshot of its own.
    await putKeys(ledger, cl.member(leader).endpoint, prefix, SNAPSHOT_COUNT + 50);
    const target = await leaderApplied(cl);
    await waitApplied(cl, follower, target.applied, 30_000);
    const st = await cl.status(follower, 2000);
    await cl.kill(follower);
    const own = snapshots(cl, follower)[0];
    assert.ok(own, `${follower} has no snapshot after ${SNAPSHOT_COUNT + 50} writes\n${clusterTails(cl)}`);
    // The disk as a crash leaves it in RaftNode.maybeSnapshot between snapshotter.save (file
    // durable) and wal.saveSnapshotMarker: a complete snapshot file for an index inside the
    // WAL that the WAL has no marker for. Its bytes must not matter: a member may only use
    // snapshots its WAL vouches for, so this one (an older state under a newer label) is ignored.
    const unmarked = Number(st.raftAppliedIndex);
    assert.ok(unmarked > own.index, `${follower} applied ${unmarked}, newest snapshot ${own.index}`);
    const file = relabelSnapshot(snapDir(cl, follower), own.file, unmarked, Number(st.header?.raftTerm ?? 1n));
    t.diagnostic(`${follower}: newest marked snapshot ${own.file}, unmarked ${file} (applied ${unmarked})`);
    cl.restart(follower);
    try {
      await cl.waitMemberReady(follower, 30_000);
    } catch (err) {
      throw new Error(`${follower} did not come back with an unmarked snapshot file on disk: ${(err as Error).message}`, { cause: err });
    }
    const s = await serializableCatchUp(cl.member(follower).endpoint, prefix, ledger, 30_000);
    assert.ok(isClean(s), `${describeReport(s)}\n${clusterTails(cl)}`);
  });
});

/** Writes a copy of snapshot `file` claiming (term, index); returns the new file's name. */
function relabelSnapshot(dir: string, file: string, index: number, term: number): string {
  const bytes = readFileSync(join(dir, file));
  // Snapshot file header (see packages/etcd/src/wal/snapshotter.ts): u64 LE term at 24,
  // u64 LE index at 32, crc32 of bytes 0..43 at 44; the data and its crc stay as they are.
  writeU64(bytes, 24, term);
  writeU64(bytes, 32, index);
  bytes.writeUInt32LE(crc32(bytes.subarray(0, 44)), 44);
  const name = `${term.toString(16).padStart(16, '0')}-${index.toString(16).padStart(16, '0')}.snap`;
  writeFileSync(join(dir, name), bytes);
  return name;
}

function writeU64(buf: Buffer, offset: number, value: number): void {
  buf.writeUInt32LE(value % 2 ** 32, offset);
  buf.writeUInt32LE(Math.floor(value / 2 ** 32), offset + 4);
}

function snapDir(cl: EtcdTestCluster, name: string): string {
  return join(cl.member(name).plan.dataDir, 'member', 'snap');
}

/** A member's complete snapshot files, newest first. */
function snapshots(cl: EtcdTestCluster, name: string): Array<{ file: string; index: number }> {
  let files: string[];
  try {
    files = readdirSync(snapDir(cl, name));
  } catch {
    return [];
  }
  return files
    .filter((f) => /^[0-9a-f]{16}-[0-9a-f]{16}\.snap$/.test(f))
    .map((file) => ({ file, index: parseInt(file.slice(17, 33), 16) }))
    .sort((a, b) => b.index - a.index);
}
