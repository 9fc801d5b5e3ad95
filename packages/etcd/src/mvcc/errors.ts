// Errors of the MVCC store. Each class carries etcd 3.4's exact client-visible
// message (api/v3rpc/rpctypes/error.go) and the gRPC status code etcd sends, so
// the gRPC server converts them to a status at one boundary without a lookup table.

export const GrpcCode = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  OUT_OF_RANGE: 11,
} as const;
export type GrpcCode = (typeof GrpcCode)[keyof typeof GrpcCode];

export abstract class MvccError extends Error {
  readonly grpcCode: GrpcCode;
  protected constructor(message: string, grpcCode: GrpcCode, options?: ErrorOptions) {
    super(message, options);
    this.grpcCode = grpcCode;
  }
}

/** A request (or a compare) without a key. */
export class EmptyKeyError extends MvccError {
  constructor(options?: ErrorOptions) {
    super('etcdserver: key is not provided', GrpcCode.INVALID_ARGUMENT, options);
    this.name = 'EmptyKeyError';
  }
}

/** ignore_value/ignore_lease on a missing key, or an empty RequestOp in a txn. */
export class KeyNotFoundError extends MvccError {
  constructor(options?: ErrorOptions) {
    super('etcdserver: key not found', GrpcCode.INVALID_ARGUMENT, options);
    this.name = 'KeyNotFoundError';
  }
}

/** ignore_value together with a non-empty value. */
export class ValueProvidedError extends MvccError {
  constructor(options?: ErrorOptions) {
    super('etcdserver: value is provided', GrpcCode.INVALID_ARGUMENT, options);
    this.name = 'ValueProvidedError';
  }
}

/** ignore_lease together with a non-zero lease. */
export class LeaseProvidedError extends MvccError {
  constructor(options?: ErrorOptions) {
    super('etcdserver: lease is provided', GrpcCode.INVALID_ARGUMENT, options);
    this.name = 'LeaseProvidedError';
  }
}

/** More than maxTxnOps compares, success ops or failure ops. */
export class TooManyOpsError extends MvccError {
  constructor(options?: ErrorOptions) {
    super('etcdserver: too many operations in txn request', GrpcCode.INVALID_ARGUMENT, options);
    this.name = 'TooManyOpsError';
  }
}

/** Two puts of one key, or a put inside a delete range, in one txn branch. */
export class DuplicateKeyError extends MvccError {
  constructor(options?: ErrorOptions) {
    super('etcdserver: duplicate key given in txn request', GrpcCode.INVALID_ARGUMENT, options);
    this.name = 'DuplicateKeyError';
  }
}

/** A read below the compact revision, a compaction at or below it, or a compacted hash revision. */
export class CompactedError extends MvccError {
  constructor(options?: ErrorOptions) {
    super('etcdserver: mvcc: required revision has been compacted', GrpcCode.OUT_OF_RANGE, options);
    this.name = 'CompactedError';
  }
}

/** A read or compaction above the current revision. */
export class FutureRevisionError extends MvccError {
  constructor(options?: ErrorOptions) {
    super('etcdserver: mvcc: required revision is a future revision', GrpcCode.OUT_OF_RANGE, options);
    this.name = 'FutureRevisionError';
  }
}

/** A put names a lease the lessor does not know. */
export class LeaseNotFoundError extends MvccError {
  constructor(options?: ErrorOptions) {
    super('etcdserver: requested lease not found', GrpcCode.NOT_FOUND, options);
    this.name = 'LeaseNotFoundError';
  }
}

/**
 * Watch creation failures. etcd does not fail the stream for these: it answers
 * with a WatchResponse{created: true, canceled: true, cancelReason: message}.
 */
export abstract class WatchError extends Error {}

export class EmptyWatcherRangeError extends WatchError {
  constructor() {
    super('mvcc: watcher range is empty');
    this.name = 'EmptyWatcherRangeError';
  }
}

export class WatcherDuplicateIdError extends WatchError {
  constructor() {
    super('mvcc: duplicate watch ID provided on the WatchStream');
    this.name = 'WatcherDuplicateIdError';
  }
}

/** The snapshot bytes given to MvccStore.restore are not a valid serialization. */
export class SnapshotFormatError extends Error {
  constructor(detail: string, options?: ErrorOptions) {
    super(`mvcc snapshot: ${detail}`, options);
    this.name = 'SnapshotFormatError';
  }
}
