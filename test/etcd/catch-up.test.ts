// A member that was down catches up when it restarts: from the leader's log while the
// gap is still in it, and from a snapshot once the leader has compacted the gap away.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdTestCluster } from '../harness/etcd-cluster.js';
import { putKeys, WriteLedger } from '../harness/write-load.js';
import { clusterTails, describeReport, isClean, linearizableCheck, serializableCatchUp } from '../harness/verify-acked.js';
import { leaderApplied, waitApplied } from '../harness/raft-progress.js';
import { memberLog, waitLogRecord, type LogRecord } from '../harness/member-log.js';

const IP_PREFIX = '127.22.2';
const SNAPSHOT_APPLIED = 'applied snapshot from leader';
const WAL_RESTART = 'restarting member from its WAL';

describe('etcd member catch-up', () => {
  // Each test starts its own cluster on the same block; the previous one is destroyed first.
  let cluster: EtcdTestCluster | undefined;
  afterEach(async () => {
    await cluster?.destroy();
    cluster = undefined;
  });

  async function followerOf(cl: EtcdTestCluster): Promise<{ leader: string; follower: string }> {
    const leader = await cl.leader(15_000);
    const follower = cl.members.map((m) => m.plan.name).find((n) => n !== leader);
    assert.ok(follower);
    return { leader, follower };
  }

  test('from the log: a follower killed with -9 gets the 200 writes it missed', { timeout: 120_000 }, async () => {
    cluster = await EtcdTestCluster.start({ ipPrefix: IP_PREFIX });
    const cl = cluster;
    const { leader, follower } = await followerOf(cl);
    await cl.kill(follower);

    const ledger = new WriteLedger();
    await putKeys(ledger, cl.member(leader).endpoint, 'log', 200);
    assert.equal(ledger.acked.size, 200);
    const target = await leaderApplied(cl);

    const logFrom = memberLog(cl, follower).length;
    cl.restart(follower);
    await cl.waitMemberReady(follower, 30_000);
    await waitApplied(cl, follower, target.applied, 30_000);
    const r = await serializableCatchUp(cl.member(follower).endpoint, 'log', ledger, 30_000);
    assert.ok(isClean(r), `${describeReport(r)}\n${clusterTails(cl)}`);
    assert.equal(r.checked, 200);

    const since = memberLog(cl, follower).slice(logFrom);
    assert.ok(since.some((x) => x.msg === WAL_RESTART), `${follower} did not restart from its WAL\n${clusterTails(cl)}`);
    assert.ok(!since.some((x) => x.msg === SNAPSHOT_APPLIED), `${follower} was sent a snapshot although the gap was in the log\n${clusterTails(cl)}`);
  });

  test('from a snapshot: the gap was compacted; the member installs the leader snapshot and survives another kill -9', { timeout: 150_000 }, async (t) => {
    cluster = await EtcdTestCluster.start({ ipPrefix: IP_PREFIX, snapshotCount: 100, snapshotCatchupEntries: 20 });
    const cl = cluster;
    const { leader, follower } = await followerOf(cl);
    const appliedAtKill = (await cl.status(follower, 2000)).raftAppliedIndex;
    await cl.kill(follower);

    const ledger = new WriteLedger();
    await putKeys(ledger, cl.member(leader).endpoint, 'snap', 600);
    const leaderSnapshots = memberLog(cl, leader).filter((x) => x.msg === 'saved snapshot');
    assert.ok(leaderSnapshots.length >= 5, `leader ${leader} saved ${leaderSnapshots.length} snapshots for 600 writes with --snapshot-count 100\n${clusterTails(cl)}`);
    const target = await leaderApplied(cl);

    // First restart: the leader no longer has the entries the follower lacks.
    let logFrom = memberLog(cl, follower).length;
    cl.restart(follower);
    let installed: LogRecord;
    try {
      installed = await waitLogRecord(cl, follower, logFrom, (x) => x.msg === SNAPSHOT_APPLIED, 30_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${clusterTails(cl)}`, { cause: err });
    }
    const installedIndex = Number(installed['index']);
    t.diagnostic(`${follower} installed a snapshot at index ${installedIndex}; leader applied ${target.applied}`);
    assert.ok(BigInt(installedIndex) > appliedAtKill, `snapshot index ${installedIndex} is not past ${follower}'s applied index ${appliedAtKill} at the kill`);
    await cl.waitMemberReady(follower, 30_000);
    await waitApplied(cl, follower, target.applied, 30_000);
    let r = await serializableCatchUp(cl.member(follower).endpoint, 'snap', ledger, 30_000);
    assert.ok(isClean(r), `after snapshot install: ${describeReport(r)}\n${clusterTails(cl)}`);
    assert.equal(r.checked, 600);

    // Second kill -9: the member restarts from the snapshot it received (or a newer own one).
    await cl.kill(follower);
    logFrom = memberLog(cl, follower).length;
    cl.restart(follower);
    await cl.waitMemberReady(follower, 30_000);
    const restart = memberLog(cl, follower)
      .slice(logFrom)
      .find((x) => x.msg === WAL_RESTART);
    assert.ok(restart, `${follower} did not restart from its WAL\n${clusterTails(cl)}`);
    assert.ok(
      Number(restart['snapshotIndex']) >= installedIndex,
      `${follower} restarted from snapshot ${String(restart['snapshotIndex'])}, below the received ${installedIndex}\n${clusterTails(cl)}`,
    );
    r = await serializableCatchUp(cl.member(follower).endpoint, 'snap', ledger, 30_000);
    assert.ok(isClean(r), `after second restart: ${describeReport(r)}\n${clusterTails(cl)}`);

    // It keeps replicating: new writes reach it, and the whole history reads back linearizably through it.
    await putKeys(ledger, cl.member(leader).endpoint, 'snap2', 100);
    const after2 = await leaderApplied(cl);
    await waitApplied(cl, follower, after2.applied, 30_000);
    for (const prefix of ['snap', 'snap2']) {
      const s = await serializableCatchUp(cl.member(follower).endpoint, prefix, ledger, 30_000);
      assert.ok(isClean(s), `${describeReport(s)}\n${clusterTails(cl)}`);
      const l = await linearizableCheck(cl.member(follower).endpoint, prefix, ledger);
      assert.ok(isClean(l), `${describeReport(l)}\n${clusterTails(cl)}`);
    }
  });
});
