// bbolt database files for kemu's etcd member: writing the file `etcdctl snapshot save`
// receives, and reading snapshot files back (also those written by real etcd).

export { writeBoltDb } from './writer.js';
export { checkBoltDb } from './check.js';
export { readBoltDb, readBoltFile, type BoltFile } from './reader.js';
export type { BoltMeta } from './meta.js';
export type { BoltBucket, BoltBucketInput, BoltEntry, BoltWriteOptions } from './types.js';
export {
  appendSha256Trailer,
  hasSha256Trailer,
  sha256Trailer,
  stripSha256Trailer,
  SHA256_TRAILER_SIZE,
} from './sha256-trailer.js';
export { snapshotStatus, type SnapshotStatus } from './snapshot-status.js';
export { decodeKeyValue, encodeKeyValue, type MvccKeyValue } from './kv-codec.js';
export { decodeLease, encodeLease, type LeaseRecord } from './lease-codec.js';
export { readSnapshotKeyspace, type SnapshotKeyspace } from './snapshot-keyspace.js';
export { decodeRevisionKey, encodeRevisionKey, REVISION_KEY_SIZE, type RevisionKey } from './revision-key.js';
export { BoltFormatError, BoltNestedBucketError, BoltWriteError, KvDecodeError, SnapshotHashError } from './errors.js';
export { DEFAULT_PAGE_SIZE } from './layout.js';
