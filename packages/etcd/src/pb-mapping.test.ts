import { test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdserverpb } from '@kemu/api';
import { EtcdError } from './errors.js';
import { rangeFromPb, txnFromPb, txnToPb } from './pb-mapping.js';

const header = (rev: number): etcdserverpb.ResponseHeader => ({ clusterId: 1n, memberId: 2n, revision: BigInt(rev), raftTerm: 3n });

test('etcd protobuf requests map onto the MVCC store types', () => {
  const r = rangeFromPb(
    etcdserverpb.RangeRequest.fromPartial({ key: Buffer.from('a'), rangeEnd: Buffer.from('b'), limit: 5n, revision: 9n, sortOrder: 2, sortTarget: 3 }),
  );
  assert.equal(r.limit, 5);
  assert.equal(r.revision, 9);
  assert.equal(r.sortOrder, 'DESCEND');
  assert.equal(r.sortTarget, 'MOD');
  // Revisions past 2^53 cannot exist; they must read as "future", not wrap around.
  assert.equal(rangeFromPb(etcdserverpb.RangeRequest.fromPartial({ key: Buffer.from('a'), revision: 2n ** 62n })).revision, Number.MAX_SAFE_INTEGER);
  assert.throws(() => rangeFromPb(etcdserverpb.RangeRequest.fromPartial({ key: Buffer.from('a'), sortOrder: 7 as 0 })), EtcdError);

  const t = txnFromPb(
    etcdserverpb.TxnRequest.fromPartial({
      compare: [{ key: Buffer.from('k'), target: 2, result: 1, targetUnion: { $case: 'modRevision', modRevision: 4n } }],
      success: [{ request: { $case: 'requestPut', requestPut: etcdserverpb.PutRequest.fromPartial({ key: Buffer.from('k'), lease: 7n }) } }],
      failure: [{ request: undefined }],
    }),
  );
  assert.deepEqual(t.compare?.[0]?.target, 'MOD');
  assert.deepEqual(t.compare?.[0]?.result, 'GREATER');
  assert.equal(t.compare?.[0]?.modRevision, 4);
  assert.equal(t.success?.[0]?.type, 'put');
  assert.equal(t.failure?.[0]?.type, 'none');
});

test('only the top-level txn header is filled; nested responses carry just their revision', () => {
  const res = txnToPb(
    {
      header: { revision: 12 },
      succeeded: true,
      responses: [{ type: 'put', response: { header: { revision: 12 } } }],
    },
    header,
  );
  assert.equal(res.header?.memberId, 2n);
  const nested = res.responses[0]?.response;
  assert.equal(nested?.$case, 'responsePut');
  if (nested?.$case === 'responsePut') {
    assert.equal(nested.responsePut.header?.revision, 12n);
    assert.equal(nested.responsePut.header?.memberId, 0n);
  }
});
