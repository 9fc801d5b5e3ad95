// The data model shared by the writer and the reader: a flat list of top-level buckets,
// each a list of key/value pairs. This is the whole shape of an etcd backend database.

export type BoltEntry = [key: Buffer, value: Buffer];

export interface BoltBucket {
  readonly name: Buffer;
  readonly entries: BoltEntry[];
}

/** Writer input: entries may come in any order; the writer sorts them. */
export interface BoltBucketInput {
  readonly name: Buffer;
  readonly entries: ReadonlyArray<readonly [key: Buffer, value: Buffer]>;
}

export interface BoltWriteOptions {
  /** Page size in bytes, a power of two in [512, 65536]. Default 4096 (etcd on Linux/amd64). */
  readonly pageSize?: number;
  /** Transaction id recorded in the newest meta page; the other meta page gets txid - 1. Default 1. */
  readonly txid?: number;
  /**
   * Store buckets whose single leaf fits in pageSize / 4 inside their parent's value, as
   * bbolt itself does. Default true. When false every bucket gets its own pages.
   */
  readonly inlineSmallBuckets?: boolean;
}
