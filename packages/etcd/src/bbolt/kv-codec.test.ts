import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Crc32c } from './crc32c.js';
import { KvDecodeError, SnapshotHashError } from './errors.js';
import { decodeKeyValue, encodeKeyValue, type MvccKeyValue } from './kv-codec.js';
import { decodeRevisionKey, encodeRevisionKey } from './revision-key.js';
import { appendSha256Trailer, hasSha256Trailer, sha256Trailer, stripSha256Trailer } from './sha256-trailer.js';
import { writeBoltDb } from './writer.js';

const kv = (over: Partial<MvccKeyValue>): MvccKeyValue => ({
  key: Buffer.alloc(0),
  createRevision: 0,
  modRevision: 0,
  version: 0,
  value: Buffer.alloc(0),
  lease: 0n,
  ...over,
});

describe('mvccpb.KeyValue codec', () => {
  test('encodes fields in number order and omits zero values', () => {
    const bytes = encodeKeyValue(kv({ key: Buffer.from('a'), createRevision: 2, modRevision: 3, version: 1, value: Buffer.from('b') }));
    assert.equal(bytes.toString('hex'), '0a0161' + '1002' + '1803' + '2001' + '2a0162');
    assert.equal(encodeKeyValue(kv({})).length, 0);
  });

  test('int64 lease: negative as 10-byte varint, large ids round-trip', () => {
    assert.equal(encodeKeyValue(kv({ lease: -1n })).toString('hex'), '30ffffffffffffffffff01');
    const lease = 0x694d8f3b4c2f5a1bn;
    const value = Buffer.alloc(300, 7); // multi-byte length prefix
    const original = kv({ key: Buffer.from('/registry/pods/x'), createRevision: 2 ** 40, modRevision: 2 ** 40 + 5, version: 300, value, lease });
    assert.deepEqual(decodeKeyValue(encodeKeyValue(original)), original);
  });

  test('decoder skips unknown fields and rejects truncation', () => {
    const withUnknown = Buffer.concat([Buffer.from('3807', 'hex'), encodeKeyValue(kv({ version: 9 })), Buffer.from('4a0178', 'hex')]);
    assert.equal(decodeKeyValue(withUnknown).version, 9);
    assert.throws(() => decodeKeyValue(Buffer.from('0a0561', 'hex')), KvDecodeError);
    assert.throws(() => decodeKeyValue(Buffer.from('10', 'hex')), KvDecodeError);
  });
});

describe('revision keys', () => {
  test('17 bytes: main BE, underscore, sub BE; tombstones add t', () => {
    assert.equal(encodeRevisionKey(258, 1).toString('hex'), '0000000000000102' + '5f' + '0000000000000001');
    assert.deepEqual(decodeRevisionKey(encodeRevisionKey(7, 2, true)), { main: 7, sub: 2, tombstone: true });
    assert.ok(Buffer.compare(encodeRevisionKey(255, 9), encodeRevisionKey(256, 0)) < 0, 'byte order is revision order');
    assert.throws(() => decodeRevisionKey(Buffer.alloc(16)), KvDecodeError);
  });
});

describe('crc32c', () => {
  test('check value of "123456789" and streaming', () => {
    assert.equal(new Crc32c().update(Buffer.from('123456789')).digest(), 0xe3069283);
    assert.equal(new Crc32c().update(Buffer.from('1234')).update(Buffer.from('56789')).digest(), 0xe3069283);
    assert.equal(new Crc32c().digest(), 0);
  });
});

describe('sha256 trailer', () => {
  test('append, detect by size, verify and strip', () => {
    const db = writeBoltDb([{ name: Buffer.from('key'), entries: [] }]);
    assert.equal(hasSha256Trailer(db), false);
    assert.equal(stripSha256Trailer(db), db);
    const file = appendSha256Trailer(db);
    assert.equal(file.length, db.length + 32);
    assert.ok(hasSha256Trailer(file));
    assert.deepEqual(file.subarray(db.length), sha256Trailer(db));
    assert.deepEqual(stripSha256Trailer(file), db);
    file.writeUInt8(file.readUInt8(100) ^ 1, 100);
    assert.throws(() => stripSha256Trailer(file), SnapshotHashError);
  });
});
