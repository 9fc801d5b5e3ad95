import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from '../context.js';
import { readManifestSources } from './manifest-files.js';

test('a directory gives its .yaml, .yml and .json files in name order; subdirectories only with recursive', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kemu-manifests-'));
  try {
    for (const [name, text] of [
      ['b.yaml', 'kind: B'],
      ['a.json', '{"kind": "A"}'],
      ['notes.txt', 'not a manifest'],
      ['c.YML', 'kind: C'],
    ]) {
      writeFileSync(join(dir, name!), text!);
    }
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'd.yaml'), 'kind: D');
    assert.deepEqual(
      readManifestSources([dir], false).map((s) => s.name),
      [join(dir, 'a.json'), join(dir, 'b.yaml'), join(dir, 'c.YML')],
    );
    assert.deepEqual(
      readManifestSources([dir], true).map((s) => s.name),
      [join(dir, 'a.json'), join(dir, 'b.yaml'), join(dir, 'c.YML'), join(dir, 'sub', 'd.yaml')],
    );
    const file = join(dir, 'b.yaml');
    assert.deepEqual(readManifestSources([file, file], false), [
      { name: file, text: 'kind: B' },
      { name: file, text: 'kind: B' },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing path is refused before anything is read', () => {
  assert.throws(
    () => readManifestSources(['/nonexistent/app.yaml'], false),
    (e: unknown) => e instanceof CliError && e.message === 'error: the path "/nonexistent/app.yaml" does not exist',
  );
});
