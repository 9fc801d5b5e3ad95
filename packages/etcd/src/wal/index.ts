export type { Entry, HardState, SnapshotRef, StorageLogger } from './types.js';
export { Wal, DEFAULT_SEGMENT_BYTES, type WalOptions, type WalOpenResult } from './wal.js';
export { Snapshotter, type StoredSnapshot, type SnapshotterOptions } from './snapshotter.js';
export {
  StorageError,
  WalCorruptError,
  WalExistsError,
  WalNotFoundError,
  SnapshotMarkerMissingError,
  WalClosedError,
  WalFailedError,
  WalEncodeError,
  SnapshotCorruptError,
} from './errors.js';
