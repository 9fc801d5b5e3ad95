import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, rm, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { WalCorruptError } from './errors.js';
import { entries, entry, recordingLogger, segmentFiles, withTempDir } from './test-support.js';
import { Wal } from './wal.js';

const META = new TextEncoder().encode('member=1');
const SEGMENT = '0000000000000000-0000000000000001.wal';

/** Builds a one-segment log of entries 1..4 then one more save; returns the last save's byte range. */
async function buildLog(dir: string, lastSave: (wal: Wal) => Promise<void>): Promise<{ start: number; end: number }> {
  const wal = await Wal.create(dir, META);
  await wal.save({ term: 1, vote: 1, commit: 2 }, entries(1, 4), true);
  const start = (await stat(join(dir, SEGMENT))).size;
  await lastSave(wal);
  await wal.close();
  return { start, end: (await stat(join(dir, SEGMENT))).size };
}

async function flipByte(path: string, offset: number): Promise<void> {
  const bytes = await readFile(path);
  bytes[offset] = (bytes[offset] ?? 0) ^ 0x5a;
  await writeFile(path, bytes);
}

const isCorrupt =
  (file: string, offset?: number) =>
  (err: unknown): boolean =>
    err instanceof WalCorruptError && err.file === file && (offset === undefined || err.offset === offset);

void describe('Wal recovery', () => {
  void test('a tail torn at every byte of the last record loses that record only, and appending resumes', () =>
    withTempDir(async (root) => {
      const source = join(root, 'source');
      const { start, end } = await buildLog(source, (wal) => wal.save(undefined, [entry(5, 1, 24)], true));
      assert.ok(end - start > 30);
      for (let cut = start; cut < end; cut++) {
        const dir = join(root, `cut-${cut}`);
        await mkdir(dir);
        await copyFile(join(source, SEGMENT), join(dir, SEGMENT));
        await truncate(join(dir, SEGMENT), cut);
        const logger = recordingLogger();
        const opened = await Wal.open(dir, undefined, { logger });
        assert.deepEqual(opened.entries, entries(1, 4), `cut at ${cut}`);
        assert.deepEqual(opened.hardState, { term: 1, vote: 1, commit: 2 });
        assert.equal(logger.warnings.length, cut === start ? 0 : 1, `cut at ${cut}`);
        assert.equal((await stat(join(dir, SEGMENT))).size, start, 'torn bytes are truncated away');
        await opened.wal.save(undefined, [entry(5, 2)], true);
        await opened.wal.close();
        const reopened = await Wal.open(dir);
        assert.deepEqual(reopened.entries, [...entries(1, 4), entry(5, 2)], `append after cut at ${cut}`);
        await reopened.wal.close();
        await rm(dir, { recursive: true });
      }
    }));

  void test('a torn multi-record batch keeps the records before the tear', () =>
    withTempDir(async (dir) => {
      const { start, end } = await buildLog(dir, (wal) => wal.save({ term: 2, vote: 1, commit: 4 }, entries(5, 7), true));
      // Cut in the middle of the batch's last entry: entries 5 and 6 are whole.
      const recordBytes = (end - start - (12 + 1 + 24)) / 3;
      await truncate(join(dir, SEGMENT), start + 2 * recordBytes + 5);
      const opened = await Wal.open(dir);
      assert.deepEqual(opened.entries, entries(1, 6));
      assert.deepEqual(opened.hardState, { term: 1, vote: 1, commit: 2 });
      await opened.wal.close();
    }));

  void test('a zero-filled tail (as left by preallocation) is discarded', () =>
    withTempDir(async (dir) => {
      const { end } = await buildLog(dir, (wal) => wal.save(undefined, [entry(5)], true));
      await writeFile(join(dir, SEGMENT), Buffer.alloc(8192), { flag: 'a' });
      const opened = await Wal.open(dir);
      assert.deepEqual(opened.entries, entries(1, 5));
      await opened.wal.save(undefined, [entry(6)], true);
      await opened.wal.close();
      assert.equal((await stat(join(dir, SEGMENT))).size > end, true);
      const reopened = await Wal.open(dir);
      assert.deepEqual(reopened.entries, entries(1, 6));
      await reopened.wal.close();
    }));

  void test('a last record partly overwritten by zeros, or with a bad crc, is a torn tail', () =>
    withTempDir(async (root) => {
      for (const damage of ['zeros', 'flip'] as const) {
        const dir = join(root, damage);
        const { start, end } = await buildLog(dir, (wal) => wal.save(undefined, [entry(5, 1, 64)], true));
        const path = join(dir, SEGMENT);
        if (damage === 'zeros') {
          const bytes = await readFile(path);
          bytes.fill(0, end - 66, end);
          await writeFile(path, bytes);
        } else {
          await flipByte(path, end - 3);
        }
        const opened = await Wal.open(dir);
        assert.deepEqual(opened.entries, entries(1, 4), damage);
        assert.equal((await stat(path)).size, start);
        await opened.wal.close();
      }
    }));

  void test('a bad record followed by valid records is corruption, reported with file and offset', () =>
    withTempDir(async (root) => {
      // Payload byte, crc field and length field of a middle record.
      for (const [name, delta] of [
        ['payload', 20],
        ['crc', 9],
        ['length', 1],
      ] as const) {
        const dir = join(root, name);
        const wal = await Wal.create(dir, META);
        await wal.save(undefined, entries(1, 2), true);
        const victim = (await stat(join(dir, SEGMENT))).size;
        await wal.save(undefined, entries(3, 3), true);
        await wal.save(undefined, entries(4, 6), true);
        await wal.close();
        await flipByte(join(dir, SEGMENT), victim + delta);
        await assert.rejects(Wal.open(dir), isCorrupt(SEGMENT, victim), name);
      }
    }));

  void test('zeros in the middle of the log are corruption, not a tail', () =>
    withTempDir(async (dir) => {
      const wal = await Wal.create(dir, META);
      await wal.save(undefined, entries(1, 2), true);
      const victim = (await stat(join(dir, SEGMENT))).size;
      await wal.save(undefined, entries(3, 6), true);
      await wal.close();
      const bytes = await readFile(join(dir, SEGMENT));
      bytes.fill(0, victim, victim + 40);
      await writeFile(join(dir, SEGMENT), bytes);
      await assert.rejects(Wal.open(dir), isCorrupt(SEGMENT, victim));
    }));

  void test('damage at the end of a non-final segment is corruption', () =>
    withTempDir(async (dir) => {
      const wal = await Wal.create(dir, META, { segmentBytes: 200 });
      for (let i = 1; i <= 30; i++) await wal.save(undefined, [entry(i)], true);
      await wal.close();
      const files = await segmentFiles(dir);
      assert.ok(files.length >= 3);
      const victim = files[1]!;
      const size = (await stat(join(dir, victim))).size;
      await truncate(join(dir, victim), size - 3);
      await assert.rejects(Wal.open(dir), isCorrupt(victim));
    }));

  void test('a missing middle segment is corruption', () =>
    withTempDir(async (dir) => {
      const wal = await Wal.create(dir, META, { segmentBytes: 200 });
      for (let i = 1; i <= 30; i++) await wal.save(undefined, [entry(i)], true);
      await wal.close();
      const files = await segmentFiles(dir);
      await unlink(join(dir, files[2]!));
      await assert.rejects(Wal.open(dir), isCorrupt(files[3]!, 0));
    }));

  void test('a segment from another log with the same name breaks the crc chain', () =>
    withTempDir(async (root) => {
      const write = async (dir: string, term: number): Promise<string[]> => {
        const wal = await Wal.create(dir, META, { segmentBytes: 200 });
        for (let i = 1; i <= 20; i++) await wal.save(undefined, [entry(i, term)], true);
        await wal.close();
        return segmentFiles(dir);
      };
      const ours = await write(join(root, 'a'), 1);
      const theirs = await write(join(root, 'b'), 2);
      assert.deepEqual(ours, theirs, 'same sizes give the same names');
      await copyFile(join(root, 'b', theirs[2]!), join(root, 'a', ours[2]!));
      await assert.rejects(Wal.open(join(root, 'a')), isCorrupt(ours[2]!, 0));
    }));

  void test('a stray tmp file from an interrupted rotation is ignored and removed', () =>
    withTempDir(async (dir) => {
      const wal = await Wal.create(dir, META);
      await wal.save(undefined, entries(1, 3), true);
      await wal.close();
      const stray = join(dir, '0000000000000001-0000000000000004.wal.tmp');
      await writeFile(stray, Buffer.from('half a segment'));
      const opened = await Wal.open(dir);
      assert.deepEqual(opened.entries, entries(1, 3));
      await opened.wal.close();
      await assert.rejects(stat(stray), { code: 'ENOENT' });
    }));
});
