import { test } from 'node:test';
import assert from 'node:assert/strict';
import { credentials } from '@grpc/grpc-js';
import { etcdserverpb } from '@kemu/api';
import { EtcdTestCluster, KvClient } from '../harness/index.js';

test('a watcher that stops reading still gets every event, once and in order, when it reads again', { timeout: 120_000 }, async () => {
  const cluster = await EtcdTestCluster.start({ ipPrefix: '127.25.0' });
  const endpoint = cluster.member(await cluster.leader()).endpoint;
  const watch = new etcdserverpb.WatchClient(endpoint, credentials.createInsecure());
  const kv = new KvClient(endpoint);
  const N = 1500;
  const value = 'v'.repeat(8 * 1024); // 12 MB of events in all: well past grpc's buffers
  try {
    const stream = watch.watch();
    const responses: etcdserverpb.WatchResponse[] = [];
    stream.on('data', (r: etcdserverpb.WatchResponse) => responses.push(r));
    const errors: Error[] = [];
    stream.on('error', (err: Error) => errors.push(err));
    stream.write({ requestUnion: { $case: 'createRequest', createRequest: etcdserverpb.WatchCreateRequest.fromPartial({ key: Buffer.from('slow/'), rangeEnd: Buffer.from('slow0') }) } });
    for (let i = 0; i < 100 && !responses.some((r) => r.created); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(responses.some((r) => r.created), 'watch created');
    stream.pause(); // stop reading: flow control backs up into the member

    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < N) {
          const i = next++;
          // A starved machine can cost the cluster its leader for a moment, or hold a
          // proposal past etcd's request timeout. Each key is written by a put-if-absent Txn,
          // so retrying after such an error (which may or may not have been applied) can
          // never give the watcher a second event for the key.
          for (let attempt = 0; ; attempt++) {
            try {
              await kv.cas(`slow/${String(i).padStart(5, '0')}`, null, value, 10_000);
              break;
            } catch (err) {
              if (attempt >= 50 || !/no leader|timed out|Deadline exceeded/.test((err as Error).message)) throw err;
              await new Promise((r) => setTimeout(r, 100));
            }
          }
        }
      }),
    );
    assert.ok(cluster.isRunning(cluster.members[0]!.plan.name) && cluster.isRunning(cluster.members[1]!.plan.name) && cluster.isRunning(cluster.members[2]!.plan.name));

    stream.resume();
    const deadline = Date.now() + 60_000;
    const count = (): number => responses.reduce((n, r) => n + r.events.length, 0);
    while (count() < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const events = responses.flatMap((r) => r.events);
    assert.equal(events.length, N, 'every write reached the watcher exactly once');
    const revs = events.map((e) => e.kv!.modRevision);
    for (let i = 1; i < revs.length; i++) assert.ok(revs[i]! > revs[i - 1]!, `events in revision order at ${i}`);
    assert.equal(new Set(events.map((e) => e.kv!.key.toString())).size, N);
    assert.ok(events.every((e) => e.kv!.value.length === value.length));
    assert.deepEqual(errors, [], 'the stream stayed healthy (no response over the client\'s 4 MiB limit)');
    stream.cancel();
  } finally {
    kv.close();
    watch.close();
    await cluster.destroy();
  }
});
