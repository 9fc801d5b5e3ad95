import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkTxnRequest,
  CompactedError,
  DuplicateKeyError,
  EmptyKeyError,
  FutureRevisionError,
  KeyNotFoundError,
  LeaseNotFoundError,
  MvccStore,
  TooManyOpsError,
  type Compare,
  type RequestOp,
  type TxnRequest,
} from './index.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const put = (k: string, v: string, lease?: bigint): RequestOp => ({ type: 'put', request: { key: b(k), value: b(v), ...(lease === undefined ? {} : { lease }) } });
const get = (k: string, end?: string): RequestOp => ({ type: 'range', request: { key: b(k), ...(end === undefined ? {} : { rangeEnd: b(end) }) } });
const del = (k: string, end?: string | Buffer): RequestOp => ({
  type: 'deleteRange',
  request: { key: b(k), ...(end === undefined ? {} : { rangeEnd: typeof end === 'string' ? b(end) : end }) },
});
const txn = (request: TxnRequest): RequestOp => ({ type: 'txn', request });

function store(): MvccStore {
  const s = new MvccStore({ leaseExists: (id) => id === 7n });
  s.put({ key: b('a'), value: b('1') }); // 2
  s.put({ key: b('b'), value: b('2') }); // 3
  s.put({ key: b('a'), value: b('3') }); // 4: a v2 c2 m4
  return s;
}

function holds(s: MvccStore, c: Compare): boolean {
  return s.txn({ compare: [c] }).response.succeeded;
}

describe('compare', () => {
  test('targets and results on an existing key', () => {
    const s = store();
    assert.equal(holds(s, { key: b('a'), target: 'VERSION', result: 'EQUAL', version: 2 }), true);
    assert.equal(holds(s, { key: b('a'), target: 'VERSION', result: 'GREATER', version: 1 }), true);
    assert.equal(holds(s, { key: b('a'), target: 'CREATE', result: 'EQUAL', createRevision: 2 }), true);
    assert.equal(holds(s, { key: b('a'), target: 'MOD', result: 'LESS', modRevision: 5 }), true);
    assert.equal(holds(s, { key: b('a'), target: 'MOD', result: 'NOT_EQUAL', modRevision: 4 }), false);
    assert.equal(holds(s, { key: b('a'), target: 'VALUE', result: 'EQUAL', value: b('3') }), true);
    assert.equal(holds(s, { key: b('a'), target: 'VALUE', result: 'GREATER', value: b('2') }), true);
    assert.equal(holds(s, { key: b('a'), target: 'LEASE', result: 'EQUAL', lease: 0n }), true);
  });

  test('a missing key has version/create/mod/lease 0; VALUE compares on it always fail', () => {
    const s = store();
    assert.equal(holds(s, { key: b('zz'), target: 'VERSION', result: 'EQUAL', version: 0 }), true);
    assert.equal(holds(s, { key: b('zz'), target: 'CREATE', result: 'EQUAL', createRevision: 0 }), true);
    assert.equal(holds(s, { key: b('zz'), target: 'MOD', result: 'LESS', modRevision: 1 }), true);
    assert.equal(holds(s, { key: b('zz'), target: 'LEASE', result: 'EQUAL', lease: 0n }), true);
    assert.equal(holds(s, { key: b('zz'), target: 'VALUE', result: 'EQUAL', value: Buffer.alloc(0) }), false);
    assert.equal(holds(s, { key: b('zz'), target: 'VALUE', result: 'NOT_EQUAL', value: b('x') }), false);
  });

  test('a compare over a range must hold for every key in it', () => {
    const s = store();
    assert.equal(holds(s, { key: b('a'), rangeEnd: b('c'), target: 'VERSION', result: 'GREATER', version: 0 }), true);
    assert.equal(holds(s, { key: b('a'), rangeEnd: b('c'), target: 'VERSION', result: 'EQUAL', version: 2 }), false);
    assert.equal(holds(s, { key: b('a'), rangeEnd: Buffer.from([0]), target: 'MOD', result: 'LESS', modRevision: 5 }), true);
  });

  test('all compares must hold; failure branch runs otherwise', () => {
    const s = store();
    const r = s.txn({
      compare: [
        { key: b('a'), target: 'VERSION', result: 'EQUAL', version: 2 },
        { key: b('b'), target: 'VALUE', result: 'EQUAL', value: b('nope') },
      ],
      success: [put('s', '1')],
      failure: [put('f', '1'), get('a')],
    });
    assert.equal(r.response.succeeded, false);
    assert.deepEqual(r.response.responses.map((x) => x.type), ['put', 'range']);
    assert.equal(s.range({ key: b('s') }).kvs.length, 0);
    assert.equal(s.range({ key: b('f') }).kvs.length, 1);
  });
});

describe('txn writes', () => {
  test('all writes share one revision with increasing sub revisions', () => {
    const s = store();
    const r = s.txn({ success: [put('x', '1'), del('b'), put('y', '1')] });
    assert.equal(r.revision, 5);
    assert.equal(r.response.header.revision, 5);
    assert.deepEqual(r.events.map((e) => [e.type, e.kv.key.toString(), e.kv.modRevision]), [
      ['PUT', 'x', 5],
      ['DELETE', 'b', 5],
      ['PUT', 'y', 5],
    ]);
    assert.deepEqual([...s.keyBucket()].slice(-3).map((e) => [e.main, e.sub, e.tombstone, e.key.length]), [
      [5, 0, false, 17],
      [5, 1, true, 18],
      [5, 2, false, 17],
    ]);
  });

  test('a read-only or no-op txn does not bump the revision', () => {
    const s = store();
    const r = s.txn({ success: [get('a'), del('nothing')] });
    assert.equal(r.revision, 4);
    assert.equal(r.response.header.revision, 4);
    assert.deepEqual(r.events, []);
    const empty = s.txn({});
    assert.deepEqual([empty.response.succeeded, empty.response.header.revision], [true, 4]);
  });

  test('a read inside a txn sees the earlier writes of the txn', () => {
    const s = store();
    const r = s.txn({ success: [put('x', 'new'), get('a', 'z'), del('a'), get('a', 'z')] });
    const [, r1, d, r2] = r.response.responses;
    assert.ok(r1?.type === 'range' && r2?.type === 'range' && d?.type === 'deleteRange');
    assert.deepEqual(r1.response.kvs.map((kv) => kv.key.toString()), ['a', 'b', 'x']);
    assert.equal(r1.response.header.revision, 5);
    assert.deepEqual(r2.response.kvs.map((kv) => kv.key.toString()), ['b', 'x']);
    assert.equal(d.response.header.revision, 5);
  });

  test('header revisions of ops before the first write are the old revision', () => {
    const s = store();
    const r = s.txn({ success: [get('a'), del('nothing'), put('x', '1')] });
    const hdrs = r.response.responses.map((x) => x.response.header.revision);
    assert.deepEqual(hdrs, [4, 4, 5]);
  });

  test('nested txns: compares use the pre-txn state, writes share the revision', () => {
    const s = store();
    const r = s.txn({
      success: [
        put('x', '1'),
        txn({
          compare: [{ key: b('x'), target: 'VERSION', result: 'EQUAL', version: 0 }], // x missing before the txn
          success: [put('y', 'then')],
          failure: [put('y', 'else')],
        }),
      ],
    });
    assert.equal(r.revision, 5);
    const nested = r.response.responses[1];
    assert.ok(nested?.type === 'txn');
    assert.equal(nested.response.succeeded, true);
    assert.equal(nested.response.header.revision, 0, 'etcd 3.4 leaves nested headers zero');
    assert.equal(s.range({ key: b('y') }).kvs[0]!.value.toString(), 'then');
    assert.deepEqual(r.events.map((e) => [e.kv.key.toString(), e.kv.modRevision]), [['x', 5], ['y', 5]]);
  });

  test('a failing put check on the chosen branch rejects the whole txn, untaken branches are not checked', () => {
    const s = store();
    assert.throws(() => s.txn({ success: [put('x', '1'), { type: 'put', request: { key: b('zz'), ignoreValue: true } }] }), KeyNotFoundError);
    assert.throws(() => s.txn({ success: [put('x', '1', 99n)] }), LeaseNotFoundError);
    assert.equal(s.revision, 4);
    const ok = s.txn({
      compare: [{ key: b('a'), target: 'VERSION', result: 'EQUAL', version: 2 }],
      success: [put('x', '1', 7n)],
      failure: [put('x', '1', 99n)],
    });
    assert.equal(ok.revision, 5);
    assert.deepEqual(s.keysForLease(7n).map(String), ['x']);
  });

  test('range revisions inside a txn are checked before anything is written', () => {
    const s = store();
    assert.throws(() => s.txn({ success: [put('x', '1'), { type: 'range', request: { key: b('a'), revision: 9 } }] }), FutureRevisionError);
    s.compact({ revision: 3 });
    assert.throws(() => s.txn({ success: [put('x', '1'), { type: 'range', request: { key: b('a'), revision: 2 } }] }), CompactedError);
    assert.equal(s.revision, 4);
    const r = s.txn({ success: [{ type: 'range', request: { key: b('a'), revision: 3 } }] });
    const rr = r.response.responses[0];
    assert.ok(rr?.type === 'range');
    assert.equal(rr.response.kvs[0]!.value.toString(), '1');
  });

  test('put prevKv inside a txn', () => {
    const s = store();
    const r = s.txn({ success: [{ type: 'put', request: { key: b('a'), value: b('9'), prevKv: true } }] });
    const p = r.response.responses[0];
    assert.ok(p?.type === 'put');
    assert.equal(p.response.prevKv?.value.toString(), '3');
  });
});

describe('txn validation', () => {
  test('too many operations', () => {
    const ops = Array.from({ length: 129 }, (_, i) => put(`k${i}`, 'v'));
    assert.throws(() => new MvccStore().txn({ success: ops }), (e: unknown) => e instanceof TooManyOpsError && e.message === 'etcdserver: too many operations in txn request');
    assert.equal(new MvccStore().txn({ success: ops.slice(0, 128) }).revision, 2);
    assert.throws(() => checkTxnRequest({ success: ops.slice(0, 3) }, 2), TooManyOpsError);
    // nested txns get the remaining budget
    assert.throws(() => checkTxnRequest({ success: [put('a', '1'), txn({ success: [put('b', '1'), put('c', '1')] })] }, 3), TooManyOpsError);
  });

  test('empty keys and empty ops', () => {
    assert.throws(() => checkTxnRequest({ compare: [{ key: Buffer.alloc(0), target: 'VERSION', result: 'EQUAL' }] }), EmptyKeyError);
    assert.throws(() => checkTxnRequest({ failure: [put('', 'x')] }), EmptyKeyError);
    assert.throws(() => checkTxnRequest({ success: [{ type: 'none' }] }), KeyNotFoundError);
  });

  const dup = (e: unknown): boolean => e instanceof DuplicateKeyError && e.message === 'etcdserver: duplicate key given in txn request';

  test('duplicate puts in one branch', () => {
    assert.throws(() => checkTxnRequest({ success: [put('a', '1'), put('a', '2')] }), dup);
    checkTxnRequest({ success: [put('a', '1')], failure: [put('a', '2')] });
  });

  test('a put inside a deleted range, in any order', () => {
    assert.throws(() => checkTxnRequest({ success: [del('a', 'c'), put('b', '1')] }), dup);
    assert.throws(() => checkTxnRequest({ success: [put('b', '1'), del('a', 'c')] }), dup);
    assert.throws(() => checkTxnRequest({ success: [put('a', '1'), del('a')] }), dup);
    checkTxnRequest({ success: [put('c', '1'), del('a', 'c')] });
    // etcd 3.4 compares the [0x00] from-key end literally, so it never overlaps a put here
    checkTxnRequest({ success: [put('b', '1'), del('a', Buffer.from([0]))] });
    // deletes may overlap each other
    checkTxnRequest({ success: [del('a', 'c'), del('b')] });
  });

  test('duplicates through nested txns', () => {
    assert.throws(() => checkTxnRequest({ success: [put('a', '1'), txn({ success: [put('a', '2')] })] }), dup);
    assert.throws(() => checkTxnRequest({ success: [del('a', 'c'), txn({ failure: [put('b', '2')] })] }), dup);
    assert.throws(() => checkTxnRequest({ success: [txn({ success: [del('a', 'c')] }), put('b', '1')] }), dup);
    assert.throws(
      () => checkTxnRequest({ success: [txn({ success: [put('a', '1')] }), txn({ failure: [put('a', '2')] })] }),
      dup,
    );
    // then/else of one nested txn are exclusive
    checkTxnRequest({ success: [txn({ success: [put('a', '1')], failure: [put('a', '2')] })] });
    assert.throws(() => new MvccStore().txn({ success: [put('a', '1'), txn({ success: [put('a', '2')] })] }), DuplicateKeyError);
  });
});
