// Errors of the bbolt file codec. One class per failure; messages name the page or
// bucket concerned so a corrupt snapshot can be located.

/** The input given to the writer cannot be stored in a bbolt file. */
export class BoltWriteError extends Error {
  override readonly name = 'BoltWriteError';
  constructor(message: string, options?: ErrorOptions) {
    super(`bbolt writer: ${message}`, options);
  }
}

/** The bytes handed to the reader are not a consistent bbolt file. */
export class BoltFormatError extends Error {
  override readonly name = 'BoltFormatError';
  constructor(message: string, options?: ErrorOptions) {
    super(`bbolt reader: ${message}`, options);
  }
}

/** The file is valid bbolt but uses nested buckets, which etcd never creates. */
export class BoltNestedBucketError extends Error {
  override readonly name = 'BoltNestedBucketError';
  constructor(readonly bucket: Buffer, readonly key: Buffer) {
    super(
      `bbolt reader: bucket ${JSON.stringify(bucket.toString('latin1'))} holds nested bucket ` +
        `${JSON.stringify(key.toString('latin1'))}; nested buckets are not supported`,
    );
  }
}

/** A snapshot's sha256 trailer does not match its database bytes. */
export class SnapshotHashError extends Error {
  override readonly name = 'SnapshotHashError';
  constructor(readonly expected: string, readonly actual: string) {
    super(`snapshot: sha256 trailer mismatch: trailer says ${expected}, database hashes to ${actual}`);
  }
}

/** A protobuf message in the etcd store could not be decoded. */
export class KvDecodeError extends Error {
  override readonly name = 'KvDecodeError';
  constructor(message: string, options?: ErrorOptions) {
    super(`mvccpb.KeyValue: ${message}`, options);
  }
}
