// Plain TypeScript shapes of the etcd v3.4 KV API as the MVCC store sees it.
// They mirror mvccpb and etcdserverpb field by field (camelCase); the gRPC layer
// maps the generated protobuf types onto them. Optional request fields take the
// proto3 default (0, false, empty) when absent.
//
// Contract: every KeyValue/Event handed out by the store is shared and must be
// treated as immutable (including its Buffers). Likewise the store keeps the
// key and value Buffers of write requests without copying them (copying cost a
// third of put throughput): callers must not mutate them after the call.

/** mvccpb.KeyValue. Revisions and versions fit in JS numbers; lease is an int64 (0n = none). */
export interface KeyValue {
  readonly key: Buffer;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
  readonly value: Buffer;
  readonly lease: bigint;
}

export const EventType = { PUT: 'PUT', DELETE: 'DELETE' } as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

/** mvccpb.Event. A DELETE carries only key and modRevision (etcd patches the tombstone's revision in). */
export interface Event {
  readonly type: EventType;
  readonly kv: KeyValue;
  readonly prevKv?: KeyValue;
}

export interface ResponseHeader {
  /** The store revision the response reflects; the gRPC layer adds cluster/member id and term. */
  readonly revision: number;
}

export const SortOrder = { NONE: 'NONE', ASCEND: 'ASCEND', DESCEND: 'DESCEND' } as const;
export type SortOrder = (typeof SortOrder)[keyof typeof SortOrder];

export const SortTarget = { KEY: 'KEY', VERSION: 'VERSION', CREATE: 'CREATE', MOD: 'MOD', VALUE: 'VALUE' } as const;
export type SortTarget = (typeof SortTarget)[keyof typeof SortTarget];

/**
 * etcdserverpb.RangeRequest. rangeEnd: absent/empty = the single key `key`;
 * [0x00] = every key >= key; otherwise the half-open interval [key, rangeEnd).
 */
export interface RangeRequest {
  readonly key: Buffer;
  readonly rangeEnd?: Buffer;
  readonly limit?: number;
  /** 0 (or absent) = the current revision. */
  readonly revision?: number;
  readonly sortOrder?: SortOrder;
  readonly sortTarget?: SortTarget;
  /** Accepted for completeness; serializable reads are the caller's concern. */
  readonly serializable?: boolean;
  readonly keysOnly?: boolean;
  readonly countOnly?: boolean;
  readonly minModRevision?: number;
  readonly maxModRevision?: number;
  readonly minCreateRevision?: number;
  readonly maxCreateRevision?: number;
}

export interface RangeResponse {
  readonly header: ResponseHeader;
  readonly kvs: KeyValue[];
  /** True when `limit` cut the result short. */
  readonly more: boolean;
  /** Number of keys in the range at the read revision, before limit and min/max filters. */
  readonly count: number;
}

export interface PutRequest {
  readonly key: Buffer;
  readonly value?: Buffer;
  readonly lease?: bigint;
  readonly prevKv?: boolean;
  readonly ignoreValue?: boolean;
  readonly ignoreLease?: boolean;
}

export interface PutResponse {
  readonly header: ResponseHeader;
  readonly prevKv?: KeyValue;
}

export interface DeleteRangeRequest {
  readonly key: Buffer;
  readonly rangeEnd?: Buffer;
  readonly prevKv?: boolean;
}

export interface DeleteRangeResponse {
  readonly header: ResponseHeader;
  readonly deleted: number;
  readonly prevKvs: KeyValue[];
}

export const CompareTarget = { VERSION: 'VERSION', CREATE: 'CREATE', MOD: 'MOD', VALUE: 'VALUE', LEASE: 'LEASE' } as const;
export type CompareTarget = (typeof CompareTarget)[keyof typeof CompareTarget];

export const CompareResult = { EQUAL: 'EQUAL', GREATER: 'GREATER', LESS: 'LESS', NOT_EQUAL: 'NOT_EQUAL' } as const;
export type CompareResult = (typeof CompareResult)[keyof typeof CompareResult];

/**
 * etcdserverpb.Compare. The proto's `target_union` oneof is flattened: the field
 * matching `target` is read, a missing one counts as 0 / empty (as in etcd).
 */
export interface Compare {
  readonly key: Buffer;
  readonly rangeEnd?: Buffer;
  readonly target: CompareTarget;
  readonly result: CompareResult;
  readonly version?: number;
  readonly createRevision?: number;
  readonly modRevision?: number;
  readonly value?: Buffer;
  readonly lease?: bigint;
}

/** etcdserverpb.RequestOp; `none` is a RequestOp whose oneof is unset (etcd rejects it). */
export type RequestOp =
  | { readonly type: 'range'; readonly request: RangeRequest }
  | { readonly type: 'put'; readonly request: PutRequest }
  | { readonly type: 'deleteRange'; readonly request: DeleteRangeRequest }
  | { readonly type: 'txn'; readonly request: TxnRequest }
  | { readonly type: 'none' };

export type ResponseOp =
  | { readonly type: 'range'; readonly response: RangeResponse }
  | { readonly type: 'put'; readonly response: PutResponse }
  | { readonly type: 'deleteRange'; readonly response: DeleteRangeResponse }
  | { readonly type: 'txn'; readonly response: TxnResponse };

export interface TxnRequest {
  readonly compare?: readonly Compare[];
  readonly success?: readonly RequestOp[];
  readonly failure?: readonly RequestOp[];
}

export interface TxnResponse {
  /** Top level: the txn's revision. Nested txn responses carry revision 0, as etcd 3.4 does. */
  readonly header: ResponseHeader;
  readonly succeeded: boolean;
  readonly responses: ResponseOp[];
}

export interface CompactionRequest {
  readonly revision: number;
  /** Compaction here is always complete on return; the flag is accepted and ignored. */
  readonly physical?: boolean;
}

export interface CompactionResponse {
  readonly header: ResponseHeader;
}

/** What an applied write hands back: the response, the events for watchers, the store revision after it. */
export interface WriteResult<R> {
  readonly response: R;
  readonly events: Event[];
  readonly revision: number;
}

export interface HashKVResult {
  readonly hash: number;
  /** The store's current revision (HashKVResponse.header.revision). */
  readonly revision: number;
  /** -1 when the store was never compacted, as in etcd. */
  readonly compactRevision: number;
}
