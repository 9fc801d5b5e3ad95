import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mvccpb } from '@kemu/api';
import { readBuckets, SnapshotFileError, verifySnapshot } from './bbolt-read.js';
import { readKeyspace } from './snapshot-keyspace.js';

// A small bbolt file built by hand from the format's description: metas on pages 0 and 1,
// an empty freelist on 2, the "key" bucket as a branch page over two leaf pages, and the
// "lease" and "meta" buckets inline in the root leaf.
const PS = 4096;

interface LeafEntry {
  flags: number;
  key: Buffer;
  value: Buffer;
}

function pageHeader(p: Buffer, id: number, flags: number, count: number): void {
  p.writeBigUInt64LE(BigInt(id), 0);
  p.writeUInt16LE(flags, 8);
  p.writeUInt16LE(count, 10);
}

function leaf(id: number, entries: LeafEntry[], size = PS): Buffer {
  const p = Buffer.alloc(size);
  pageHeader(p, id, 0x02, entries.length);
  let data = 16 + entries.length * 16;
  entries.forEach((e, i) => {
    const at = 16 + i * 16;
    p.writeUInt32LE(e.flags, at);
    p.writeUInt32LE(data - at, at + 4);
    p.writeUInt32LE(e.key.length, at + 8);
    p.writeUInt32LE(e.value.length, at + 12);
    e.key.copy(p, data);
    e.value.copy(p, data + e.key.length);
    data += e.key.length + e.value.length;
  });
  return size === PS ? p : p.subarray(0, data);
}

function branch(id: number, children: Array<{ key: Buffer; pgid: number }>): Buffer {
  const p = Buffer.alloc(PS);
  pageHeader(p, id, 0x01, children.length);
  let data = 16 + children.length * 16;
  children.forEach((c, i) => {
    const at = 16 + i * 16;
    p.writeUInt32LE(data - at, at);
    p.writeUInt32LE(c.key.length, at + 4);
    p.writeBigUInt64LE(BigInt(c.pgid), at + 8);
    c.key.copy(p, data);
    data += c.key.length;
  });
  return p;
}

function fnv(b: Buffer): bigint {
  let h = 0xcbf29ce484222325n;
  for (const c of b) h = BigInt.asUintN(64, (h ^ BigInt(c)) * 0x100000001b3n);
  return h;
}

function meta(id: number, root: number, highWater: number, txid: number): Buffer {
  const p = Buffer.alloc(PS);
  pageHeader(p, id, 0x04, 0);
  const m = 16;
  p.writeUInt32LE(0xed0cdaed, m);
  p.writeUInt32LE(2, m + 4);
  p.writeUInt32LE(PS, m + 8);
  p.writeBigUInt64LE(BigInt(root), m + 16);
  p.writeBigUInt64LE(2n, m + 32);
  p.writeBigUInt64LE(BigInt(highWater), m + 40);
  p.writeBigUInt64LE(BigInt(txid), m + 48);
  p.writeBigUInt64LE(fnv(p.subarray(m, m + 56)), m + 56);
  return p;
}

const rev = (main: number, tombstone = false): Buffer => {
  const b = Buffer.alloc(tombstone ? 18 : 17);
  b.writeBigUInt64BE(BigInt(main), 0);
  b[8] = 0x5f;
  if (tombstone) b[17] = 0x74;
  return b;
};
const kv = (key: string, value: string, create: number, mod: number, lease = 0): Buffer =>
  Buffer.from(mvccpb.KeyValue.encode({ key: Buffer.from(key), value: Buffer.from(value), createRevision: BigInt(create), modRevision: BigInt(mod), version: 1n, lease: BigInt(lease) }).finish());
const row = (key: Buffer, value: Buffer, flags = 0): LeafEntry => ({ flags, key, value });
const bucketRef = (root: number): Buffer => {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(BigInt(root), 0);
  return b;
};
const inlineBucket = (entries: LeafEntry[]): Buffer => Buffer.concat([Buffer.alloc(16), leaf(0, entries, PS * 2)]);

function database(txids: [number, number] = [1, 2]): Buffer {
  const free = Buffer.alloc(PS);
  pageHeader(free, 2, 0x10, 0);
  const keyLeaf1 = leaf(3, [row(rev(2), kv('/a', '1', 2, 2)), row(rev(3), kv('/b', '2', 3, 3, 7))]);
  const keyLeaf2 = leaf(4, [row(rev(4), kv('/a', '3', 2, 4)), row(rev(5, true), kv('/b', '', 0, 5)), row(rev(6), kv('/c', '4', 6, 6, 7))]);
  const keyBranch = branch(5, [{ key: rev(2), pgid: 3 }, { key: rev(4), pgid: 4 }]);
  const leaseId = Buffer.alloc(8);
  leaseId.writeBigUInt64BE(7n);
  const root = leaf(6, [
    row(Buffer.from('key'), bucketRef(5), 1),
    row(Buffer.from('lease'), inlineBucket([row(leaseId, Buffer.from([0x08, 7, 0x10, 60]))]), 1),
    row(Buffer.from('meta'), inlineBucket([row(Buffer.from('consistent_index'), Buffer.alloc(8))]), 1),
  ]);
  return Buffer.concat([meta(0, 6, 7, txids[0]), meta(1, 6, 7, txids[1]), free, keyLeaf1, keyLeaf2, keyBranch, root]);
}

const withTrailer = (db: Buffer): Buffer => Buffer.concat([db, createHash('sha256').update(db).digest()]);

test('buckets of a bbolt file: branch and inline buckets, in key order', () => {
  const buckets = readBuckets(database());
  assert.deepEqual([...buckets.keys()], ['key', 'lease', 'meta']);
  assert.equal(buckets.get('key')?.length, 5);
  assert.equal(buckets.get('meta')?.[0]?.key.toString(), 'consistent_index');
});

test('the keyspace at the last revision: deleted keys gone, leases kept, oldest change first', () => {
  const ks = readKeyspace(withTrailer(database()));
  assert.equal(ks.revision, 6n);
  assert.equal(ks.hashed, true);
  assert.deepEqual(ks.keys.map((k) => [k.key.toString(), k.value.toString(), Number(k.modRevision), Number(k.lease)]), [
    ['/a', '3', 4, 0],
    ['/c', '4', 6, 7],
  ]);
  assert.deepEqual(ks.leases, [{ id: 7n, ttl: 60n }]);
  // A bare database (no trailer) is read too, and says so.
  assert.equal(readKeyspace(database()).hashed, false);
});

test('damaged files are refused before anything is restored', () => {
  const file = withTrailer(database());
  const damaged = Buffer.from(file);
  damaged.writeUInt8(damaged.readUInt8(3 * PS + 100) ^ 0xff, 3 * PS + 100);
  assert.throws(() => readKeyspace(damaged), /sha256 at the end of the file does not match/);
  assert.throws(() => verifySnapshot(file.subarray(0, file.length - 7)), /neither whole 4096-byte pages/);
  assert.throws(() => readKeyspace(Buffer.alloc(PS * 2)), SnapshotFileError);
  // The newer meta wins; a cycle (the branch pointing at itself) is caught.
  const cyclic = database([2, 1]);
  cyclic.writeBigUInt64LE(5n, 5 * PS + 16 + 8);
  assert.throws(() => readBuckets(cyclic), /page 5 is reached twice/);
});
