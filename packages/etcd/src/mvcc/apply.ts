// etcd 3.4's request semantics on top of the store core (etcdserver/apply.go):
// range options, put flags, delete prev_kv, and txns (compares evaluated on the
// state before the txn, pre-checks on the chosen branches, then every write in
// one revision). Deterministic: no clock, no randomness, stable sorts.

import { CompactedError, FutureRevisionError, KeyNotFoundError, LeaseNotFoundError } from './errors.js';
import { EMPTY_BYTES, toKeyRange, type RangeKeysResult, type StoreCore, type WriteTxn } from './store-core.js';
import type {
  Compare,
  DeleteRangeRequest,
  DeleteRangeResponse,
  KeyValue,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseOp,
  SortTarget,
  TxnRequest,
  TxnResponse,
} from './types.js';
import { assertNever } from './validate.js';

/** What a range runs against: the committed store, or a write txn in progress. */
export interface RangeView {
  range(req: RangeRequest, limit: number): RangeKeysResult;
}

export function storeView(core: StoreCore): RangeView {
  return {
    range: (req, limit) =>
      core.rangeKeys(toKeyRange(req.key, req.rangeEnd), core.currentRev, {
        rev: req.revision ?? 0,
        limit,
        countOnly: req.countOnly ?? false,
      }),
  };
}

export function txnView(tw: WriteTxn): RangeView {
  return {
    range: (req, limit) =>
      tw.range(toKeyRange(req.key, req.rangeEnd), { rev: req.revision ?? 0, limit, countOnly: req.countOnly ?? false }),
  };
}

export function applyRange(view: RangeView, r: RangeRequest): RangeResponse {
  const sortOrder = r.sortOrder ?? 'NONE';
  const sortTarget = r.sortTarget ?? 'KEY';
  const minMod = r.minModRevision ?? 0;
  const maxMod = r.maxModRevision ?? 0;
  const minCreate = r.minCreateRevision ?? 0;
  const maxCreate = r.maxCreateRevision ?? 0;
  const reqLimit = r.limit ?? 0;

  let limit = reqLimit;
  // Sorting or filtering needs everything first; otherwise fetch one extra for `more`.
  if (sortOrder !== 'NONE' || minMod !== 0 || maxMod !== 0 || minCreate !== 0 || maxCreate !== 0) limit = 0;
  if (limit > 0) limit += 1;

  const rr = view.range(r, limit);
  let kvs = rr.kvs;
  if (maxMod !== 0) kvs = kvs.filter((kv) => kv.modRevision <= maxMod);
  if (minMod !== 0) kvs = kvs.filter((kv) => kv.modRevision >= minMod);
  if (maxCreate !== 0) kvs = kvs.filter((kv) => kv.createRevision <= maxCreate);
  if (minCreate !== 0) kvs = kvs.filter((kv) => kv.createRevision >= minCreate);

  // Results come key-ascending; a non-KEY target without an order sorts ascending
  // (etcd 3.4 does this after the limit+1 fetch, so it sorts only that window).
  let order = sortOrder;
  if (sortTarget !== 'KEY' && order === 'NONE') order = 'ASCEND';
  if (order !== 'NONE') {
    const cmp = comparator(sortTarget);
    // Array.prototype.sort is stable: ties keep key order, matching Go's
    // insertion sort on small inputs; DESCEND reverses the comparison.
    kvs = order === 'ASCEND' ? [...kvs].sort(cmp) : [...kvs].sort((a, b) => cmp(b, a));
  }

  let more = false;
  if (reqLimit > 0 && kvs.length > reqLimit) {
    kvs = kvs.slice(0, reqLimit);
    more = true;
  }
  if (r.keysOnly === true) kvs = kvs.map((kv) => ({ ...kv, value: EMPTY_BYTES }));
  return { header: { revision: rr.rev }, kvs, more, count: rr.count };
}

function comparator(target: SortTarget): (a: KeyValue, b: KeyValue) => number {
  switch (target) {
    case 'KEY':
      return (a, b) => Buffer.compare(a.key, b.key);
    case 'VERSION':
      return (a, b) => a.version - b.version;
    case 'CREATE':
      return (a, b) => a.createRevision - b.createRevision;
    case 'MOD':
      return (a, b) => a.modRevision - b.modRevision;
    case 'VALUE':
      return (a, b) => Buffer.compare(a.value, b.value);
    default:
      return assertNever(target);
  }
}

/** A put inside a write txn. Lease existence is the caller's pre-check. */
export function putInTxn(tw: WriteTxn, p: PutRequest): PutResponse {
  const ignoreValue = p.ignoreValue === true;
  const ignoreLease = p.ignoreLease === true;
  let prev: KeyValue | undefined;
  if (ignoreValue || ignoreLease || p.prevKv === true) {
    prev = tw.range(toKeyRange(p.key, undefined), {}).kvs[0];
  }
  // ignore_{value,lease} need the previous key-value pair.
  if ((ignoreValue || ignoreLease) && prev === undefined) throw new KeyNotFoundError();
  const value = ignoreValue ? prev!.value : (p.value ?? EMPTY_BYTES);
  const lease = ignoreLease ? prev!.lease : (p.lease ?? 0n);
  const revision = tw.put(p.key, value, lease);
  return p.prevKv === true && prev !== undefined ? { header: { revision }, prevKv: prev } : { header: { revision } };
}

export function deleteInTxn(tw: WriteTxn, dr: DeleteRangeRequest): DeleteRangeResponse {
  const range = toKeyRange(dr.key, dr.rangeEnd);
  const prevKvs = dr.prevKv === true ? tw.range(range, {}).kvs : [];
  const [deleted, revision] = tw.deleteRange(range);
  return { header: { revision }, deleted, prevKvs };
}

// ---- txn ---------------------------------------------------------------------

/** The branch each (nested) txn takes, decided on the state before the txn. */
interface TxnPlan {
  readonly succeeded: boolean;
  readonly ops: readonly RequestOp[];
  /** Plans of the nested txns among `ops`, by op index. */
  readonly nested: ReadonlyMap<number, TxnPlan>;
}

export interface TxnEnv {
  readonly core: StoreCore;
  readonly leaseExists: (id: bigint) => boolean;
}

/** Applies a validated txn; returns the response and the committed write txn's events. */
export function applyTxn(env: TxnEnv, rt: TxnRequest): { response: TxnResponse; events: ReturnType<WriteTxn['end']> } {
  const { core } = env;
  const plan = planTxn(core, rt);
  checkPuts(env, plan);
  checkRanges(core, plan);

  const tw = core.beginWrite();
  const response = runPlan(tw, plan, true);
  const revision = tw.readRev();
  const events = tw.end();
  return { response: { ...response, header: { revision } }, events };
}

function planTxn(core: StoreCore, rt: TxnRequest): TxnPlan {
  const succeeded = (rt.compare ?? []).every((c) => applyCompare(core, c));
  const ops = (succeeded ? rt.success : rt.failure) ?? [];
  const nested = new Map<number, TxnPlan>();
  ops.forEach((op, i) => {
    if (op.type === 'txn') nested.set(i, planTxn(core, op.request));
  });
  return { succeeded, ops, nested };
}

/** A compare holds when it holds for every key in its range; an empty range compares a zero KeyValue. */
function applyCompare(core: StoreCore, c: Compare): boolean {
  const rr = core.rangeKeys(toKeyRange(c.key, c.rangeEnd), core.currentRev, {});
  if (rr.kvs.length === 0) {
    // No way to represent a missing value: comparing VALUE on missing keys always fails.
    if (c.target === 'VALUE') return false;
    return compareKV(c, ZERO_KV);
  }
  return rr.kvs.every((kv) => compareKV(c, kv));
}

const ZERO_KV: KeyValue = { key: EMPTY_BYTES, createRevision: 0, modRevision: 0, version: 0, value: EMPTY_BYTES, lease: 0n };

function compareKV(c: Compare, kv: KeyValue): boolean {
  let result: number;
  switch (c.target) {
    case 'VALUE':
      result = Buffer.compare(kv.value, c.value ?? EMPTY_BYTES);
      break;
    case 'CREATE':
      result = Math.sign(kv.createRevision - (c.createRevision ?? 0));
      break;
    case 'MOD':
      result = Math.sign(kv.modRevision - (c.modRevision ?? 0));
      break;
    case 'VERSION':
      result = Math.sign(kv.version - (c.version ?? 0));
      break;
    case 'LEASE': {
      const want = c.lease ?? 0n;
      result = kv.lease < want ? -1 : kv.lease > want ? 1 : 0;
      break;
    }
    default:
      return assertNever(c.target);
  }
  switch (c.result) {
    case 'EQUAL':
      return result === 0;
    case 'NOT_EQUAL':
      return result !== 0;
    case 'GREATER':
      return result > 0;
    case 'LESS':
      return result < 0;
    default:
      return assertNever(c.result);
  }
}

function forEachOp(plan: TxnPlan, f: (op: RequestOp) => void): void {
  plan.ops.forEach((op, i) => {
    const nested = plan.nested.get(i);
    if (nested !== undefined) forEachOp(nested, f);
    else f(op);
  });
}

/** ignore_value/ignore_lease need an existing key; leases must exist. Checked on the pre-txn state. */
function checkPuts(env: TxnEnv, plan: TxnPlan): void {
  forEachOp(plan, (op) => {
    if (op.type !== 'put') return;
    const p = op.request;
    if (p.ignoreValue === true || p.ignoreLease === true) {
      const rr = env.core.rangeKeys(toKeyRange(p.key, undefined), env.core.currentRev, {});
      if (rr.kvs.length === 0) throw new KeyNotFoundError();
    }
    const lease = p.lease ?? 0n;
    if (lease !== 0n && !env.leaseExists(lease)) throw new LeaseNotFoundError();
  });
}

/** A range's revision must be within [compactRev, currentRev] of the pre-txn state. */
function checkRanges(core: StoreCore, plan: TxnPlan): void {
  forEachOp(plan, (op) => {
    if (op.type !== 'range') return;
    const rev = op.request.revision ?? 0;
    if (rev === 0) return;
    if (rev > core.currentRev) throw new FutureRevisionError();
    if (rev < core.compactRev) throw new CompactedError();
  });
}

function runPlan(tw: WriteTxn, plan: TxnPlan, topLevel: boolean): TxnResponse {
  const responses: ResponseOp[] = [];
  plan.ops.forEach((op, i) => {
    switch (op.type) {
      case 'range':
        responses.push({ type: 'range', response: applyRange(txnView(tw), op.request) });
        break;
      case 'put':
        responses.push({ type: 'put', response: putInTxn(tw, op.request) });
        break;
      case 'deleteRange':
        responses.push({ type: 'deleteRange', response: deleteInTxn(tw, op.request) });
        break;
      case 'txn':
        responses.push({ type: 'txn', response: runPlan(tw, plan.nested.get(i)!, false) });
        break;
      case 'none':
        break; // rejected by validation before apply
      default:
        assertNever(op);
    }
  });
  // Nested responses keep a zero header, as etcd 3.4 leaves them; the caller sets the top one.
  return { header: { revision: topLevel ? -1 : 0 }, succeeded: plan.succeeded, responses };
}
