// Stateless request checks that etcd 3.4 runs in its gRPC layer before a
// request is proposed (api/v3rpc/key.go). The store runs them again on apply;
// they are pure, so every member reaches the same verdict.

import {
  DuplicateKeyError,
  EmptyKeyError,
  KeyNotFoundError,
  LeaseProvidedError,
  TooManyOpsError,
  ValueProvidedError,
} from './errors.js';
import type { DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from './types.js';

export const DEFAULT_MAX_TXN_OPS = 128;

export function checkRangeRequest(r: RangeRequest): void {
  if (r.key.length === 0) throw new EmptyKeyError();
}

export function checkPutRequest(r: PutRequest): void {
  if (r.key.length === 0) throw new EmptyKeyError();
  if (r.ignoreValue === true && r.value !== undefined && r.value.length !== 0) throw new ValueProvidedError();
  if (r.ignoreLease === true && r.lease !== undefined && r.lease !== 0n) throw new LeaseProvidedError();
}

export function checkDeleteRequest(r: DeleteRangeRequest): void {
  if (r.key.length === 0) throw new EmptyKeyError();
}

/** Size limits, empty keys and duplicate/overlapping writes of a txn (etcd checkTxnRequest + checkIntervals). */
export function checkTxnRequest(r: TxnRequest, maxTxnOps: number = DEFAULT_MAX_TXN_OPS): void {
  checkTxnShape(r, maxTxnOps);
  checkIntervals(r.success ?? []);
  checkIntervals(r.failure ?? []);
}

function checkTxnShape(r: TxnRequest, maxTxnOps: number): void {
  const compare = r.compare ?? [];
  const success = r.success ?? [];
  const failure = r.failure ?? [];
  const opc = Math.max(compare.length, success.length, failure.length);
  if (opc > maxTxnOps) throw new TooManyOpsError();
  for (const c of compare) if (c.key.length === 0) throw new EmptyKeyError();
  // Nested txns get what is left of the budget, as in etcd.
  for (const op of success) checkRequestOp(op, maxTxnOps - opc);
  for (const op of failure) checkRequestOp(op, maxTxnOps - opc);
}

function checkRequestOp(op: RequestOp, maxTxnOps: number): void {
  switch (op.type) {
    case 'range':
      return checkRangeRequest(op.request);
    case 'put':
      return checkPutRequest(op.request);
    case 'deleteRange':
      return checkDeleteRequest(op.request);
    case 'txn':
      return checkTxnShape(op.request, maxTxnOps);
    case 'none':
      throw new KeyNotFoundError();
    default:
      return assertNever(op);
  }
}

/**
 * A delete interval with etcd's "affine" string semantics: an empty end is
 * +infinity (used for unions only); a literal end, including [0x00], is taken
 * as bytes, so a from-key delete (end [0x00]) never collides with a put here,
 * exactly as in etcd 3.4.
 */
interface Interval {
  readonly begin: string;
  /** undefined = a single key. */
  readonly end: string | undefined;
}

function intersectsPoint(ivs: readonly Interval[], k: string): boolean {
  for (const iv of ivs) {
    if (iv.end === undefined) {
      if (iv.begin === k) return true;
    } else if (iv.begin <= k && k < iv.end) {
      return true;
    }
  }
  return false;
}

/** Returns the put keys and delete intervals of one branch; throws DuplicateKeyError on overlap. */
function checkIntervals(reqs: readonly RequestOp[]): { puts: Set<string>; dels: Interval[] } {
  const dels: Interval[] = [];
  for (const op of reqs) {
    if (op.type !== 'deleteRange') continue;
    const d = op.request;
    const end = d.rangeEnd !== undefined && d.rangeEnd.length > 0 ? d.rangeEnd.toString('latin1') : undefined;
    dels.push({ begin: d.key.toString('latin1'), end });
  }

  const puts = new Set<string>();
  for (const op of reqs) {
    if (op.type !== 'txn') continue;
    const thenSide = checkIntervals(op.request.success ?? []);
    const elseSide = checkIntervals(op.request.failure ?? []);
    for (const k of thenSide.puts) {
      if (puts.has(k) || intersectsPoint(dels, k)) throw new DuplicateKeyError();
      puts.add(k);
    }
    for (const k of elseSide.puts) {
      // then/else are exclusive, so a key put on both sides is fine.
      if (puts.has(k) && !thenSide.puts.has(k)) throw new DuplicateKeyError();
      if (intersectsPoint(dels, k)) throw new DuplicateKeyError();
      puts.add(k);
    }
    dels.push(...thenSide.dels, ...elseSide.dels);
  }

  for (const op of reqs) {
    if (op.type !== 'put') continue;
    const k = op.request.key.toString('latin1');
    if (puts.has(k) || intersectsPoint(dels, k)) throw new DuplicateKeyError();
    puts.add(k);
  }
  return { puts, dels };
}

export function assertNever(x: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(x)}`);
}
