import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { killAllWorkloads, TEST_NET, WorkloadProcess } from './test-process.js';

const HOST = `${TEST_NET}.2`;
const POD_ENV = { POD_NAME: 'tcp-xyz', POD_NAMESPACE: 'default', POD_IP: HOST, NODE_NAME: 'node-2' };

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: HOST, port, allowHalfOpen: true }, () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Everything the server sends until it ends its side. */
function readToEnd(s: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('kemu/tcp-echo as a process', () => {
  let proc: WorkloadProcess;
  let port: number;
  before(async () => {
    ({ proc, port } = await WorkloadProcess.listen('tcp-echo', ['--port', '0'], POD_ENV));
  });
  after(killAllWorkloads);

  test('logs its start line', () => {
    assert.equal(proc.lines[0], `tcp-echo: listening on ${HOST}:${port} (pod default/tcp-xyz, node node-2)`);
  });

  test('echoes 4 MiB sent before a half-close, then ends its side', async () => {
    const s = await open(port);
    const payload = randomBytes(4 << 20);
    const received = readToEnd(s);
    s.end(payload);
    const echoed = await received;
    assert.equal(echoed.length, payload.length);
    assert.ok(echoed.equals(payload));
    s.destroy();
  });

  test('keeps the connection open while the client has not ended', async () => {
    const s = await open(port);
    const got: Buffer[] = [];
    s.on('data', (c: Buffer) => got.push(c));
    s.write('one ');
    await pause(100);
    s.write('two');
    await pause(100);
    assert.equal(Buffer.concat(got).toString(), 'one two');
    const rest = readToEnd(s);
    s.end('!');
    await rest;
    assert.equal(Buffer.concat(got).toString(), 'one two!');
  });

  test('WHOAMI\\n first (even split across packets) gets "<pod> <podIP>\\n", then echo resumes', async () => {
    const s = await open(port);
    s.setNoDelay(true);
    const all = readToEnd(s);
    s.write('WHO');
    await pause(50);
    s.write('AMI\nhello');
    await pause(50);
    s.end(' WHOAMI\n');
    assert.equal((await all).toString(), `tcp-xyz ${HOST}\nhello WHOAMI\n`);
  });

  test('a prefix of WHOAMI\\n that diverges, or ends early, is plain echo', async () => {
    const a = await open(port);
    const ra = readToEnd(a);
    a.write('WHOA');
    await pause(50);
    a.end('MI there');
    assert.equal((await ra).toString(), 'WHOAMI there');

    const b = await open(port);
    const rb = readToEnd(b);
    b.end('WHOAMI');
    assert.equal((await rb).toString(), 'WHOAMI');
  });

  test('SIGTERM exits 0 promptly although a client keeps its connection open', async () => {
    const s = await open(port);
    // The server's side goes away: a FIN ('end') or a reset ('error').
    const dropped = new Promise<void>((resolve) => {
      s.on('end', () => resolve());
      s.on('error', () => resolve());
    });
    s.resume();
    s.write('still here');
    await pause(50);
    const t0 = performance.now();
    proc.signal('SIGTERM');
    assert.deepEqual(await proc.exited, { code: 0, signal: null });
    assert.ok(performance.now() - t0 < 1000);
    assert.equal(proc.stderr, '');
    await dropped;
    s.destroy();
  });
});
