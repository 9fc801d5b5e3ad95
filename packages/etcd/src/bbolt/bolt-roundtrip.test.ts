import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkBoltDb } from './check.js';
import { BoltFormatError, BoltNestedBucketError, BoltWriteError } from './errors.js';
import { BUCKET_LEAF_FLAG, PageFlag } from './layout.js';
import { readActiveMeta } from './meta.js';
import { readBoltDb, readBoltFile } from './reader.js';
import type { BoltBucket, BoltBucketInput } from './types.js';
import { writeBoltDb } from './writer.js';

const b = (s: string): Buffer => Buffer.from(s);
const flipBit = (buf: Buffer, at: number): void => {
  buf.writeUInt8(buf.readUInt8(at) ^ 1, at);
};

/** Expected reader output: buckets sorted by name, entries sorted by key. */
function normalized(input: readonly BoltBucketInput[]): BoltBucket[] {
  return [...input]
    .sort((x, y) => Buffer.compare(x.name, y.name))
    .map((bucket) => ({
      name: bucket.name,
      entries: bucket.entries.map(([k, v]): [Buffer, Buffer] => [k, v]).sort((x, y) => Buffer.compare(x[0], y[0])),
    }));
}

function roundTrip(input: readonly BoltBucketInput[], opts?: Parameters<typeof writeBoltDb>[1]): Buffer {
  const db = writeBoltDb(input, opts);
  assert.deepEqual(checkBoltDb(db), []);
  assert.deepEqual(readBoltDb(db), normalized(input));
  return db;
}

/** Counts pages by type by walking page headers of the whole file. */
function pageCensus(db: Buffer, pageSize = 4096): Record<'meta' | 'freelist' | 'leaf' | 'branch' | 'overflow', number> {
  const census = { meta: 0, freelist: 0, leaf: 0, branch: 0, overflow: 0 };
  for (let pgid = 0; pgid * pageSize < db.length; ) {
    const flags = db.readUInt16LE(pgid * pageSize + 8);
    const overflow = db.readUInt32LE(pgid * pageSize + 12);
    if (flags === PageFlag.meta) census.meta++;
    else if (flags === PageFlag.freelist) census.freelist++;
    else if (flags === PageFlag.leaf) census.leaf++;
    else if (flags === PageFlag.branch) census.branch++;
    else assert.fail(`page ${pgid} has flags ${flags}`);
    census.overflow += overflow;
    pgid += overflow + 1;
  }
  return census;
}

describe('writeBoltDb / readBoltDb round trip', () => {
  test('empty database: two metas, empty freelist, empty root leaf', () => {
    const db = roundTrip([]);
    assert.equal(db.length, 4 * 4096);
    assert.deepEqual(pageCensus(db), { meta: 2, freelist: 1, leaf: 1, branch: 0, overflow: 0 });
    const meta = readActiveMeta(db);
    assert.equal(meta.pageSize, 4096);
    assert.equal(meta.rootPgid, 3n);
    assert.equal(meta.freelistPgid, 2n);
    assert.equal(meta.highWaterPgid, 4n);
    assert.equal(meta.txid, 1n);
  });

  test('one bucket with a few entries', () => {
    roundTrip([{ name: b('key'), entries: [[b('a'), b('1')], [b('b'), b('')], [b('c'), b('3')]] }]);
  });

  test('empty buckets, inline and not', () => {
    const input = [{ name: b('alarm'), entries: [] }, { name: b('auth'), entries: [] }];
    const inline = roundTrip(input);
    assert.equal(inline.length, 4 * 4096, 'inline buckets live in the root leaf');
    const paged = roundTrip(input, { inlineSmallBuckets: false });
    assert.deepEqual(pageCensus(paged), { meta: 2, freelist: 1, leaf: 3, branch: 0, overflow: 0 });
  });

  test('inline bucket value layout: header with root 0, then a leaf page image', () => {
    const db = writeBoltDb([{ name: b('cluster'), entries: [[b('clusterVersion'), b('3.4.0')]] }]);
    const root = 3 * 4096;
    assert.equal(db.readUInt16LE(root + 8), PageFlag.leaf);
    assert.equal(db.readUInt16LE(root + 10), 1);
    const elem = root + 16;
    assert.equal(db.readUInt32LE(elem), BUCKET_LEAF_FLAG);
    const pos = db.readUInt32LE(elem + 4);
    const ksize = db.readUInt32LE(elem + 8);
    const vsize = db.readUInt32LE(elem + 12);
    assert.equal(db.toString('latin1', elem + pos, elem + pos + ksize), 'cluster');
    const value = db.subarray(elem + pos + ksize, elem + pos + ksize + vsize);
    assert.equal(value.readBigUInt64LE(0), 0n, 'inline bucket root');
    assert.equal(value.readUInt16LE(16 + 8), PageFlag.leaf);
    assert.equal(value.length, 16 + 16 + 16 + 'clusterVersion'.length + '3.4.0'.length);
  });

  test('many buckets spill the root bucket over several leaves under a branch', () => {
    const input: BoltBucketInput[] = [];
    for (let i = 0; i < 600; i++) {
      input.push({ name: b(`bucket-${String(i).padStart(4, '0')}`), entries: [[b('k'), b(`v${i}`)]] });
    }
    input.reverse();
    const db = roundTrip(input);
    const census = pageCensus(db);
    assert.ok(census.leaf > 1 && census.branch === 1, JSON.stringify(census));
  });

  test('100k entries across many leaf and branch pages, in bytewise order', () => {
    const entries: Array<[Buffer, Buffer]> = [];
    for (let i = 0; i < 100_000; i++) {
      const key = Buffer.alloc(17);
      key.writeBigUInt64BE(BigInt((i * 7919) % 100_000) + 1n, 0);
      key[8] = 0x5f;
      entries.push([key, b(`value-${i}`)]);
    }
    const db = roundTrip([{ name: b('key'), entries }, { name: b('meta'), entries: [[b('consistent_index'), Buffer.alloc(8)]] }]);
    const census = pageCensus(db);
    assert.ok(census.leaf > 500, `leaves ${census.leaf}`);
    assert.ok(census.branch > 5, `branches ${census.branch}: the tree needs a second branch level`);
    const keys = readBoltDb(db)[0]!.entries.map(([k]) => k.readBigUInt64BE(0));
    assert.deepEqual(keys.slice(0, 3), [1n, 2n, 3n]);
    assert.equal(keys[keys.length - 1], 100_000n);
  });

  test('values and keys larger than a page use overflow pages', () => {
    const big = Buffer.alloc(3 * 4096 + 1, 0xab);
    const bigKey = Buffer.alloc(20_000, 0x6b);
    const entries: Array<[Buffer, Buffer]> = [[b('a'), b('small')], [b('b'), big], [b('c'), b('small')], [bigKey, b('v')]];
    for (let i = 0; i < 400; i++) entries.push([b(`z${i}`), Buffer.alloc(100, i)]);
    const db = roundTrip([{ name: b('blobs'), entries }]);
    const census = pageCensus(db);
    // value: ceil((16+16+1+12289)/4096) = 4 pages; key: 5 pages as leaf, 5 more in the branch.
    assert.ok(census.overflow >= 3 + 4 + 4, JSON.stringify(census));
  });

  test('keys are sorted bytewise regardless of input order', () => {
    const input = [{ name: b('k'), entries: [[b('b'), b('2')], [Buffer.from([0xff]), b('4')], [b('B'), b('1')], [b('ba'), b('3')], [Buffer.from([0]), b('0')]] as Array<[Buffer, Buffer]> }];
    const out = readBoltDb(writeBoltDb(input));
    assert.deepEqual(out[0]!.entries.map(([k]) => k.toString('hex')), ['00', '42', '62', '6261', 'ff']);
  });

  test('other page sizes', () => {
    const entries: Array<[Buffer, Buffer]> = [];
    for (let i = 0; i < 5000; i++) entries.push([b(`key/${i}`), b(`v${i}`.repeat(i % 7))]);
    for (const pageSize of [512, 16384]) {
      const db = roundTrip([{ name: b('x'), entries }, { name: b('y'), entries: [] }], { pageSize });
      assert.equal(readActiveMeta(db).pageSize, pageSize);
      assert.equal(db.length % pageSize, 0);
    }
  });

  test('rejects duplicates, empty keys and bad options', () => {
    assert.throws(() => writeBoltDb([{ name: b('k'), entries: [[b('a'), b('1')], [b('a'), b('2')]] }]), BoltWriteError);
    assert.throws(() => writeBoltDb([{ name: b('k'), entries: [] }, { name: b('k'), entries: [] }]), BoltWriteError);
    assert.throws(() => writeBoltDb([{ name: b('k'), entries: [[b(''), b('1')]] }]), BoltWriteError);
    assert.throws(() => writeBoltDb([{ name: b(''), entries: [] }]), BoltWriteError);
    assert.throws(() => writeBoltDb([], { pageSize: 3000 }), BoltWriteError);
    assert.throws(() => writeBoltDb([], { txid: 0 }), BoltWriteError);
  });
});

describe('meta pages', () => {
  test('newest txid sits on page txid % 2, the other page holds txid - 1', () => {
    const db = writeBoltDb([], { txid: 10 });
    assert.equal(db.readBigUInt64LE(16 + 48), 10n);
    assert.equal(db.readBigUInt64LE(4096 + 16 + 48), 9n);
    assert.equal(readActiveMeta(db).txid, 10n);
  });

  test('a corrupt newest meta falls back to the other one; two corrupt metas are an error', () => {
    const db = writeBoltDb([{ name: b('k'), entries: [[b('a'), b('1')]] }], { txid: 5 });
    flipBit(db, 4096 + 16 + 40); // page 1 (txid 5): flip a bit of the high-water mark
    assert.equal(readActiveMeta(db).txid, 4n);
    assert.deepEqual(readBoltDb(db).map((x) => x.name.toString()), ['k']);
    flipBit(db, 16 + 40);
    assert.throws(() => readBoltDb(db), BoltFormatError);
  });
});

describe('checkBoltDb', () => {
  test('reports pages bbolt would call unreachable or doubly referenced', () => {
    const db = writeBoltDb([{ name: b('a'), entries: [] }, { name: b('b'), entries: [] }], { inlineSmallBuckets: false });
    // Point bucket "b" at bucket "a"'s root page (3); page 4 becomes unreachable.
    const grown = Buffer.from(db);
    const rootLeaf = 5 * 4096;
    const elem = rootLeaf + 16 + 16; // second element: bucket "b"
    const valueAt = elem + grown.readUInt32LE(elem + 4) + grown.readUInt32LE(elem + 8);
    assert.equal(grown.readBigUInt64LE(valueAt), 4n);
    grown.writeBigUInt64LE(3n, valueAt);
    assert.deepEqual(checkBoltDb(grown).sort(), ['page 3: multiple references', 'page 4: unreachable unfreed']);
    assert.throws(() => readBoltDb(grown), /referenced twice/);
  });
});

describe('readBoltDb on hand-made pages', () => {
  test('nested buckets are reported as BoltNestedBucketError', () => {
    const db = writeBoltDb([{ name: b('outer'), entries: [[b('inner'), Buffer.alloc(32)]] }]);
    // Mark the single element of the inline bucket's page as a bucket.
    const { buckets } = readBoltFile(db);
    assert.equal(buckets.length, 1);
    const at = db.indexOf(b('inner')) - 16; // the only element's key follows it (pos 16)
    assert.equal(db.readUInt32LE(at + 4), 16, 'pos of the only element');
    db.writeUInt32LE(BUCKET_LEAF_FLAG, at);
    assert.throws(() => readBoltDb(db), BoltNestedBucketError);
  });

  test('a tree page pointing past the high-water mark is rejected', () => {
    const db = writeBoltDb([{ name: b('a'), entries: [[b('x'), b('y')]] }], { inlineSmallBuckets: false });
    const elem = 4 * 4096 + 16;
    const valueAt = elem + db.readUInt32LE(elem + 4) + db.readUInt32LE(elem + 8);
    db.writeBigUInt64LE(99n, valueAt);
    assert.throws(() => readBoltDb(db), BoltFormatError);
    assert.deepEqual(checkBoltDb(db), ['page 99: out of bounds: 5', 'page 3: unreachable unfreed']);
  });
});
