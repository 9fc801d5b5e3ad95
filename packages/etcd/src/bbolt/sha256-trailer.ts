// The integrity trailer etcd appends to a snapshot stream: the sha256 of the database
// bytes, 32 bytes, after the last page. etcdctl `snapshot restore` detects it by size alone
// (a bbolt file is a whole number of pages, hence of 512-byte blocks) and then verifies it.

import { createHash } from 'node:crypto';
import { SnapshotHashError } from './errors.js';

export const SHA256_TRAILER_SIZE = 32;
const BLOCK = 512;

/** The 32-byte trailer for `db`. */
export function sha256Trailer(db: Buffer): Buffer {
  return createHash('sha256').update(db).digest();
}

/** `db` followed by its trailer: the exact bytes etcd's Maintenance.Snapshot streams. */
export function appendSha256Trailer(db: Buffer): Buffer {
  return Buffer.concat([db, sha256Trailer(db)]);
}

/** etcd's rule (v3_snapshot.go): a file carries a trailer iff size % 512 == 32. */
export function hasSha256Trailer(fileBytes: Buffer): boolean {
  return fileBytes.length % BLOCK === SHA256_TRAILER_SIZE;
}

/**
 * Returns the database part of a snapshot file. When a trailer is present it must match,
 * otherwise SnapshotHashError is thrown; a file without a trailer is returned unchanged.
 */
export function stripSha256Trailer(fileBytes: Buffer): Buffer {
  if (!hasSha256Trailer(fileBytes)) return fileBytes;
  const db = fileBytes.subarray(0, fileBytes.length - SHA256_TRAILER_SIZE);
  const expected = fileBytes.subarray(fileBytes.length - SHA256_TRAILER_SIZE);
  const actual = sha256Trailer(db);
  if (!actual.equals(expected)) throw new SnapshotHashError(expected.toString('hex'), actual.toString('hex'));
  return db;
}
