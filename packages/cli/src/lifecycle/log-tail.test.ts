import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { followFile, lastLines, loggedProcesses, readLastLines } from './log-tail.js';

test('lastLines keeps the last n lines, with or without a final newline', () => {
  assert.equal(lastLines('a\nb\nc\n', 2), 'b\nc\n');
  assert.equal(lastLines('a\nb\nc', 1), 'c');
  assert.equal(lastLines('a\nb\nc\n', 3), 'a\nb\nc\n');
  assert.equal(lastLines('a\nb\nc\n', 10), 'a\nb\nc\n');
  assert.equal(lastLines('a\nb\nc\n', 0), '');
  assert.equal(lastLines('a\nb\nc\n', -1), 'a\nb\nc\n');
  assert.equal(lastLines('', 5), '');
});

test('readLastLines reads a large file from its end only as far as needed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kemu-logtail-'));
  try {
    const file = join(dir, 'x.log');
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${'x'.repeat(20)}`);
    writeFileSync(file, lines.join('\n') + '\n');
    const r = readLastLines(file, 3);
    assert.equal(r.text, lines.slice(-3).join('\n') + '\n');
    assert.equal(readLastLines(file, -1).text.split('\n').length, 20_001);
    // More lines asked than a 64 KiB chunk holds.
    assert.equal(readLastLines(file, 5000).text.split('\n')[0], lines[15_000]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('followFile writes what is appended, restarts after truncation, stops on abort', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kemu-logtail-'));
  try {
    mkdirSync(join(dir, 'logs'));
    const file = join(dir, 'logs', 'etcd-0.log');
    writeFileSync(file, 'old\n');
    const got: string[] = [];
    const ac = new AbortController();
    const done = followFile(file, 4, (c) => got.push(c), ac.signal, 20);
    appendFileSync(file, 'new 1\n');
    await waitFor(() => got.join('') === 'new 1\n');
    writeFileSync(file, 'fresh\n');
    await waitFor(() => got.join('') === 'new 1\nfresh\n');
    ac.abort();
    await done;
    assert.deepEqual(loggedProcesses(dir), ['etcd-0']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond());
}
