import { status } from '@grpc/grpc-js';
import { etcdserverpb, mvccpb } from '@kemu/api';
import { EtcdError } from './errors.js';
import type * as m from './mvcc/types.js';

/**
 * Maps the generated etcd protobuf types onto the MVCC store's plain types and back.
 * Enum values outside etcd's range are rejected as invalid arguments (etcd rejects them too).
 */

const sortOrders = ['NONE', 'ASCEND', 'DESCEND'] as const;
const sortTargets = ['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'] as const;
const compareTargets = ['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'] as const;
const compareResults = ['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL'] as const;

function enumName<T extends string>(names: readonly T[], value: number, field: string): T {
  const name = names[value];
  if (name === undefined) throw new EtcdError(status.INVALID_ARGUMENT, `etcdserver: invalid ${field} ${value}`);
  return name;
}

/** int64 revisions beyond 2^53 cannot exist in the store; clamp so they read as "future". */
export const toRevision = (v: bigint): number => (v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v));
const num = toRevision;

export function rangeFromPb(r: etcdserverpb.RangeRequest): m.RangeRequest {
  return {
    key: r.key,
    rangeEnd: r.rangeEnd,
    limit: num(r.limit),
    revision: num(r.revision),
    sortOrder: enumName(sortOrders, r.sortOrder, 'sort order'),
    sortTarget: enumName(sortTargets, r.sortTarget, 'sort target'),
    serializable: r.serializable,
    keysOnly: r.keysOnly,
    countOnly: r.countOnly,
    minModRevision: num(r.minModRevision),
    maxModRevision: num(r.maxModRevision),
    minCreateRevision: num(r.minCreateRevision),
    maxCreateRevision: num(r.maxCreateRevision),
  };
}

export function putFromPb(r: etcdserverpb.PutRequest): m.PutRequest {
  return { key: r.key, value: r.value, lease: r.lease, prevKv: r.prevKv, ignoreValue: r.ignoreValue, ignoreLease: r.ignoreLease };
}

export function deleteFromPb(r: etcdserverpb.DeleteRangeRequest): m.DeleteRangeRequest {
  return { key: r.key, rangeEnd: r.rangeEnd, prevKv: r.prevKv };
}

function compareFromPb(c: etcdserverpb.Compare): m.Compare {
  const u = c.targetUnion;
  return {
    key: c.key,
    rangeEnd: c.rangeEnd,
    target: enumName(compareTargets, c.target, 'compare target'),
    result: enumName(compareResults, c.result, 'compare result'),
    version: u?.$case === 'version' ? num(u.version) : undefined,
    createRevision: u?.$case === 'createRevision' ? num(u.createRevision) : undefined,
    modRevision: u?.$case === 'modRevision' ? num(u.modRevision) : undefined,
    value: u?.$case === 'value' ? u.value : undefined,
    lease: u?.$case === 'lease' ? u.lease : undefined,
  };
}

function opFromPb(op: etcdserverpb.RequestOp): m.RequestOp {
  const r = op.request;
  switch (r?.$case) {
    case 'requestRange':
      return { type: 'range', request: rangeFromPb(r.requestRange) };
    case 'requestPut':
      return { type: 'put', request: putFromPb(r.requestPut) };
    case 'requestDeleteRange':
      return { type: 'deleteRange', request: deleteFromPb(r.requestDeleteRange) };
    case 'requestTxn':
      return { type: 'txn', request: txnFromPb(r.requestTxn) };
    case undefined:
      return { type: 'none' };
  }
}

export function txnFromPb(t: etcdserverpb.TxnRequest): m.TxnRequest {
  return { compare: t.compare.map(compareFromPb), success: t.success.map(opFromPb), failure: t.failure.map(opFromPb) };
}

// ---- responses ------------------------------------------------------------------

export function kvToPb(kv: m.KeyValue): mvccpb.KeyValue {
  return {
    key: kv.key,
    createRevision: BigInt(kv.createRevision),
    modRevision: BigInt(kv.modRevision),
    version: BigInt(kv.version),
    value: kv.value,
    lease: kv.lease,
  };
}

export function eventToPb(e: m.Event): mvccpb.Event {
  return {
    type: e.type === 'PUT' ? mvccpb.Event_EventType.PUT : mvccpb.Event_EventType.DELETE,
    kv: kvToPb(e.kv),
    prevKv: e.prevKv ? kvToPb(e.prevKv) : undefined,
  };
}

/** Builds the full header from the store revision the response reflects. */
export type HeaderFn = (revision: number) => etcdserverpb.ResponseHeader;

export function rangeToPb(r: m.RangeResponse, header: HeaderFn): etcdserverpb.RangeResponse {
  return { header: header(r.header.revision), kvs: r.kvs.map(kvToPb), more: r.more, count: BigInt(r.count) };
}

export function putToPb(r: m.PutResponse, header: HeaderFn): etcdserverpb.PutResponse {
  return { header: header(r.header.revision), prevKv: r.prevKv ? kvToPb(r.prevKv) : undefined };
}

export function deleteToPb(r: m.DeleteRangeResponse, header: HeaderFn): etcdserverpb.DeleteRangeResponse {
  return { header: header(r.header.revision), deleted: BigInt(r.deleted), prevKvs: r.prevKvs.map(kvToPb) };
}

/** Responses inside a txn carry only their revision, as etcd's do (the server fills the top header only). */
const nestedHeader: HeaderFn = (revision) => ({ clusterId: 0n, memberId: 0n, revision: BigInt(revision), raftTerm: 0n });

export function txnToPb(r: m.TxnResponse, top: HeaderFn): etcdserverpb.TxnResponse {
  const header = nestedHeader;
  return {
    header: top(r.header.revision),
    succeeded: r.succeeded,
    responses: r.responses.map((op): etcdserverpb.ResponseOp => {
      switch (op.type) {
        case 'range':
          return { response: { $case: 'responseRange', responseRange: rangeToPb(op.response, header) } };
        case 'put':
          return { response: { $case: 'responsePut', responsePut: putToPb(op.response, header) } };
        case 'deleteRange':
          return { response: { $case: 'responseDeleteRange', responseDeleteRange: deleteToPb(op.response, header) } };
        case 'txn':
          return { response: { $case: 'responseTxn', responseTxn: txnToPb(op.response, header) } };
      }
    }),
  };
}
