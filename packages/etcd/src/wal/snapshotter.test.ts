import assert from 'node:assert/strict';
import { readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Snapshotter, type StoredSnapshot } from './snapshotter.js';
import { recordingLogger, withTempDir } from './test-support.js';

function snap(index: number, term: number, size = 100): StoredSnapshot {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (index * 31 + i) & 0xff;
  return { index, term, data };
}

const fileName = (term: number, index: number): string =>
  `${term.toString(16).padStart(16, '0')}-${index.toString(16).padStart(16, '0')}.snap`;

async function snapFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

void describe('Snapshotter', () => {
  void test('saves under <term>-<index>.snap and loads the newest back', () =>
    withTempDir(async (root) => {
      const dir = join(root, 'snap');
      const snapshotter = new Snapshotter(dir);
      assert.equal(await snapshotter.loadNewest(), undefined, 'missing directory means no snapshot');
      await snapshotter.save(snap(10, 1));
      await snapshotter.save(snap(0x1f, 2, 0));
      await snapshotter.save(snap(20, 2));
      assert.deepEqual(await snapFiles(dir), [fileName(1, 10), fileName(2, 20), fileName(2, 0x1f)]);
      assert.deepEqual(await snapshotter.loadNewest(), snap(0x1f, 2, 0));
      assert.deepEqual(
        await snapshotter.loadNewest((ref) => ref.index < 0x1f),
        snap(20, 2),
        'accept filters candidates',
      );
    }));

  void test('a damaged or partial newest file is reported and an older one is used', () =>
    withTempDir(async (dir) => {
      const logger = recordingLogger();
      const snapshotter = new Snapshotter(dir, { logger });
      await snapshotter.save(snap(10, 1));
      await snapshotter.save(snap(20, 1));
      await snapshotter.save(snap(30, 1));
      const newest = join(dir, fileName(1, 30));
      const bytes = await readFile(newest);
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
      await writeFile(newest, bytes);
      await truncate(join(dir, fileName(1, 20)), 60);

      assert.deepEqual(await snapshotter.loadNewest(), snap(10, 1));
      assert.deepEqual(
        logger.warnings.map((w) => [w.fields?.['file'], w.fields?.['reason']]),
        [
          [fileName(1, 30), 'data crc mismatch'],
          [fileName(1, 20), 'header says 100 data bytes, file holds 12'],
        ],
      );
    }));

  void test('a file whose header disagrees with its name is rejected', () =>
    withTempDir(async (dir) => {
      const logger = recordingLogger();
      const snapshotter = new Snapshotter(dir, { logger });
      await snapshotter.save(snap(5, 1));
      await writeFile(join(dir, fileName(1, 9)), await readFile(join(dir, fileName(1, 5))));
      assert.deepEqual(await snapshotter.loadNewest(), snap(5, 1));
      assert.equal(logger.warnings.length, 1);
    }));

  void test('prune keeps the newest files and never the last valid one; tmp leftovers go', () =>
    withTempDir(async (dir) => {
      const snapshotter = new Snapshotter(dir);
      for (const index of [1, 2, 3, 4, 5]) await snapshotter.save(snap(index, 1));
      await writeFile(join(dir, `${fileName(1, 6)}.tmp`), 'partial');
      await snapshotter.prune(2);
      assert.deepEqual(await snapFiles(dir), [fileName(1, 4), fileName(1, 5)]);

      await truncate(join(dir, fileName(1, 5)), 10);
      await truncate(join(dir, fileName(1, 4)), 10);
      await snapshotter.save(snap(3, 1));
      await snapshotter.prune(1);
      assert.deepEqual(await snapFiles(dir), [fileName(1, 3), fileName(1, 4), fileName(1, 5)]);
      assert.deepEqual(await snapshotter.loadNewest(), snap(3, 1));
    }));
});
