import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CompactedError, crc32c, FutureRevisionError, marshalKeyValue, MvccStore, revisionBytes, SnapshotFormatError, unmarshalKeyValue } from './index.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const leases = { leaseExists: (id: bigint) => id === 7n };

/** A store with deletes, re-creates, a txn, leases and a compaction. */
function busyStore(): MvccStore {
  const s = new MvccStore(leases);
  for (let i = 0; i < 50; i++) s.put({ key: b(`k${i % 13}`), value: b(`v${i}`), lease: i % 5 === 0 ? 7n : 0n });
  s.deleteRange({ key: b('k3') });
  s.txn({ success: [{ type: 'put', request: { key: b('k3'), value: b('back') } }, { type: 'deleteRange', request: { key: b('k4'), rangeEnd: b('k6') } }] });
  s.compact({ revision: 30 });
  s.put({ key: b('\xff\x00'), value: Buffer.alloc(0) });
  return s;
}

describe('codec', () => {
  test('CRC-32C check value', () => {
    assert.equal(crc32c(0, b('123456789')), 0xe3069283);
    assert.equal(crc32c(crc32c(0, b('1234')), b('56789')), 0xe3069283);
  });

  test('mvccpb.KeyValue wire bytes', () => {
    const kv = { key: b('foo'), createRevision: 2, modRevision: 3, version: 1, value: b('bar'), lease: 0n };
    assert.equal(marshalKeyValue(kv).toString('hex'), '0a03666f6f1002180320012a03626172');
    const neg = { ...kv, value: Buffer.alloc(0), lease: -1n };
    assert.equal(marshalKeyValue(neg).toString('hex'), '0a03666f6f100218032001' + '30ffffffffffffffffff01');
    assert.deepEqual(unmarshalKeyValue(marshalKeyValue(neg)), neg);
    const big = { ...kv, createRevision: 300, lease: 0x7fffffffffffffffn };
    assert.deepEqual(unmarshalKeyValue(marshalKeyValue(big)), big);
  });

  test('revision keys', () => {
    assert.equal(revisionBytes(258, 1).toString('hex'), '0000000000000102' + '5f' + '0000000000000001');
    assert.equal(revisionBytes(2, 0, true).toString('hex'), '0000000000000002' + '5f' + '0000000000000000' + '74');
  });
});

describe('serialize / restore', () => {
  test('round trip preserves reads, history, compaction, leases, and bytes', () => {
    const s = busyStore();
    const buf = s.serialize();
    const r = MvccStore.restore(buf, leases);
    assert.equal(r.revision, s.revision);
    assert.equal(r.compactRevision, 30);
    assert.deepEqual(r.serialize(), buf, 'same state -> same bytes');
    for (const rev of [30, 40, 52, s.revision]) {
      const q = { key: Buffer.from([0]), rangeEnd: Buffer.from([0]), revision: rev };
      assert.deepEqual(r.range(q), s.range(q), `range at ${rev}`);
    }
    assert.throws(() => r.range({ key: b('k1'), revision: 29 }), CompactedError);
    assert.deepEqual(r.keysForLease(7n), s.keysForLease(7n));
    assert.ok(r.keysForLease(7n).length > 0);
    assert.deepEqual(r.hashKV(), s.hashKV());
    assert.deepEqual([...r.eventsFrom(31)], [...s.eventsFrom(31)]);
  });

  test('a restored store continues exactly like the original', () => {
    const s = busyStore();
    const r = MvccStore.restore(s.serialize(), leases);
    for (const st of [s, r]) {
      st.put({ key: b('k1'), value: b('next') });
      st.deleteRange({ key: b('k2') });
      st.put({ key: b('k2'), value: b('again'), lease: 7n });
      st.compact({ revision: st.revision - 1 });
      st.revokeLease(7n);
    }
    assert.deepEqual(r.serialize(), s.serialize());
    assert.deepEqual(r.range({ key: b('k1') }).kvs[0], s.range({ key: b('k1') }).kvs[0]);
  });

  test('empty store round trip', () => {
    const r = MvccStore.restore(new MvccStore().serialize());
    assert.equal(r.revision, 1);
    assert.equal(r.compactRevision, -1);
  });

  test('corrupt bytes are rejected', () => {
    const buf = busyStore().serialize();
    const bad = Buffer.from(buf);
    bad[40] = bad[40]! ^ 1;
    assert.throws(() => MvccStore.restore(bad), SnapshotFormatError);
    assert.throws(() => MvccStore.restore(buf.subarray(0, 10)), SnapshotFormatError);
  });
});

describe('hashKV and key bucket', () => {
  test('equal histories hash equal; different ones differ', () => {
    const a = busyStore();
    const c = busyStore();
    assert.deepEqual(a.hashKV(), c.hashKV());
    c.put({ key: b('x'), value: b('1') });
    assert.notEqual(a.hashKV().hash, c.hashKV().hash);
    assert.equal(a.hashKV(a.revision).hash, c.hashKV(a.revision).hash, 'hash at an older revision ignores later writes');
  });

  test('hash of an uncompacted store covers "key" + every row', () => {
    const s = new MvccStore();
    s.put({ key: b('a'), value: b('1') });
    s.deleteRange({ key: b('a') });
    let h = crc32c(0, b('key'));
    for (const e of s.keyBucket()) {
      h = crc32c(h, e.key);
      h = crc32c(h, e.value);
    }
    assert.deepEqual(s.hashKV(), { hash: h, revision: 3, compactRevision: -1 });
  });

  test('hash after compaction: equal for equally compacted stores, differs from the uncompacted one; bounds checked', () => {
    const s = busyStore();
    const t = busyStore();
    const uncompacted = s.hashKV(50);
    s.compact({ revision: 45 });
    t.compact({ revision: 45 });
    assert.deepEqual(s.hashKV(50), t.hashKV(50));
    assert.equal(s.hashKV(50).compactRevision, 45);
    assert.notEqual(s.hashKV(50).hash, uncompacted.hash);
    assert.throws(() => s.hashKV(45), CompactedError);
    assert.throws(() => s.hashKV(s.revision + 1), FutureRevisionError);
  });

  test('key bucket rows decode back to the stored KeyValues', () => {
    const s = busyStore();
    let last = -1;
    for (const e of s.keyBucket()) {
      assert.ok(e.main > last || (e.main === last && e.sub >= 0));
      last = e.main;
      assert.equal(e.key.length, e.tombstone ? 18 : 17);
      assert.deepEqual(unmarshalKeyValue(e.value), e.kv);
      if (e.tombstone) assert.deepEqual([e.kv.createRevision, e.kv.version, e.kv.value.length], [0, 0, 0]);
    }
    assert.ok(s.dbSizeEstimate() > 0);
  });
});
