import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeRecords, RECORD_HEADER_BYTES, type WalRecord } from './record.js';
import { scanSegment } from './segment-scan.js';
import { WalEncodeError } from './errors.js';

const records: WalRecord[] = [
  { kind: 'crcSeed', seed: 0xdeadbeef },
  { kind: 'metadata', data: new Uint8Array([1, 2, 3]) },
  { kind: 'entry', entry: { term: 7, index: Number.MAX_SAFE_INTEGER, data: new Uint8Array([9, 9]) } },
  { kind: 'entry', entry: { term: 2 ** 40, index: 5, data: new Uint8Array(0) } },
  { kind: 'hardState', hardState: { term: 3, vote: 2, commit: 2 ** 33 } },
  { kind: 'snapshotMarker', snapshot: { index: 100, term: 4 } },
];

void describe('record codec', () => {
  void test('every record kind survives encode then scan', () => {
    const { bytes, crc } = encodeRecords(records, 0xdeadbeef);
    const scan = scanSegment(bytes, 0xdeadbeef);
    assert.deepEqual(scan.end, { kind: 'clean' });
    assert.equal(scan.crc, crc);
    assert.equal(scan.validEnd, bytes.length);
    assert.deepEqual(
      scan.records.map((r) => r.record),
      records,
    );
  });

  void test('a seed that does not chain from the previous segment is corruption', () => {
    const { bytes } = encodeRecords(records, 0xdeadbeef);
    const scan = scanSegment(bytes, 0x1234);
    assert.equal(scan.end.kind, 'corrupt');
    assert.equal(scan.records.length, 0);
  });

  void test('records chain: the same record after a different predecessor does not verify', () => {
    const a = encodeRecords([{ kind: 'crcSeed', seed: 0 }, records[1]!, records[2]!], 0).bytes;
    const b = encodeRecords([{ kind: 'crcSeed', seed: 0 }, { kind: 'metadata', data: new Uint8Array([1, 2, 4]) }, records[2]!], 0).bytes;
    // Splice b's last record after a's first two: its crc was computed over a different history.
    const firstTwo = RECORD_HEADER_BYTES * 2 + 5 + 4;
    const spliced = Buffer.concat([a.subarray(0, firstTwo), b.subarray(firstTwo), Buffer.from([0xff])]);
    const scan = scanSegment(spliced, undefined);
    assert.equal(scan.end.kind, 'corrupt');
    assert.equal(scan.records.length, 2);
  });

  void test('out-of-range numbers are refused before anything is encoded', () => {
    assert.throws(() => encodeRecords([{ kind: 'entry', entry: { term: 1, index: -1, data: new Uint8Array() } }], 0), WalEncodeError);
    assert.throws(() => encodeRecords([{ kind: 'hardState', hardState: { term: 1.5, vote: 0, commit: 0 } }], 0), WalEncodeError);
    assert.throws(() => encodeRecords([{ kind: 'snapshotMarker', snapshot: { index: 2 ** 53, term: 1 } }], 0), WalEncodeError);
  });
});
