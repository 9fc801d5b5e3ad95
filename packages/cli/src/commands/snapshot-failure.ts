// How `kemu etcd snapshot ...` reports a failure (loaded only when a snapshot command runs).
import { BoltFormatError, KvDecodeError, SnapshotHashError } from '@kemu/etcd';
import { CliError } from '../cli-error.js';
import { SnapshotError } from '../lifecycle/etcd-snapshot.js';

/** Rethrows a failed save, restore or status: as a plain CliError when the file or member is at fault, else as is. */
export function snapshotFailure(err: unknown): never {
  const unreadable = err instanceof BoltFormatError || err instanceof SnapshotHashError || err instanceof KvDecodeError;
  if (err instanceof SnapshotError || unreadable) throw new CliError(`kemu etcd snapshot: ${err.message}`, 1, { cause: err });
  throw err;
}
