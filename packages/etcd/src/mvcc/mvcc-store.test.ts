import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CompactedError,
  EmptyKeyError,
  FutureRevisionError,
  KeyNotFoundError,
  LeaseNotFoundError,
  LeaseProvidedError,
  MvccStore,
  ValueProvidedError,
  type KeyValue,
} from './index.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const str = (kv: KeyValue | undefined): string => (kv === undefined ? '<none>' : kv.value.toString('latin1'));
const keys = (kvs: readonly KeyValue[]): string[] => kvs.map((kv) => kv.key.toString('latin1'));

function storeWith(...pairs: [string, string][]): MvccStore {
  const s = new MvccStore({ leaseExists: (id) => id === 7n || id === 8n });
  for (const [k, v] of pairs) s.put({ key: b(k), value: b(v) });
  return s;
}

describe('revisions and versions', () => {
  test('empty store is at revision 1; first write makes it 2', () => {
    const s = new MvccStore();
    assert.equal(s.revision, 1);
    assert.equal(s.compactRevision, -1);
    const r = s.put({ key: b('a'), value: b('1') });
    assert.equal(r.revision, 2);
    assert.equal(r.response.header.revision, 2);
    assert.deepEqual(r.events.map((e) => [e.type, e.kv.modRevision]), [['PUT', 2]]);
  });

  test('create/mod revision and version follow puts, reset after delete', () => {
    const s = storeWith(['a', '1'], ['a', '2']);
    let kv = s.range({ key: b('a') }).kvs[0]!;
    assert.deepEqual([kv.createRevision, kv.modRevision, kv.version], [2, 3, 2]);
    const d = s.deleteRange({ key: b('a') });
    assert.equal(d.response.deleted, 1);
    assert.equal(d.revision, 4);
    assert.deepEqual(d.events, [
      { type: 'DELETE', kv: { key: b('a'), createRevision: 0, modRevision: 4, version: 0, value: Buffer.alloc(0), lease: 0n } },
    ]);
    assert.equal(s.range({ key: b('a') }).kvs.length, 0);
    s.put({ key: b('a'), value: b('3') });
    kv = s.range({ key: b('a') }).kvs[0]!;
    assert.deepEqual([kv.createRevision, kv.modRevision, kv.version], [5, 5, 1]);
  });

  test('deleting a missing key does not bump the revision', () => {
    const s = storeWith(['a', '1']);
    const d = s.deleteRange({ key: b('zz') });
    assert.equal(d.response.deleted, 0);
    assert.equal(d.response.header.revision, 2);
    assert.equal(s.revision, 2);
    assert.deepEqual(d.events, []);
  });

  test('reads at past revisions see the state of that revision', () => {
    const s = storeWith(['a', '1'], ['b', '1'], ['a', '2']); // revs 2,3,4
    s.deleteRange({ key: b('b') }); // 5
    assert.equal(str(s.range({ key: b('a'), revision: 2 }).kvs[0]), '1');
    assert.equal(str(s.range({ key: b('a'), revision: 4 }).kvs[0]), '2');
    assert.deepEqual(keys(s.range({ key: b('a'), rangeEnd: b('z'), revision: 3 }).kvs), ['a', 'b']);
    assert.deepEqual(keys(s.range({ key: b('a'), rangeEnd: b('z'), revision: 5 }).kvs), ['a']);
    assert.equal(s.range({ key: b('b'), revision: 1 }).kvs.length, 0);
    const past = s.range({ key: b('a'), revision: 2 });
    assert.equal(past.header.revision, 5, 'header carries the current revision');
    assert.throws(() => s.range({ key: b('a'), revision: 6 }), FutureRevisionError);
  });

  test('version at a past revision of a key written many times', () => {
    const s = new MvccStore();
    for (let i = 1; i <= 10; i++) s.put({ key: b('k'), value: b(String(i)) });
    const kv = s.range({ key: b('k'), revision: 5 }).kvs[0]!;
    assert.deepEqual([kv.version, str(kv)], [4, '4']);
  });
});

describe('range semantics', () => {
  const s = storeWith(['a', 'z'], ['b', 'y'], ['c', 'x'], ['d', 'w'], ['\x00', 'n']);

  test('rangeEnd conventions', () => {
    assert.deepEqual(keys(s.range({ key: b('b') }).kvs), ['b']);
    assert.deepEqual(keys(s.range({ key: b('b'), rangeEnd: b('d') }).kvs), ['b', 'c']);
    assert.deepEqual(keys(s.range({ key: b('b'), rangeEnd: Buffer.from([0]) }).kvs), ['b', 'c', 'd']);
    assert.deepEqual(keys(s.range({ key: Buffer.from([0]), rangeEnd: Buffer.from([0]) }).kvs), ['\x00', 'a', 'b', 'c', 'd']);
    assert.deepEqual(keys(s.range({ key: b('d'), rangeEnd: b('b') }).kvs), []);
  });

  test('keys compare bytewise, including high bytes', () => {
    const t = new MvccStore();
    for (const k of [[0xff], [0x80, 0x01], [0x7f], [0x80]]) t.put({ key: Buffer.from(k), value: b('v') });
    const got = t.range({ key: Buffer.from([0]), rangeEnd: Buffer.from([0]) }).kvs.map((kv) => [...kv.key]);
    assert.deepEqual(got, [[0x7f], [0x80], [0x80, 0x01], [0xff]]);
  });

  test('limit sets more; count is the total', () => {
    const r = s.range({ key: b('a'), rangeEnd: b('z'), limit: 2 });
    assert.deepEqual(keys(r.kvs), ['a', 'b']);
    assert.equal(r.more, true);
    assert.equal(r.count, 4);
    const all = s.range({ key: b('a'), rangeEnd: b('z'), limit: 4 });
    assert.equal(all.more, false);
  });

  test('countOnly and keysOnly', () => {
    const c = s.range({ key: b('a'), rangeEnd: b('z'), countOnly: true });
    assert.deepEqual([c.kvs.length, c.count], [0, 4]);
    const k = s.range({ key: b('a'), rangeEnd: b('c'), keysOnly: true });
    assert.deepEqual(k.kvs.map((kv) => kv.value.length), [0, 0]);
    assert.equal(k.kvs[0]!.version, 1);
  });

  test('sorting by value and descending key, with limit after sort', () => {
    const byValue = s.range({ key: b('a'), rangeEnd: b('z'), sortOrder: 'ASCEND', sortTarget: 'VALUE', limit: 2 });
    assert.deepEqual(keys(byValue.kvs), ['d', 'c']);
    assert.equal(byValue.more, true);
    assert.equal(byValue.count, 4);
    const desc = s.range({ key: b('a'), rangeEnd: b('z'), sortOrder: 'DESCEND', sortTarget: 'KEY', limit: 3 });
    assert.deepEqual(keys(desc.kvs), ['d', 'c', 'b']);
  });

  test('a non-KEY target with order NONE sorts ascending (within the limit+1 window, as etcd 3.4)', () => {
    const r = s.range({ key: b('a'), rangeEnd: b('z'), sortTarget: 'VALUE' });
    assert.deepEqual(keys(r.kvs), ['d', 'c', 'b', 'a']);
    const lim = s.range({ key: b('a'), rangeEnd: b('z'), sortTarget: 'VALUE', limit: 1 });
    assert.deepEqual(keys(lim.kvs), ['b']); // fetched a,b; sorted -> b,a; cut to 1
  });

  test('sort by mod revision descending, ties keep key order', () => {
    const t = new MvccStore();
    t.txn({ success: [put('x', '1'), put('y', '1')] });
    t.put({ key: b('w'), value: b('1') });
    const r = t.range({ key: b('a'), rangeEnd: b('z'), sortOrder: 'DESCEND', sortTarget: 'MOD' });
    assert.deepEqual(keys(r.kvs), ['w', 'x', 'y']);
  });

  test('min/max mod/create filters apply after the fetch; count ignores them', () => {
    const t = storeWith(['a', '1'], ['b', '1'], ['c', '1'], ['a', '2']); // a: c2 m5, b: m3, c: m4
    const r = t.range({ key: b('a'), rangeEnd: b('z'), minModRevision: 4 });
    assert.deepEqual(keys(r.kvs), ['a', 'c']);
    assert.equal(r.count, 3);
    assert.deepEqual(keys(t.range({ key: b('a'), rangeEnd: b('z'), maxModRevision: 4 }).kvs), ['b', 'c']);
    assert.deepEqual(keys(t.range({ key: b('a'), rangeEnd: b('z'), minCreateRevision: 3 }).kvs), ['b', 'c']);
    assert.deepEqual(keys(t.range({ key: b('a'), rangeEnd: b('z'), maxCreateRevision: 2 }).kvs), ['a']);
    const lim = t.range({ key: b('a'), rangeEnd: b('z'), minModRevision: 3, limit: 1 });
    assert.deepEqual([keys(lim.kvs), lim.more], [['a'], true]);
  });

  test('empty key is rejected', () => {
    assert.throws(() => s.range({ key: Buffer.alloc(0) }), (e: unknown) => e instanceof EmptyKeyError && e.message === 'etcdserver: key is not provided' && e.grpcCode === 3);
  });
});

function put(k: string, v: string) {
  return { type: 'put' as const, request: { key: b(k), value: b(v) } };
}

describe('put flags and leases', () => {
  test('prevKv returns the previous pair', () => {
    const s = storeWith(['a', '1']);
    const r = s.put({ key: b('a'), value: b('2'), prevKv: true });
    assert.equal(str(r.response.prevKv), '1');
    assert.equal(s.put({ key: b('new'), value: b('x'), prevKv: true }).response.prevKv, undefined);
  });

  test('ignoreValue and ignoreLease keep the old ones', () => {
    const s = storeWith();
    s.put({ key: b('a'), value: b('1'), lease: 7n });
    s.put({ key: b('a'), ignoreValue: true, ignoreLease: true });
    const kv = s.range({ key: b('a') }).kvs[0]!;
    assert.deepEqual([str(kv), kv.lease, kv.version], ['1', 7n, 2]);
    s.put({ key: b('a'), value: b('2'), ignoreLease: true });
    assert.equal(s.range({ key: b('a') }).kvs[0]!.lease, 7n);
    assert.deepEqual(s.keysForLease(7n).map(String), ['a']);
  });

  test('ignore flags on a missing key fail with key not found and change nothing', () => {
    const s = storeWith(['x', '1']);
    assert.throws(() => s.put({ key: b('a'), ignoreValue: true }), (e: unknown) => e instanceof KeyNotFoundError && e.message === 'etcdserver: key not found');
    assert.throws(() => s.put({ key: b('a'), ignoreLease: true }), KeyNotFoundError);
    assert.equal(s.revision, 2);
  });

  test('value/lease together with ignore flags are rejected', () => {
    const s = storeWith(['a', '1']);
    assert.throws(() => s.put({ key: b('a'), value: b('v'), ignoreValue: true }), (e: unknown) => e instanceof ValueProvidedError && e.message === 'etcdserver: value is provided');
    assert.throws(() => s.put({ key: b('a'), lease: 7n, ignoreLease: true }), (e: unknown) => e instanceof LeaseProvidedError && e.message === 'etcdserver: lease is provided');
  });

  test('unknown lease is rejected', () => {
    const s = storeWith();
    assert.throws(() => s.put({ key: b('a'), value: b('1'), lease: 99n }), (e: unknown) => e instanceof LeaseNotFoundError && e.message === 'etcdserver: requested lease not found' && e.grpcCode === 5);
    assert.equal(s.revision, 1);
  });

  test('lease attachment moves with puts and goes with deletes', () => {
    const s = storeWith();
    s.put({ key: b('b'), value: b('1'), lease: 7n });
    s.put({ key: b('a'), value: b('1'), lease: 7n });
    s.put({ key: b('c'), value: b('1'), lease: 8n });
    assert.deepEqual(s.keysForLease(7n).map(String), ['a', 'b']);
    s.put({ key: b('b'), value: b('2') }); // lease dropped
    s.put({ key: b('c'), value: b('2'), lease: 7n }); // moved 8 -> 7
    assert.deepEqual(s.keysForLease(7n).map(String), ['a', 'c']);
    assert.deepEqual(s.keysForLease(8n), []);
    s.deleteRange({ key: b('a') });
    assert.deepEqual(s.keysForLease(7n).map(String), ['c']);
  });

  test('revokeLease deletes attached keys in one revision, in key order', () => {
    const s = storeWith();
    s.put({ key: b('k2'), value: b('1'), lease: 7n });
    s.put({ key: b('k1'), value: b('1'), lease: 7n });
    s.put({ key: b('other'), value: b('1') });
    const r = s.revokeLease(7n);
    assert.equal(r.revision, 5);
    assert.equal(r.response.deleted, 2);
    assert.deepEqual(r.events.map((e) => [e.type, e.kv.key.toString(), e.kv.modRevision]), [
      ['DELETE', 'k1', 5],
      ['DELETE', 'k2', 5],
    ]);
    assert.deepEqual(keys(s.range({ key: b('a'), rangeEnd: b('z') }).kvs), ['other']);
    assert.deepEqual(s.keysForLease(7n), []);
    assert.equal(s.revokeLease(7n).revision, 5, 'revoking a lease without keys writes nothing');
  });

  test('deleteRange prevKv', () => {
    const s = storeWith(['a', '1'], ['b', '2'], ['c', '3']);
    const r = s.deleteRange({ key: b('a'), rangeEnd: b('c'), prevKv: true });
    assert.deepEqual([r.response.deleted, r.response.prevKvs.map(str)], [2, ['1', '2']]);
    assert.deepEqual(r.events.map((e) => e.kv.modRevision), [5, 5]);
  });
});

describe('compaction', () => {
  test('reads below the compact revision fail; the compact revision itself reads fine', () => {
    const s = storeWith(['a', '1'], ['a', '2'], ['a', '3']); // 2,3,4
    s.compact({ revision: 3 });
    assert.equal(s.compactRevision, 3);
    assert.throws(() => s.range({ key: b('a'), revision: 2 }), (e: unknown) => e instanceof CompactedError && e.message === 'etcdserver: mvcc: required revision has been compacted' && e.grpcCode === 11);
    assert.equal(str(s.range({ key: b('a'), revision: 3 }).kvs[0]), '2');
    const kv = s.range({ key: b('a') }).kvs[0]!;
    assert.deepEqual([kv.version, kv.createRevision], [3, 2], 'versions survive compaction');
  });

  test('compacting at or below the compact revision, or in the future, fails', () => {
    const s = storeWith(['a', '1'], ['a', '2']);
    assert.throws(() => s.compact({ revision: 4 }), (e: unknown) => e instanceof FutureRevisionError && e.message === 'etcdserver: mvcc: required revision is a future revision');
    assert.equal(s.compact({ revision: 3 }).header.revision, 3);
    assert.throws(() => s.compact({ revision: 3 }), CompactedError);
    assert.throws(() => s.compact({ revision: 2 }), CompactedError);
  });

  test('a tombstone at or below the compact revision removes the key entirely', () => {
    const s = storeWith(['a', '1'], ['b', '1']); // 2,3
    s.deleteRange({ key: b('a') }); // 4
    s.compact({ revision: 4 });
    assert.equal(s.indexedKeyCount, 1);
    assert.equal(s.range({ key: b('a'), revision: 4 }).kvs.length, 0);
    assert.deepEqual([...s.keyBucket()].map((e) => [e.main, e.tombstone]), [[3, false]]);
    s.put({ key: b('a'), value: b('again') });
    const kv = s.range({ key: b('a') }).kvs[0]!;
    assert.deepEqual([kv.version, kv.createRevision], [1, 5]);
  });

  test('a tombstone above the compact revision keeps the value it deletes', () => {
    const s = storeWith(['a', '1'], ['a', '2']); // 2,3
    s.deleteRange({ key: b('a') }); // 4
    s.compact({ revision: 3 });
    assert.equal(str(s.range({ key: b('a'), revision: 3 }).kvs[0]), '2');
    assert.equal(s.range({ key: b('a') }).kvs.length, 0);
    assert.deepEqual([...s.keyBucket()].map((e) => [e.main, e.tombstone]), [[3, false], [4, true]]);
    s.compact({ revision: 4 });
    assert.deepEqual([...s.keyBucket()], []);
    assert.equal(s.indexedKeyCount, 0);
  });

  test('compaction keeps one entry per key for reads at the compact revision across many keys', () => {
    const s = new MvccStore();
    for (let i = 0; i < 2000; i++) s.put({ key: b(`k${i % 700}`), value: b(String(i)) });
    const before = s.range({ key: b('k'), rangeEnd: b('l'), revision: 1500 });
    s.compact({ revision: 1500 });
    const after = s.range({ key: b('k'), rangeEnd: b('l'), revision: 1500 });
    assert.deepEqual(after.kvs, before.kvs);
    assert.equal(after.count, 700);
  });

  test('compact revision 0 on a fresh store is accepted as in etcd', () => {
    const s = new MvccStore();
    s.compact({ revision: 0 });
    assert.equal(s.compactRevision, 0);
  });
});
