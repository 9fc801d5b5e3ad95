/** Base class of every error thrown by the WAL and the snapshotter. */
export class StorageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The log is damaged somewhere other than a torn tail: a bad record followed by valid data,
 * a torn non-final segment, a missing segment, a broken CRC chain. The member must not start.
 */
export class WalCorruptError extends StorageError {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`wal: corrupt log in ${file} at offset ${offset}: ${reason}`);
  }
}

/** `Wal.create` found segment files already present in the directory. */
export class WalExistsError extends StorageError {
  constructor(readonly dir: string) {
    super(`wal: directory ${dir} already holds a write-ahead log`);
  }
}

/** `Wal.open` found no segment files in the directory. */
export class WalNotFoundError extends StorageError {
  constructor(readonly dir: string) {
    super(`wal: no write-ahead log in ${dir}`);
  }
}

/** The snapshot the caller opened from was never recorded in the log (or its record was released). */
export class SnapshotMarkerMissingError extends StorageError {
  constructor(
    readonly dir: string,
    readonly index: number,
    readonly term: number,
  ) {
    super(`wal: no snapshot marker for index ${index} term ${term} in ${dir}`);
  }
}

/** Operation on a closed WAL. */
export class WalClosedError extends StorageError {
  constructor(readonly dir: string) {
    super(`wal: ${dir} is closed`);
  }
}

/**
 * A write, sync, rotation or release failed. The on-disk state after a failed fsync is
 * unknown (the kernel may have dropped the dirty pages), so the WAL refuses every later
 * operation; the member must restart and recover from disk.
 */
export class WalFailedError extends StorageError {
  constructor(
    readonly dir: string,
    message: string,
    cause: unknown,
  ) {
    super(`wal: ${dir}: ${message}`, { cause });
  }
}

/** A value given to the WAL cannot be encoded (not a non-negative safe integer, record too large). */
export class WalEncodeError extends StorageError {}

/** A snapshot file failed validation; reported to the logger by `loadNewest`, which falls back. */
export class SnapshotCorruptError extends StorageError {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`snapshot: ${file} is unusable: ${reason}`);
  }
}
