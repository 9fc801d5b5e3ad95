// Bad input gets etcd 3.4's errors (code and exact text, api/v3rpc/rpctypes) and never
// takes a member down: oversized requests, oversized txns, empty keys, inverted ranges,
// future and compacted revisions, unknown leases, and garbage on the peer and client ports.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { Client, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { etcdserverpb, raftpb } from '@kemu/api';
import { EtcdTestCluster, etcdctl, hasEtcdctl } from '../harness/index.js';
import { eventually, grpcUnary } from '../harness/etcd-client-compat.js';

const MiB = 1024 * 1024;
const { PutRequest, RangeRequest, DeleteRangeRequest, TxnRequest, RequestOp, Compare, CompactionRequest, LeaseGrantRequest } = etcdserverpb;

/** Asserts a rejected gRPC call carries exactly this status code and message. */
async function rejectsWith(p: Promise<unknown>, code: status, details: string | RegExp): Promise<void> {
  await assert.rejects(p, (err: ServiceError) => {
    assert.equal(err.code, code, `code ${err.code} (${err.details})`);
    if (typeof details === 'string') assert.equal(err.details, details);
    else assert.match(err.details, details);
    return true;
  });
}

const putOp = (key: string, value = 'v'): etcdserverpb.RequestOp =>
  RequestOp.fromPartial({ request: { $case: 'requestPut', requestPut: { key: Buffer.from(key), value: Buffer.from(value) } } });

/** Writes bytes to host:port on a raw TCP socket, then closes it; resolves when the socket is gone. */
function rawSend(host: string, port: number, chunks: Buffer[], holdMs = 0): Promise<void> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (): void => {
      s.destroy();
      resolve();
    };
    const guard = setTimeout(done, holdMs + 3000);
    s.on('error', () => {
      clearTimeout(guard);
      done();
    });
    s.on('close', () => {
      clearTimeout(guard);
      resolve();
    });
    s.on('connect', () => {
      for (const c of chunks) s.write(c);
      setTimeout(() => s.end(), holdMs);
    });
    s.on('data', () => undefined);
  });
}

/** Runs tasks with bounded concurrency. */
async function pool(n: number, width: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await task(next++);
    }),
  );
}

describe('bad input gets etcd\'s errors and never crashes a member', () => {
  let cluster: EtcdTestCluster;
  let kv: etcdserverpb.KVClient;
  let lease: etcdserverpb.LeaseClient;
  const ep = (): string => cluster.members[0]!.endpoint;

  const put = (req: Partial<etcdserverpb.PutRequest>, client = kv): Promise<etcdserverpb.PutResponse> =>
    grpcUnary((cb) => client.put(PutRequest.fromPartial(req), cb));
  const range = (req: Partial<etcdserverpb.RangeRequest>): Promise<etcdserverpb.RangeResponse> => grpcUnary((cb) => kv.range(RangeRequest.fromPartial(req), cb));
  const del = (req: Partial<etcdserverpb.DeleteRangeRequest>): Promise<etcdserverpb.DeleteRangeResponse> =>
    grpcUnary((cb) => kv.deleteRange(DeleteRangeRequest.fromPartial(req), cb));
  const txn = (req: etcdserverpb.TxnRequest): Promise<etcdserverpb.TxnResponse> => grpcUnary((cb) => kv.txn(req, cb));
  const compact = (revision: number): Promise<etcdserverpb.CompactionResponse> =>
    grpcUnary((cb) => kv.compact(CompactionRequest.fromPartial({ revision: BigInt(revision) }), cb));

  /** Every member still runs, one leader is agreed on, and a write through each member succeeds. */
  async function assertClusterServing(what: string): Promise<void> {
    for (const m of cluster.members) assert.ok(cluster.isRunning(m.plan.name), `${m.plan.name} still running after ${what}:\n${cluster.tail(m.plan.name)}`);
    await cluster.leader();
    const statuses = await Promise.all(cluster.members.map((m) => cluster.status(m.plan.name, 2000)));
    assert.equal(new Set(statuses.map((s) => s.leader)).size, 1, 'all members name the same leader');
    for (const m of cluster.members) {
      const c = new etcdserverpb.KVClient(m.endpoint, credentials.createInsecure());
      try {
        const r = await put({ key: Buffer.from(`alive/${m.plan.name}`), value: Buffer.from(what) }, c);
        assert.ok(r.header && r.header.revision > 0n);
      } finally {
        c.close();
      }
    }
  }

  before(async () => {
    cluster = await EtcdTestCluster.start({ ipPrefix: '127.21.2' });
    kv = new etcdserverpb.KVClient(ep(), credentials.createInsecure());
    lease = new etcdserverpb.LeaseClient(ep(), credentials.createInsecure());
  });
  after(async () => {
    kv?.close();
    lease?.close();
    await cluster?.destroy();
  });

  test('a put over 1.5 MiB: INVALID_ARGUMENT "etcdserver: request is too large"', async () => {
    await rejectsWith(put({ key: Buffer.from('big'), value: Buffer.alloc(1.6 * MiB, 0x61) }), status.INVALID_ARGUMENT, 'etcdserver: request is too large');
    // Many small puts in one txn add up the same way.
    const ops = Array.from({ length: 100 }, (_, i) => putOp(`bigtxn/${i}`, 'x'.repeat(16 * 1024)));
    await rejectsWith(txn(TxnRequest.fromPartial({ success: ops })), status.INVALID_ARGUMENT, 'etcdserver: request is too large');
    assert.equal((await range({ key: Buffer.from('big') })).count, 0n);
    // Just under the limit is accepted.
    const ok = await put({ key: Buffer.from('big'), value: Buffer.alloc(1.4 * MiB, 0x62) });
    assert.ok(ok.header);
    await assertClusterServing('large request');
  });

  test('a 3 MiB message: RESOURCE_EXHAUSTED from gRPC; members stay up', async () => {
    await rejectsWith(put({ key: Buffer.from('huge'), value: Buffer.alloc(3 * MiB, 0x63) }), status.RESOURCE_EXHAUSTED, /larger than max/i);
    await assertClusterServing('3 MiB message');
  });

  test('etcdctl put of a 1.6 MiB value from stdin gets the same error', { skip: hasEtcdctl() ? false : 'no etcdctl' }, () => {
    const r = etcdctl([cluster.members[1]!.plan.clientUrl], ['put', 'big-ctl'], { input: 'z'.repeat(1.6 * MiB) });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /Error: etcdserver: request is too large/);
  });

  test('txn with more than 128 ops: "etcdserver: too many operations in txn request"', async () => {
    const ops = (n: number) => Array.from({ length: n }, (_, i) => putOp(`many/${i}`));
    await rejectsWith(txn(TxnRequest.fromPartial({ success: ops(129) })), status.INVALID_ARGUMENT, 'etcdserver: too many operations in txn request');
    await rejectsWith(txn(TxnRequest.fromPartial({ failure: ops(129) })), status.INVALID_ARGUMENT, 'etcdserver: too many operations in txn request');
    const compares = Array.from({ length: 129 }, (_, i) => Compare.fromPartial({ key: Buffer.from(`many/${i}`), targetUnion: { $case: 'version', version: 0n } }));
    await rejectsWith(txn(TxnRequest.fromPartial({ compare: compares })), status.INVALID_ARGUMENT, 'etcdserver: too many operations in txn request');
    // Exactly 128 is allowed and applied atomically.
    const r = await txn(TxnRequest.fromPartial({ success: ops(128) }));
    assert.equal(r.succeeded, true);
    assert.equal(r.responses.length, 128);
    assert.equal((await range({ key: Buffer.from('many/'), rangeEnd: Buffer.from('many0'), countOnly: true })).count, 128n);
  });

  test('duplicate keys in one txn branch: "etcdserver: duplicate key given in txn request"', async () => {
    await rejectsWith(txn(TxnRequest.fromPartial({ success: [putOp('dup/k', '1'), putOp('dup/k', '2')] })), status.INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request');
    // A put inside a deleted range of the same branch.
    const delOp = RequestOp.fromPartial({ request: { $case: 'requestDeleteRange', requestDeleteRange: { key: Buffer.from('dup/'), rangeEnd: Buffer.from('dup0') } } });
    await rejectsWith(txn(TxnRequest.fromPartial({ success: [delOp, putOp('dup/x')] })), status.INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request');
    assert.equal((await range({ key: Buffer.from('dup/'), rangeEnd: Buffer.from('dup0') })).count, 0n, 'nothing applied');
    // The same key on the two exclusive branches is fine.
    const r = await txn(TxnRequest.fromPartial({ success: [putOp('dup/k', 'then')], failure: [putOp('dup/k', 'else')] }));
    assert.equal(r.succeeded, true);
  });

  test('empty keys: "etcdserver: key is not provided" on put, range, delete, txn', async () => {
    const msg = 'etcdserver: key is not provided';
    await rejectsWith(put({ key: Buffer.alloc(0), value: Buffer.from('v') }), status.INVALID_ARGUMENT, msg);
    await rejectsWith(range({ key: Buffer.alloc(0) }), status.INVALID_ARGUMENT, msg);
    await rejectsWith(del({ key: Buffer.alloc(0) }), status.INVALID_ARGUMENT, msg);
    await rejectsWith(txn(TxnRequest.fromPartial({ success: [putOp('')] })), status.INVALID_ARGUMENT, msg);
    await rejectsWith(txn(TxnRequest.fromPartial({ compare: [Compare.fromPartial({ key: Buffer.alloc(0) })] })), status.INVALID_ARGUMENT, msg);
  });

  test('inverted ranges (key > range_end): range is empty, delete deletes nothing', async () => {
    await put({ key: Buffer.from('inv/b'), value: Buffer.from('v') });
    const r = await range({ key: Buffer.from('inv/c'), rangeEnd: Buffer.from('inv/a') });
    assert.equal(r.count, 0n);
    assert.equal(r.kvs.length, 0);
    const before = (await range({ key: Buffer.from('inv/b') })).header?.revision;
    const d = await del({ key: Buffer.from('inv/c'), rangeEnd: Buffer.from('inv/a') });
    assert.equal(d.deleted, 0n);
    assert.equal(d.header?.revision, before, 'deleting nothing does not bump the revision');
    assert.equal((await range({ key: Buffer.from('inv/b') })).count, 1n);
  });

  test('watch create with an inverted range: created + canceled with a reason', async () => {
    const w = new etcdserverpb.WatchClient(ep(), credentials.createInsecure());
    const stream = w.watch();
    try {
      const responses: etcdserverpb.WatchResponse[] = [];
      stream.on('data', (r: etcdserverpb.WatchResponse) => responses.push(r));
      stream.on('error', () => undefined);
      stream.write(etcdserverpb.WatchRequest.fromPartial({ requestUnion: { $case: 'createRequest', createRequest: { key: Buffer.from('inv/c'), rangeEnd: Buffer.from('inv/a') } } }));
      // The stream stays usable: a valid watch on the same stream is created afterwards.
      stream.write(etcdserverpb.WatchRequest.fromPartial({ requestUnion: { $case: 'createRequest', createRequest: { key: Buffer.from('inv/ok') } } }));
      await eventually('two watch responses', () => (responses.length >= 2 ? true : undefined), 5000, 20);
      const bad = responses[0]!;
      assert.deepEqual(
        { created: bad.created, canceled: bad.canceled, cancelReason: bad.cancelReason, watchId: bad.watchId },
        { created: true, canceled: true, cancelReason: 'mvcc: watcher range is empty', watchId: -1n },
      );
      const good = responses[1]!;
      assert.equal(good.created, true);
      assert.equal(good.canceled, false);
      await put({ key: Buffer.from('inv/ok'), value: Buffer.from('1') });
      await eventually('event on the valid watch', () => (responses.some((r) => r.events.length > 0) ? true : undefined), 5000, 20);
      assert.equal(responses.find((r) => r.events.length > 0)?.watchId, good.watchId);
    } finally {
      stream.end();
      stream.cancel();
      w.close();
    }
  });

  test('range at a future revision: OUT_OF_RANGE "etcdserver: mvcc: required revision is a future revision"', async () => {
    const rev = (await range({ key: Buffer.from('x') })).header!.revision;
    await rejectsWith(range({ key: Buffer.from('x'), revision: rev + 100n }), status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision');
    await rejectsWith(range({ key: Buffer.from('x'), revision: 2n ** 62n }), status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision');
    await rejectsWith(compact(Number(rev) + 100), status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision');
    // The current revision itself is fine.
    assert.ok((await range({ key: Buffer.from('x'), revision: rev })).header);
  });

  test('compacted revisions: "etcdserver: mvcc: required revision has been compacted", also for compact at or below it', async () => {
    const r1 = Number((await put({ key: Buffer.from('cmp/k'), value: Buffer.from('1') })).header!.revision);
    const r2 = Number((await put({ key: Buffer.from('cmp/k'), value: Buffer.from('2') })).header!.revision);
    await put({ key: Buffer.from('cmp/k'), value: Buffer.from('3') });
    await compact(r2);
    const msg = 'etcdserver: mvcc: required revision has been compacted';
    await rejectsWith(range({ key: Buffer.from('cmp/k'), revision: BigInt(r1) }), status.OUT_OF_RANGE, msg);
    await rejectsWith(compact(r2), status.OUT_OF_RANGE, msg);
    await rejectsWith(compact(r1), status.OUT_OF_RANGE, msg);
    const at = await range({ key: Buffer.from('cmp/k'), revision: BigInt(r2) });
    assert.equal(at.kvs[0]?.value.toString(), '2');
    // A txn reading a compacted revision fails the same way.
    const readOld = RequestOp.fromPartial({ request: { $case: 'requestRange', requestRange: { key: Buffer.from('cmp/k'), revision: BigInt(r1) } } });
    await rejectsWith(txn(TxnRequest.fromPartial({ success: [readOld] })), status.OUT_OF_RANGE, msg);
    // A watch from before the compaction is created, then canceled with the compact revision.
    const w = new etcdserverpb.WatchClient(ep(), credentials.createInsecure());
    const stream = w.watch();
    try {
      const responses: etcdserverpb.WatchResponse[] = [];
      stream.on('data', (r: etcdserverpb.WatchResponse) => responses.push(r));
      stream.on('error', () => undefined);
      stream.write(etcdserverpb.WatchRequest.fromPartial({ requestUnion: { $case: 'createRequest', createRequest: { key: Buffer.from('cmp/k'), startRevision: BigInt(r1) } } }));
      await eventually('compacted watch cancel', () => (responses.some((r) => r.canceled) ? true : undefined), 5000, 20);
      const cancel = responses.find((r) => r.canceled)!;
      assert.equal(cancel.compactRevision, BigInt(r2));
      assert.ok(responses.some((r) => r.created));
    } finally {
      stream.end();
      stream.cancel();
      w.close();
    }
  });

  test('unknown lease IDs: put and revoke NOT_FOUND, timetolive TTL -1, keep-alive TTL 0', async () => {
    const unknown = 0x1234_5678_9abcn;
    const msg = 'etcdserver: requested lease not found';
    await rejectsWith(put({ key: Buffer.from('lease/k'), value: Buffer.from('v'), lease: unknown }), status.NOT_FOUND, msg);
    await rejectsWith(txn(TxnRequest.fromPartial({ success: [RequestOp.fromPartial({ request: { $case: 'requestPut', requestPut: { key: Buffer.from('lease/k'), lease: unknown } } })] })), status.NOT_FOUND, msg);
    await rejectsWith(grpcUnary((cb) => lease.leaseRevoke({ ID: unknown }, cb)), status.NOT_FOUND, msg);
    const ttl = await grpcUnary<etcdserverpb.LeaseTimeToLiveResponse>((cb) => lease.leaseTimeToLive({ ID: unknown, keys: true }, cb));
    assert.equal(ttl.TTL, -1n);
    assert.equal(ttl.ID, unknown);
    assert.equal((await range({ key: Buffer.from('lease/k') })).count, 0n, 'nothing was written');

    const ka = lease.leaseKeepAlive();
    try {
      const res = await new Promise<etcdserverpb.LeaseKeepAliveResponse>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no keep-alive response')), 5000);
        ka.once('data', (r: etcdserverpb.LeaseKeepAliveResponse) => {
          clearTimeout(timer);
          resolve(r);
        });
        ka.once('error', (e: Error) => {
          clearTimeout(timer);
          reject(e);
        });
        ka.write({ ID: unknown });
      });
      assert.equal(res.ID, unknown);
      assert.equal(res.TTL, 0n);
    } finally {
      ka.on('error', () => undefined);
      ka.end();
      ka.cancel();
    }
  });

  test('lease grant errors: an existing ID and a TTL over the maximum', async () => {
    const grant = (ID: bigint, TTL: bigint): Promise<etcdserverpb.LeaseGrantResponse> => grpcUnary((cb) => lease.leaseGrant(LeaseGrantRequest.fromPartial({ ID, TTL }), cb));
    const g = await grant(0x77n, 60n);
    assert.equal(g.ID, 0x77n);
    await rejectsWith(grant(0x77n, 60n), status.FAILED_PRECONDITION, 'etcdserver: lease already exists');
    await rejectsWith(grant(0x78n, 9_000_000_001n), status.OUT_OF_RANGE, 'etcdserver: too large lease TTL');
    await grpcUnary((cb) => lease.leaseRevoke({ ID: 0x77n }, cb));
  });

  test('etcdctl sees the same lease errors', { skip: hasEtcdctl() ? false : 'no etcdctl' }, () => {
    const urls = cluster.members.map((m) => m.plan.clientUrl);
    const p = etcdctl(urls, ['put', 'k', 'v', '--lease=1234abcd']);
    assert.notEqual(p.status, 0);
    assert.match(p.stderr, /Error: etcdserver: requested lease not found/);
    const rv = etcdctl(urls, ['lease', 'revoke', '1234abcd']);
    assert.notEqual(rv.status, 0);
    assert.match(rv.stderr, /etcdserver: requested lease not found/);
    const t = etcdctl(urls, ['lease', 'timetolive', '1234abcd']);
    assert.equal(t.status, 0, t.stderr);
    assert.equal(t.stdout, 'lease 000000001234abcd already expired\n');
  });

  test('garbage on the peer and client ports never takes a member down', async () => {
    const m0 = cluster.members[0]!;
    const host = m0.plan.ip;
    const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    // Random bytes: 200 connections x 4 KiB to the peer port and 50 to the client port.
    await pool(200, 20, () => rawSend(host, 2380, [randomBytes(4096)]));
    await pool(50, 10, () => rawSend(host, 2379, [randomBytes(4096)]));
    // Half-open HTTP/2: a preface and nothing else, held briefly; and a preface followed by junk frames.
    await pool(10, 10, (i) => rawSend(host, i % 2 === 0 ? 2380 : 2379, [preface], 500));
    await pool(20, 10, (i) => rawSend(host, i % 2 === 0 ? 2380 : 2379, [preface, randomBytes(1024)]));
    // An HTTP/1 request to the peer port.
    await rawSend(host, 2380, [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')]);
    await assertClusterServing('garbage on the ports');
  });

  test('undecodable protobuf on the peer and client services: INTERNAL, members stay up', async () => {
    const raw = (addr: string, method: string, body: Buffer, clientStream: boolean): Promise<ServiceError | undefined> =>
      new Promise((resolve) => {
        const c = new Client(addr, credentials.createInsecure());
        const id = (b: Buffer): Buffer => b;
        const done = (err: ServiceError | null): void => {
          c.close();
          resolve(err ?? undefined);
        };
        if (clientStream) {
          const s = c.makeClientStreamRequest(method, id, id, done);
          s.on('error', () => undefined);
          s.write(body);
          s.end();
        } else {
          c.makeUnaryRequest(method, id, id, body, done);
        }
      });
    const host = cluster.members[0]!.plan.ip;
    const junk = Buffer.from([0xff, 0xff, 0xff, 0x07, 0x99]);
    // Batch.from = 2^64 - 1: a valid varint that does not fit the member's ID type.
    const hugeFrom = Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    for (const [addr, method, body, stream] of [
      [`${host}:2380`, '/kemu.raftpb.RaftPeer/Stream', junk, true],
      [`${host}:2380`, '/kemu.raftpb.RaftPeer/Stream', hugeFrom, true],
      [`${host}:2379`, '/etcdserverpb.KV/Put', junk, false],
      // A length-delimited field (compare) that claims 127 bytes but carries one.
      [`${host}:2379`, '/etcdserverpb.KV/Txn', Buffer.from([0x0a, 0x7f, 0x01]), false],
    ] as const) {
      const err = await raw(addr, method, body, stream);
      assert.ok(err, `${method} with junk must fail`);
      assert.ok(err.code === status.INTERNAL || err.code === status.INVALID_ARGUMENT, `${method}: ${err.code} ${err.details}`);
    }
    await assertClusterServing('undecodable protobuf');
  });

  test('peer streams from an unknown cluster or member are rejected with INVALID_ARGUMENT', async () => {
    const st = await cluster.status(cluster.members[0]!.plan.name);
    const clusterId = Number(st.header!.clusterId & 0xffffffffffffn);
    const selfId = Number(st.header!.memberId);
    const peer = new raftpb.RaftPeerClient(`${cluster.members[0]!.plan.ip}:2380`, credentials.createInsecure());
    const sendBatch = (batch: raftpb.Batch): Promise<raftpb.StreamSummary> =>
      new Promise((resolve, reject) => {
        const s = peer.stream((err, res) => (err ? reject(err) : res ? resolve(res) : reject(new Error('no summary'))));
        s.on('error', () => undefined);
        s.write(batch);
        s.end();
      });
    const heartbeat = (from: number): raftpb.Message =>
      raftpb.Message.fromPartial({ type: 'MsgHeartbeat', from, to: selfId, term: 1 });
    try {
      await rejectsWith(sendBatch({ clusterId: clusterId + 1, from: 424242, messages: [heartbeat(424242)] }), status.INVALID_ARGUMENT, /cluster ID mismatch/);
      await rejectsWith(sendBatch({ clusterId, from: 424242, messages: [heartbeat(424242)] }), status.INVALID_ARGUMENT, /unknown member/);
      // From a real member ID, but not a Raft message.
      const otherId = Number((await cluster.status(cluster.members[1]!.plan.name)).header!.memberId);
      await rejectsWith(
        sendBatch({ clusterId, from: otherId, messages: [raftpb.Message.fromPartial({ type: 'MsgBogus', from: otherId, to: selfId })] }),
        status.INVALID_ARGUMENT,
        /unknown raft message type/,
      );
      await rejectsWith(sendBatch({ clusterId, from: otherId, messages: [heartbeat(424242)] }), status.INVALID_ARGUMENT, /misaddressed/);
    } finally {
      peer.close();
    }
    await assertClusterServing('bad peer streams');
  });
});
