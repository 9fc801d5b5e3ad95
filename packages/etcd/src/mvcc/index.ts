// Public API of kemu's etcd v3.4-compatible MVCC store.

export type {
  Compare,
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  Event,
  HashKVResult,
  KeyValue,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseHeader,
  ResponseOp,
  TxnRequest,
  TxnResponse,
  WriteResult,
} from './types.js';
export { CompareResult, CompareTarget, EventType, SortOrder, SortTarget } from './types.js';
export {
  CompactedError,
  DuplicateKeyError,
  EmptyKeyError,
  EmptyWatcherRangeError,
  FutureRevisionError,
  GrpcCode,
  KeyNotFoundError,
  LeaseNotFoundError,
  LeaseProvidedError,
  MvccError,
  SnapshotFormatError,
  TooManyOpsError,
  ValueProvidedError,
  WatchError,
  WatcherDuplicateIdError,
} from './errors.js';
export { MvccStore, type KeyBucketEntry, type MvccStoreOptions } from './mvcc-store.js';
export {
  MAX_WATCHERS_PER_SYNC,
  WATCH_BATCH_MAX_REVS,
  WatchFilter,
  WatchHub,
  type StreamId,
  type WatchCreateOptions,
  type WatchCreateResult,
  type WatchOutput,
} from './watch-hub.js';
export {
  checkDeleteRequest,
  checkPutRequest,
  checkRangeRequest,
  checkTxnRequest,
  DEFAULT_MAX_TXN_OPS,
} from './validate.js';
export { crc32c, marshalKeyValue, revisionBytes, unmarshalKeyValue } from './codec.js';
