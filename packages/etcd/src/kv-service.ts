import { etcdserverpb } from '@kemu/api';
import type { Member } from './member.js';
import { Errors } from './errors.js';
import { deleteToPb, putToPb, rangeFromPb, rangeToPb, txnFromPb, txnToPb } from './pb-mapping.js';

/** A txn is read-only when no branch, however nested, writes. */
function isReadOnly(t: etcdserverpb.TxnRequest): boolean {
  const opReadOnly = (op: etcdserverpb.RequestOp): boolean => {
    const r = op.request;
    if (r?.$case === 'requestRange') return true;
    if (r?.$case === 'requestTxn') return isReadOnly(r.requestTxn);
    return false;
  };
  return t.success.every(opReadOnly) && t.failure.every(opReadOnly);
}

function checkTxn(t: etcdserverpb.TxnRequest, maxTxnOps: number): void {
  if (t.compare.length > maxTxnOps || t.success.length > maxTxnOps || t.failure.length > maxTxnOps) throw Errors.tooManyOps();
  for (const c of t.compare) if (c.key.length === 0) throw Errors.emptyKey();
  for (const op of [...t.success, ...t.failure]) {
    const r = op.request;
    switch (r?.$case) {
      case 'requestRange':
        if (r.requestRange.key.length === 0) throw Errors.emptyKey();
        break;
      case 'requestPut':
        if (r.requestPut.key.length === 0) throw Errors.emptyKey();
        break;
      case 'requestDeleteRange':
        if (r.requestDeleteRange.key.length === 0) throw Errors.emptyKey();
        break;
      case 'requestTxn':
        checkTxn(r.requestTxn, maxTxnOps);
        break;
      case undefined:
        throw Errors.keyNotFound();
    }
  }
}

/** etcdserverpb.KV: reads are served locally after a ReadIndex barrier; writes go through Raft. */
export function kvService(member: Member): etcdserverpb.KVServer {
  const unary = member.unary;
  return {
    range: unary(async (req: etcdserverpb.RangeRequest) => {
      if (req.key.length === 0) throw Errors.emptyKey();
      if (!req.serializable) await member.linearizableRead();
      const res = member.state.store.range(rangeFromPb(req));
      return rangeToPb(res, member.header);
    }),
    put: unary(async (req: etcdserverpb.PutRequest) => {
      if (req.key.length === 0) throw Errors.emptyKey();
      const out = await member.propose({ $case: 'put', put: req });
      if (out.kind !== 'put') throw new Error(`unexpected apply result ${out.kind}`);
      return putToPb(out.response, member.header);
    }),
    deleteRange: unary(async (req: etcdserverpb.DeleteRangeRequest) => {
      if (req.key.length === 0) throw Errors.emptyKey();
      const out = await member.propose({ $case: 'deleteRange', deleteRange: req });
      if (out.kind !== 'deleteRange') throw new Error(`unexpected apply result ${out.kind}`);
      return deleteToPb(out.response, member.header);
    }),
    txn: unary(async (req: etcdserverpb.TxnRequest) => {
      checkTxn(req, member.config.maxTxnOps);
      if (isReadOnly(req)) {
        await member.linearizableRead();
        return txnToPb(member.state.readOnlyTxn(txnFromPb(req)), member.header);
      }
      const out = await member.propose({ $case: 'txn', txn: req });
      if (out.kind !== 'txn') throw new Error(`unexpected apply result ${out.kind}`);
      return txnToPb(out.response, member.header);
    }),
    compact: unary(async (req: etcdserverpb.CompactionRequest) => {
      const out = await member.propose({ $case: 'compaction', compaction: req });
      if (out.kind !== 'compaction') throw new Error(`unexpected apply result ${out.kind}`);
      return { header: member.header(out.revision) };
    }),
  };
}
