// Failover under write load: kill -9 of the leader (or of any one member, again and again)
// loses no acknowledged write, the survivors keep taking writes, and the killed member
// catches up after it restarts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdTestCluster } from '../harness/etcd-cluster.js';
import { WriteLedger, WriteLoad } from '../harness/write-load.js';
import { clusterTails, describeReport, isClean, linearizableCheck, serializableCatchUp } from '../harness/verify-acked.js';
import { leaderApplied, waitApplied } from '../harness/raft-progress.js';

const PREFIX = 'failover';

describe('etcd leader failover', () => {
  let cluster: EtcdTestCluster | undefined;
  const c = (): EtcdTestCluster => {
    assert.ok(cluster, 'cluster did not start');
    return cluster;
  };

  before(async () => {
    cluster = await EtcdTestCluster.start({ ipPrefix: '127.22.0' });
  });
  after(async () => {
    await cluster?.destroy();
  });

  test('kill -9 of the leader under write load: new leader, no acknowledged write lost, restarted member catches up', { timeout: 150_000 }, async (t) => {
    const cl = c();
    const load = WriteLoad.start({ endpoints: cl.endpoints(), keyPrefix: PREFIX, writers: 8, maxDurationMs: 40_000, maxWrites: 20_000 });
    let oldLeader: string;
    let newLeader: string;
    let killedAt: number;
    try {
      await load.waitAcks(50, 0, 20_000);
      oldLeader = await cl.leader(10_000);
      killedAt = Date.now();
      await cl.kill(oldLeader);
      newLeader = await cl.leader(20_000);
      // Writes sent after the kill are acknowledged again (by the new leader's term).
      await load.waitAcks(50, killedAt, 25_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${clusterTails(cl)}`, { cause: err });
    } finally {
      await load.stop();
    }
    const ledger = load.ledger;
    assert.notEqual(newLeader, oldLeader, `the killed leader ${oldLeader} is still reported as leader\n${clusterTails(cl)}`);
    assert.deepEqual(ledger.malformed, [], clusterTails(cl));
    assert.ok(ledger.ackedStartedAtOrAfter(killedAt) > 0, `no write sent after the kill was acknowledged\n${clusterTails(cl)}`);

    t.diagnostic(`leader ${oldLeader} killed, new leader ${newLeader}; ${ledger.acked.size} writes acknowledged (${ledger.ackedStartedAtOrAfter(killedAt)} sent after the kill), ${ledger.failures} failed`);

    // Every acknowledged write is readable, linearizably, through each surviving member.
    for (const m of cl.members) {
      if (m.plan.name === oldLeader) continue;
      const r = await linearizableCheck(m.endpoint, PREFIX, ledger);
      assert.ok(isClean(r), `${describeReport(r)}\n${clusterTails(cl)}`);
      assert.ok(r.checked >= 100, `only ${r.checked} acknowledged writes`);
    }

    // The old leader restarts from its data dir and catches up with the new leader.
    cl.restart(oldLeader);
    await cl.waitMemberReady(oldLeader, 30_000);
    const target = await leaderApplied(cl);
    await waitApplied(cl, oldLeader, target.applied, 30_000);
    const caughtUp = await serializableCatchUp(cl.member(oldLeader).endpoint, PREFIX, ledger, 30_000);
    assert.ok(isClean(caughtUp), `${describeReport(caughtUp)}\n${clusterTails(cl)}`);
    assert.equal(caughtUp.checked, ledger.acked.size);
  });

  /** Restarts whatever an earlier (failed) test left stopped, so each test starts whole. */
  async function allRunning(cl: EtcdTestCluster): Promise<void> {
    for (const m of cl.members) if (!cl.isRunning(m.plan.name)) cl.restart(m.plan.name);
    await cl.waitReady(30_000);
    await cl.leader(20_000);
  }

  test('kill -9 of one member at a time, five rounds across all members, under load: every acknowledged write survives', { timeout: 240_000 }, async (t) => {
    const cl = c();
    await allRunning(cl);
    const prefix = 'one-by-one';
    const ledger = new WriteLedger();
    const load = WriteLoad.start({ endpoints: cl.endpoints(), keyPrefix: prefix, ledger, writers: 8, maxDurationMs: 150_000, maxWrites: 60_000 });
    const victims: string[] = [];
    try {
      for (let round = 0; round < 5; round++) {
        const victim = cl.members[round % cl.members.length]!.plan.name;
        const leader = await cl.leader(20_000);
        victims.push(`${victim}${victim === leader ? ' (leader)' : ''}`);
        await load.waitAcks(30, Date.now(), 20_000);
        const killedAt = Date.now();
        await cl.kill(victim);
        // The two survivors keep taking writes (after an election when the leader died).
        await load.waitAcks(30, killedAt, 25_000);
        cl.restart(victim);
        await cl.waitMemberReady(victim, 30_000);
        // One failure at a time: the victim is caught up before the next one goes down.
        const target = await leaderApplied(cl);
        await waitApplied(cl, victim, target.applied, 30_000);
      }
    } catch (err) {
      throw new Error(`after kills of ${victims.join(', ')}: ${(err as Error).message}\n${clusterTails(cl)}`, { cause: err });
    } finally {
      await load.stop();
    }
    assert.deepEqual(ledger.malformed, [], clusterTails(cl));
    t.diagnostic(`killed ${victims.join(', ')}; ${ledger.acked.size} acknowledged writes, ${ledger.failures} failed`);
    const target = await leaderApplied(cl);
    for (const m of cl.members) {
      await waitApplied(cl, m.plan.name, target.applied, 30_000);
      const s = await serializableCatchUp(m.endpoint, prefix, ledger, 30_000);
      assert.ok(isClean(s), `${describeReport(s)}\n${clusterTails(cl)}`);
    }
    for (const m of cl.members) {
      const r = await linearizableCheck(m.endpoint, prefix, ledger);
      assert.ok(isClean(r), `${describeReport(r)}\n${clusterTails(cl)}`);
    }
  });
});
