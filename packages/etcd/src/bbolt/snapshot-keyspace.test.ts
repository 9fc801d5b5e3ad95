import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BoltFormatError, SnapshotHashError } from './errors.js';
import { encodeKeyValue } from './kv-codec.js';
import { decodeLease, encodeLease } from './lease-codec.js';
import { encodeRevisionKey } from './revision-key.js';
import { appendSha256Trailer } from './sha256-trailer.js';
import { readSnapshotKeyspace } from './snapshot-keyspace.js';
import { writeBoltDb } from './writer.js';

const b = (s: string): Buffer => Buffer.from(s);
const row = (main: number, key: string, value: string, create: number, lease = 0n, tombstone = false): [Buffer, Buffer] => [
  encodeRevisionKey(main, 0, tombstone),
  encodeKeyValue({ key: b(key), value: b(value), createRevision: create, modRevision: main, version: 1, lease }),
];
const leaseKey = (id: bigint): Buffer => {
  const k = Buffer.alloc(8);
  k.writeBigUInt64BE(id);
  return k;
};

// /a written twice, /b written then deleted, /c written with lease 7; many filler revisions
// before them so that the "key" bucket spans several pages under a branch.
function database(): Buffer {
  const filler = Array.from({ length: 300 }, (_, i) => row(i + 1, `/filler/${i}`, 'x'.repeat(40), i + 1));
  const deleteFiller = Array.from({ length: 300 }, (_, i) => row(301 + i, `/filler/${i}`, '', 0, 0n, true));
  return writeBoltDb([
    { name: b('key'), entries: [...filler, ...deleteFiller, row(602, '/a', '1', 602), row(603, '/b', '2', 603, 7n), row(604, '/a', '3', 602), row(605, '/b', '', 0, 0n, true), row(606, '/c', '4', 606, 7n)] },
    { name: b('lease'), entries: [[leaseKey(7n), encodeLease(7n, 60)]] },
    { name: b('meta'), entries: [[b('consistent_index'), Buffer.alloc(8)]] },
  ]);
}

test('the keyspace at the last revision: deleted keys gone, leases kept, oldest change first', () => {
  const ks = readSnapshotKeyspace(appendSha256Trailer(database()));
  assert.equal(ks.revision, 606);
  assert.equal(ks.hashed, true);
  assert.deepEqual(
    ks.keys.map((k) => [k.key.toString(), k.value.toString(), k.modRevision, Number(k.lease)]),
    [
      ['/a', '3', 604, 0],
      ['/c', '4', 606, 7],
    ],
  );
  assert.deepEqual(ks.leases, [{ id: 7n, ttl: 60 }]);
  assert.equal(readSnapshotKeyspace(database()).hashed, false);
});

test('damaged files are refused before anything is restored', () => {
  const file = appendSha256Trailer(database());
  const damaged = Buffer.from(file);
  damaged.writeUInt8(damaged.readUInt8(3 * 4096 + 100) ^ 0xff, 3 * 4096 + 100);
  assert.throws(() => readSnapshotKeyspace(damaged), SnapshotHashError);
  assert.throws(() => readSnapshotKeyspace(file.subarray(0, file.length - 7)), /neither whole 4096-byte pages/);
  assert.throws(() => readSnapshotKeyspace(Buffer.alloc(4096 * 2)), BoltFormatError);
  assert.throws(() => readSnapshotKeyspace(writeBoltDb([{ name: b('meta'), entries: [] }])), /no "key" bucket/);
});

test('lease records: ID and TTL, unknown fields skipped, the key when the ID is missing', () => {
  assert.deepEqual(decodeLease(encodeLease(-2n, 30), 0n), { id: -2n, ttl: 30 });
  assert.deepEqual(decodeLease(Buffer.from([0x10, 60, 0x18, 5]), 9n), { id: 9n, ttl: 60 });
  assert.throws(() => decodeLease(Buffer.from([0x08]), 1n), /leasepb.Lease 1/);
});
