import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { withTempDir } from './test-support.js';
import { Wal } from './wal.js';

/** Entry payload; the child gets this function's source, so both sides agree byte for byte. */
const payload = (i: number): Uint8Array => {
  const bytes = new Uint8Array(40 + (i % 90));
  bytes.fill(i & 0xff);
  bytes.set(new TextEncoder().encode(`entry ${i}`));
  return bytes;
};
const PAYLOAD_SOURCE = payload.toString();

/**
 * Child: opens (or creates) the log and appends batches of 1..3 entries plus a hard state,
 * fsyncing each, forever. After each save resolves it prints `ack <last index>`; stdout to a
 * pipe is synchronous on Linux, so a printed ack was durable before it was printed.
 */
const CHILD_SOURCE = `
const [dir, walUrl] = process.argv.slice(1);
const { Wal } = await import(walUrl);
const payload = ${PAYLOAD_SOURCE};
const options = { segmentBytes: 4096 };
let wal;
let next;
if (await Wal.exists(dir)) {
  const opened = await Wal.open(dir, undefined, options);
  wal = opened.wal;
  next = (opened.entries.at(-1)?.index ?? 0) + 1;
} else {
  wal = await Wal.create(dir, new TextEncoder().encode('crash-test'), options);
  next = 1;
}
process.stdout.write('ready ' + next + '\\n');
for (;;) {
  const batch = [];
  for (let k = 0; k <= next % 3; k++) batch.push({ term: 1, index: next + k, data: payload(next + k) });
  await wal.save({ term: 1, vote: 1, commit: next - 1 }, batch, true);
  next += batch.length;
  process.stdout.write('ack ' + (next - 1) + '\\n');
}
`;

/** Runs the child until it has been appending for `runMs`, SIGKILLs it, returns the highest ack. */
async function runAndKill(dir: string, runMs: number): Promise<{ maxAck: number; acks: number }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD_SOURCE, dir, new URL('./wal.js', import.meta.url).href], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    if (out === '' && chunk.startsWith('ready')) setTimeout(() => child.kill('SIGKILL'), runMs);
    out += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  assert.equal(signal, 'SIGKILL', `child should be killed, exited ${code}: ${err}`);
  // Only complete lines count; a line cut by the kill was never a full acknowledgement.
  const lines = out.split('\n').slice(0, -1);
  const acks = lines.filter((line) => line.startsWith('ack ')).map((line) => Number(line.slice(4)));
  return { maxAck: acks.reduce((a, b) => Math.max(a, b), 0), acks: acks.length };
}

void test('kill -9 while appending and fsyncing never loses an acknowledged entry', { timeout: 30_000 }, () =>
  withTempDir(async (root) => {
    const dir = join(root, 'wal');
    let everAcked = 0;
    // Rounds of ~0.4 s each (about 2 s in total): crash, recover in the next child, crash again.
    for (const runMs of [350, 410, 290, 470, 380]) {
      const { maxAck } = await runAndKill(dir, runMs);
      everAcked = Math.max(everAcked, maxAck);
      const opened = await Wal.open(dir);
      const indexes = opened.entries.map((e) => e.index);
      assert.ok(indexes.length >= everAcked, `acknowledged through ${everAcked}, recovered ${indexes.length}`);
      indexes.forEach((index, i) => assert.equal(index, i + 1));
      for (const e of opened.entries) assert.deepEqual(e.data, payload(e.index), `entry ${e.index} content`);
      assert.ok(opened.hardState.commit <= indexes.length, 'commit never points past the log');
      await opened.wal.close();
    }
    assert.ok(everAcked > 0, 'the child acknowledged some writes');
  }));
