// The npm `etcd3` client (v1), unchanged, against a three-member kemu etcd cluster:
// KV, transactions, watches, leases, locks and STM.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3, EtcdLockFailedError, type IKeyValue, type Watcher } from 'etcd3';
import { EtcdTestCluster } from '../harness/index.js';
import { eventually } from '../harness/etcd-client-compat.js';

interface SeenEvent {
  type: 'put' | 'delete';
  key: string;
  value: string;
  modRevision: number;
  prev?: string;
}

/** Collects a watcher's events in arrival order. */
function collect(w: Watcher): SeenEvent[] {
  const seen: SeenEvent[] = [];
  const push = (type: SeenEvent['type']) => (kv: IKeyValue, prev?: IKeyValue) => {
    const e: SeenEvent = { type, key: kv.key.toString(), value: kv.value.toString(), modRevision: Number(kv.mod_revision) };
    if (prev) e.prev = prev.value.toString();
    seen.push(e);
  };
  w.on('put', push('put'));
  w.on('delete', push('delete'));
  return seen;
}

async function waitCount<T>(list: T[], n: number, what: string): Promise<void> {
  await eventually(`${what}: ${n} events`, () => (list.length >= n ? true : undefined), 10_000, 20);
}

describe('npm etcd3 client against a kemu etcd cluster', () => {
  let cluster: EtcdTestCluster;
  let client: Etcd3;
  const newClient = (hosts?: string[]): Etcd3 => new Etcd3({ hosts: hosts ?? cluster.members.map((m) => m.plan.clientUrl) });

  before(async () => {
    cluster = await EtcdTestCluster.start({ ipPrefix: '127.21.1' });
    client = newClient();
  });
  after(async () => {
    client?.close();
    await cluster?.destroy();
  });

  test('put, get, getAll().prefix(), delete', async () => {
    await client.put('app/a').value('1');
    await client.put('app/b').value('2');
    await client.put('app/c').value('3');
    await client.put('apq').value('outside');
    assert.equal(await client.get('app/a').string(), '1');
    assert.equal(await client.get('app/none').string(), null);
    assert.deepEqual(await client.getAll().prefix('app/').strings(), { 'app/a': '1', 'app/b': '2', 'app/c': '3' });
    assert.deepEqual(await client.getAll().prefix('app/').keys(), ['app/a', 'app/b', 'app/c']);
    assert.equal(await client.getAll().prefix('app/').count(), 3);
    assert.deepEqual(await client.getAll().prefix('app/').sort('Key', 'Descend').limit(2).keys(), ['app/c', 'app/b']);
    const del = await client.delete().key('app/a');
    assert.equal(del.deleted, '1');
    const delPrefix = await client.delete().prefix('app/').getPrevious();
    assert.deepEqual(delPrefix.map((kv) => `${kv.key.toString()}=${kv.value.toString()}`).sort(), ['app/b=2', 'app/c=3']);
    assert.deepEqual(await client.getAll().prefix('app/').strings(), {});
    assert.equal(await client.get('apq').string(), 'outside');
  });

  test('raw responses carry revisions that move by one per write', async () => {
    const p1 = await client.put('rev/k').value('v1').exec();
    const p2 = await client.put('rev/k').value('v2').exec();
    const r1 = Number(p1.header.revision);
    const r2 = Number(p2.header.revision);
    assert.equal(r2, r1 + 1);
    const got = await client.get('rev/k').exec();
    assert.equal(Number(got.header.revision), r2);
    assert.equal(got.kvs.length, 1);
    const kv = got.kvs[0]!;
    assert.deepEqual(
      { create: Number(kv.create_revision), mod: Number(kv.mod_revision), version: kv.version, value: kv.value.toString() },
      { create: r1, mod: r2, version: '2', value: 'v2' },
    );
    assert.equal(await client.get('rev/k').revision(String(r1)).string(), 'v1');
    // The header names the member that answered; it is one of the cluster's.
    const members = await client.cluster.memberList({});
    assert.equal(members.members.length, 3);
    assert.ok(members.members.some((m) => m.ID === got.header.member_id));
    assert.deepEqual(members.members.map((m) => m.name).sort(), ['etcd-0', 'etcd-1', 'etcd-2']);
  });

  test('if().then().else() transactions take the right branch', async () => {
    await client.put('txn/k').value('a');
    const yes = await client.if('txn/k', 'Value', '==', 'a').then(client.put('txn/k').value('b')).else(client.put('txn/other').value('x')).commit();
    assert.equal(yes.succeeded, true);
    assert.equal(await client.get('txn/k').string(), 'b');
    assert.equal(await client.get('txn/other').string(), null);

    const no = await client
      .if('txn/k', 'Value', '==', 'a')
      .then(client.put('txn/k').value('c'))
      .else(client.put('txn/other').value('y'), client.get('txn/k'))
      .commit();
    assert.equal(no.succeeded, false);
    assert.equal(no.responses.length, 2);
    const range = no.responses[1]?.response_range;
    assert.equal(range?.kvs[0]?.value.toString(), 'b');
    assert.equal(await client.get('txn/k').string(), 'b');
    assert.equal(await client.get('txn/other').string(), 'y');

    // Create-if-absent on version, and a mod-revision guard.
    const create = () => client.if('txn/new', 'Version', '==', 0).then(client.put('txn/new').value('first')).commit();
    assert.equal((await create()).succeeded, true);
    assert.equal((await create()).succeeded, false);
    const mod = (await client.get('txn/new').exec()).kvs[0]?.mod_revision;
    assert.ok(mod);
    assert.equal((await client.if('txn/new', 'Mod', '==', mod).then(client.put('txn/new').value('second')).commit()).succeeded, true);
    assert.equal((await client.if('txn/new', 'Mod', '==', mod).then(client.put('txn/new').value('third')).commit()).succeeded, false);
    assert.equal(await client.get('txn/new').string(), 'second');
  });

  test('watch().prefix() delivers puts and deletes in order', async () => {
    const w = await client.watch().prefix('watch/').withPreviousKV().create();
    try {
      const seen = collect(w);
      await client.put('watch/a').value('1');
      await client.put('watchX').value('not in prefix');
      await client.put('watch/a').value('2');
      await client.delete().key('watch/a');
      const last = await client.put('watch/b').value('3').exec();
      await waitCount(seen, 4, 'prefix watch');
      assert.deepEqual(
        seen.map(({ type, key, value, prev }) => ({ type, key, value, prev })),
        [
          { type: 'put', key: 'watch/a', value: '1', prev: undefined },
          { type: 'put', key: 'watch/a', value: '2', prev: '1' },
          { type: 'delete', key: 'watch/a', value: '', prev: '2' },
          { type: 'put', key: 'watch/b', value: '3', prev: undefined },
        ],
      );
      assert.equal(seen[3]?.modRevision, Number(last.header.revision));
      const revs = seen.map((e) => e.modRevision);
      assert.deepEqual([...revs].sort((a, b) => a - b), revs);
    } finally {
      await w.cancel();
    }
  });

  test('watch with startRevision replays history, then continues live', async () => {
    const start = Number((await client.put('replay/k').value('h1').exec()).header.revision);
    await client.put('replay/k').value('h2');
    await client.delete().key('replay/k');
    const w = await client.watch().key('replay/k').startRevision(String(start)).create();
    try {
      const seen = collect(w);
      await waitCount(seen, 3, 'replay');
      await client.put('replay/k').value('live');
      await waitCount(seen, 4, 'replay + live');
      assert.deepEqual(
        seen.map((e) => `${e.type}:${e.value}@${e.modRevision - start}`),
        ['put:h1@0', 'put:h2@1', 'delete:@2', 'put:live@3'],
      );
    } finally {
      await w.cancel();
    }
  });

  test('several watchers on one client each get their own events', async () => {
    const wa = await client.watch().key('multi/a').create();
    const wb = await client.watch().key('multi/b').create();
    try {
      const a = collect(wa);
      const b = collect(wb);
      for (const i of [1, 2, 3]) {
        await client.put('multi/a').value(`a${i}`);
        await client.put('multi/b').value(`b${i}`);
      }
      await waitCount(a, 3, 'watcher a');
      await waitCount(b, 3, 'watcher b');
      assert.deepEqual(a.map((e) => e.value), ['a1', 'a2', 'a3']);
      assert.deepEqual(b.map((e) => e.value), ['b1', 'b2', 'b3']);
    } finally {
      await wa.cancel();
      await wb.cancel();
    }
    // After cancel, no more events arrive on the old watchers.
  });

  test('lease: attached keys, keep-alive, revoke removes keys', async () => {
    const lease = client.lease(30);
    try {
      const id = await lease.grant();
      await lease.put('lease/a').value('1');
      await lease.put('lease/b').value('2');
      const kv = (await client.get('lease/a').exec()).kvs[0];
      assert.equal(kv?.lease, id);
      const ka = await lease.keepaliveOnce();
      assert.equal(ka.ID, id);
      assert.equal(ka.TTL, '30');
      const ttl = await client.leaseClient.leaseTimeToLive({ ID: id, keys: true });
      assert.equal(ttl.grantedTTL, '30');
      assert.ok(Number(ttl.TTL) > 20 && Number(ttl.TTL) <= 30, `TTL ${ttl.TTL}`);
      assert.deepEqual(ttl.keys.map((k) => k.toString()).sort(), ['lease/a', 'lease/b']);
      const leases = await client.leaseClient.leaseLeases();
      assert.ok(leases.leases.some((l) => l.ID === id));
      await lease.revoke();
      assert.deepEqual(await client.getAll().prefix('lease/').strings(), {});
      const after = await client.leaseClient.leaseTimeToLive({ ID: id });
      assert.equal(after.TTL, '-1');
    } finally {
      if (!lease.revoked()) await lease.revoke().catch(() => undefined);
    }
  });

  test('a short lease stays alive while its client keeps it alive', async () => {
    const lease = client.lease(2);
    try {
      await lease.grant();
      await lease.put('kept/k').value('v');
      let renewals = 0;
      lease.on('keepaliveSucceeded', () => renewals++);
      // Outlive the TTL twice over; the automatic keep-alive must hold the key.
      await eventually('three renewals', () => (renewals >= 3 ? true : undefined), 15_000, 100);
      assert.equal(await client.get('kept/k').string(), 'v');
    } finally {
      await lease.revoke().catch(() => undefined);
    }
    assert.equal(await client.get('kept/k').string(), null);
  });

  test('a lease whose client goes away without revoking expires and its keys vanish', async () => {
    const other = newClient([cluster.members[2]!.plan.clientUrl]);
    let id: string;
    try {
      const lease = other.lease(2);
      id = await lease.grant();
      await lease.put('orphan/k').value('v');
      lease.release(); // stop keep-alives without revoking
    } finally {
      other.close();
    }
    assert.equal(await client.get('orphan/k').string(), 'v');
    await eventually('the orphaned key to vanish', async () => ((await client.get('orphan/k').string()) === null ? true : undefined), 20_000, 200);
    const ttl = await client.leaseClient.leaseTimeToLive({ ID: id });
    assert.equal(ttl.TTL, '-1');
  });

  test('locks: mutual exclusion between clients, released on unlock', async () => {
    const other = newClient();
    try {
      const held = await client.lock('locks/l').ttl(10).acquire();
      await assert.rejects(other.lock('locks/l').ttl(10).acquire(), EtcdLockFailedError);
      await held.release();
      const mine = await other.lock('locks/l').ttl(10).acquire();
      await assert.rejects(client.lock('locks/l').ttl(10).acquire(), EtcdLockFailedError);
      await mine.release();

      // lock().do() runs the critical section and releases afterwards.
      const result = await client.lock('locks/l').ttl(10).do(async () => {
        await assert.rejects(other.lock('locks/l').acquire(), EtcdLockFailedError);
        return 'done';
      });
      assert.equal(result, 'done');
      const again = await other.lock('locks/l').acquire();
      await again.release();
    } finally {
      other.close();
    }
  });

  test('STM: concurrent increments from several clients lose no update', async () => {
    const clients = [client, newClient(), newClient()];
    try {
      await client.put('stm/counter').value('0');
      const perClient = 4;
      await Promise.all(
        clients.map(async (c) => {
          for (let i = 0; i < perClient; i++) {
            await c.stm({ retries: 50 }).transact(async (tx) => {
              const v = Number(await tx.get('stm/counter').string());
              await tx.put('stm/counter').value(String(v + 1));
            });
          }
        }),
      );
      assert.equal(await client.get('stm/counter').string(), String(clients.length * perClient));
    } finally {
      for (const c of clients.slice(1)) c.close();
    }
  });

  test('errors come back as etcd\'s: future revision, unknown lease', async () => {
    const rev = Number((await client.get('rev/k').exec()).header.revision);
    await assert.rejects(client.get('rev/k').revision(String(rev + 1000)).exec(), /required revision is a future revision/);
    await assert.rejects(client.put('bad/k').value('v').lease('123456789').exec(), /requested lease not found/);
  });
});
