import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  SnapshotMarkerMissingError,
  WalClosedError,
  WalCorruptError,
  WalEncodeError,
  WalExistsError,
  WalNotFoundError,
} from './errors.js';
import { entries, entry, segmentFiles, withTempDir } from './test-support.js';
import { Wal } from './wal.js';

const META = new TextEncoder().encode('member=1 cluster=kemu');

void describe('Wal', () => {
  void test('round trip: metadata, last hard state and entries come back', () =>
    withTempDir(async (dir) => {
      assert.equal(await Wal.exists(dir), false);
      const wal = await Wal.create(dir, META);
      assert.equal(await Wal.exists(dir), true);
      await wal.save({ term: 1, vote: 1, commit: 0 }, entries(1, 3), true);
      await wal.save({ term: 1, vote: 1, commit: 3 }, entries(4, 6), true);
      await wal.save(undefined, entries(7, 7), true);
      await wal.close();

      const opened = await Wal.open(dir);
      assert.deepEqual(opened.metadata, META);
      assert.deepEqual(opened.hardState, { term: 1, vote: 1, commit: 3 });
      assert.deepEqual(opened.entries, entries(1, 7));
      await opened.wal.close();
    }));

  void test('a fresh log opens empty with a zero hard state; the first segment is named 0-1', () =>
    withTempDir(async (dir) => {
      await (await Wal.create(dir, META)).close();
      assert.deepEqual(await segmentFiles(dir), ['0000000000000000-0000000000000001.wal']);
      const opened = await Wal.open(dir);
      assert.deepEqual(opened.hardState, { term: 0, vote: 0, commit: 0 });
      assert.deepEqual(opened.entries, []);
      await opened.wal.close();
    }));

  void test('create refuses a directory that already holds a log; open refuses one that does not', () =>
    withTempDir(async (dir) => {
      await assert.rejects(Wal.open(dir), WalNotFoundError);
      await assert.rejects(Wal.open(`${dir}/missing`), WalNotFoundError);
      await (await Wal.create(`${dir}/nested/wal`, META)).close();
      await assert.rejects(Wal.create(`${dir}/nested/wal`, META), WalExistsError);
    }));

  void test('rewritten entries replace everything from their index on', () =>
    withTempDir(async (dir) => {
      const wal = await Wal.create(dir, META);
      await wal.save(undefined, entries(1, 5, 1), true);
      await wal.save(undefined, entries(3, 4, 2), true);
      await wal.save(undefined, entries(5, 5, 2), true);
      await wal.save(undefined, entries(2, 2, 3), true);
      await wal.close();
      const opened = await Wal.open(dir);
      assert.deepEqual(opened.entries, [entry(1, 1), entry(2, 3)]);
      await opened.wal.close();
    }));

  void test('saves issued without awaiting are applied in call order', () =>
    withTempDir(async (dir) => {
      const wal = await Wal.create(dir, META, { segmentBytes: 300 });
      const pending: Promise<void>[] = [];
      for (let i = 1; i <= 50; i++) pending.push(wal.save({ term: 1, vote: 0, commit: i }, [entry(i)], i % 7 === 0));
      await Promise.all(pending);
      await wal.close();
      const opened = await Wal.open(dir);
      assert.deepEqual(opened.entries, entries(1, 50));
      assert.equal(opened.hardState.commit, 50);
      await opened.wal.close();
    }));

  void test('rotation: many segments, named by sequence and first index, replay across all of them', () =>
    withTempDir(async (dir) => {
      const wal = await Wal.create(dir, META, { segmentBytes: 256 });
      for (let i = 1; i <= 100; i++) await wal.save({ term: 1, vote: 0, commit: i - 1 }, [entry(i)], true);
      await wal.close();
      const files = await segmentFiles(dir);
      assert.ok(files.length > 10, `expected many segments, got ${files.length}`);
      files.forEach((name, seq) => assert.ok(name.startsWith(seq.toString(16).padStart(16, '0') + '-'), name));
      // Each segment's first index is one past the last entry before it.
      const firstIndexes = files.map((name) => parseInt(name.slice(17, 33), 16));
      assert.deepEqual(
        firstIndexes,
        [...firstIndexes].sort((a, b) => a - b),
      );

      const opened = await Wal.open(dir, undefined, { segmentBytes: 256 });
      assert.deepEqual(opened.entries, entries(1, 100));
      assert.equal(opened.hardState.commit, 99);
      // Appending continues in the newest segment and across further rotations.
      for (let i = 101; i <= 150; i++) await opened.wal.save(undefined, [entry(i)], true);
      await opened.wal.save(undefined, entries(120, 125, 2), true);
      await opened.wal.close();
      const again = await Wal.open(dir);
      assert.deepEqual(again.entries, [...entries(1, 119), ...entries(120, 125, 2)]);
      await again.wal.close();
    }));

  void test('rotation keeps rewritten entries dead even when the rewrite lands in a later segment', () =>
    withTempDir(async (dir) => {
      const wal = await Wal.create(dir, META, { segmentBytes: 200 });
      for (let i = 1; i <= 20; i++) await wal.save(undefined, [entry(i)], false);
      await wal.save(undefined, entries(10, 12, 2), true);
      await wal.close();
      const opened = await Wal.open(dir);
      assert.deepEqual(opened.entries, [...entries(1, 9), ...entries(10, 12, 2)]);
      await opened.wal.close();
    }));

  void test('open from a snapshot returns only later entries and requires its marker', () =>
    withTempDir(async (dir) => {
      const wal = await Wal.create(dir, META);
      await wal.save({ term: 2, vote: 1, commit: 10 }, entries(1, 10, 2), true);
      await wal.saveSnapshotMarker({ index: 8, term: 2 });
      await wal.save(undefined, entries(11, 12, 2), true);
      await wal.close();

      const opened = await Wal.open(dir, { index: 8, term: 2 });
      assert.deepEqual(opened.entries, [entry(9, 2), entry(10, 2), entry(11, 2), entry(12, 2)]);
      await opened.wal.close();

      await assert.rejects(Wal.open(dir, { index: 8, term: 3 }), SnapshotMarkerMissingError);
      await assert.rejects(Wal.open(dir, { index: 9, term: 2 }), SnapshotMarkerMissingError);
      const fromZero = await Wal.open(dir, { index: 0, term: 0 });
      assert.equal(fromZero.entries.length, 12);
      await fromZero.wal.close();
    }));

  void test('a snapshot installed past the log: entries resume after it, and replay needs the snapshot', () =>
    withTempDir(async (dir) => {
      const wal = await Wal.create(dir, META);
      await wal.save(undefined, entries(1, 5), true);
      await wal.saveSnapshotMarker({ index: 100, term: 3 });
      await wal.save({ term: 3, vote: 2, commit: 101 }, entries(101, 102, 3), true);
      await wal.close();

      const opened = await Wal.open(dir, { index: 100, term: 3 });
      assert.deepEqual(opened.entries, entries(101, 102, 3));
      await opened.wal.close();
      await assert.rejects(Wal.open(dir), (err: unknown) => err instanceof WalCorruptError && /gap/.test(err.reason));
    }));

  void test('releaseTo deletes only segments whose live entries are all below the index', () =>
    withTempDir(async (dir) => {
      const wal = await Wal.create(dir, META, { segmentBytes: 256 });
      await wal.save({ term: 1, vote: 3, commit: 0 }, [], true);
      for (let i = 1; i <= 100; i++) await wal.save(undefined, [entry(i)], true);
      await wal.saveSnapshotMarker({ index: 60, term: 1 });
      const before = await segmentFiles(dir);
      await wal.releaseTo(60);
      const after = await segmentFiles(dir);
      assert.ok(after.length < before.length);
      assert.deepEqual(after, before.slice(before.length - after.length), 'a suffix of the segments remains');
      const firstIndexes = after.map((name) => parseInt(name.slice(17, 33), 16));
      assert.ok(firstIndexes[0]! <= 60, 'the segment holding index 60 is kept');
      assert.ok((firstIndexes[1] ?? Infinity) > 60, 'no older segment than needed is kept');

      // Releasing below the oldest kept segment is a no-op.
      await wal.releaseTo(1);
      assert.deepEqual(await segmentFiles(dir), after);
      await wal.close();

      const opened = await Wal.open(dir, { index: 60, term: 1 });
      assert.deepEqual(opened.entries, entries(61, 100));
      assert.deepEqual(opened.hardState, { term: 1, vote: 3, commit: 0 }, 'hard state survives in segment headers');
      await opened.wal.close();
    }));

  void test('the newest snapshot marker survives releasing the segment it was written in', () =>
    withTempDir(async (dir) => {
      // segmentBytes 1: every save starts a new segment, so the marker's own segment can be released.
      const wal = await Wal.create(dir, META, { segmentBytes: 1 });
      for (let i = 1; i <= 20; i++) await wal.save(undefined, [entry(i)], true);
      await wal.saveSnapshotMarker({ index: 20, term: 1 });
      for (let i = 21; i <= 30; i++) await wal.save(undefined, [entry(i)], true);
      const before = await segmentFiles(dir);
      await wal.releaseTo(21);
      await wal.close();
      const after = await segmentFiles(dir);
      assert.equal(after.length, 11, `kept ${after.join(', ')} of ${before.length}`);
      const opened = await Wal.open(dir, { index: 20, term: 1 });
      assert.deepEqual(opened.entries, entries(21, 30));
      await opened.wal.close();
    }));

  void test('bad input is refused without breaking the log; closed logs refuse work', () =>
    withTempDir(async (dir) => {
      const wal = await Wal.create(dir, META);
      await assert.rejects(wal.save(undefined, [{ term: 1, index: -3, data: new Uint8Array() }], true), WalEncodeError);
      await wal.save(undefined, entries(1, 2), true);
      await wal.close();
      await wal.close();
      await assert.rejects(wal.save(undefined, entries(3, 3), true), WalClosedError);
      const opened = await Wal.open(dir);
      assert.deepEqual(opened.entries, entries(1, 2));
      await opened.wal.close();
    }));
});
