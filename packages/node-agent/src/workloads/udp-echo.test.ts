import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import { killAllWorkloads, TEST_NET, WorkloadProcess } from './test-process.js';

const HOST = `${TEST_NET}.3`;
const POD_ENV = { POD_NAME: 'dns-like', POD_NAMESPACE: 'default', POD_IP: HOST, NODE_NAME: 'node-3' };

/** Sends one datagram and resolves with the first reply. */
function ask(sock: Socket, port: number, payload: Buffer | string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no reply')), 2000);
    sock.once('message', (msg) => {
      clearTimeout(timer);
      resolve(msg);
    });
    sock.send(payload, port, HOST);
  });
}

describe('kemu/udp-echo as a process', () => {
  let proc: WorkloadProcess;
  let port: number;
  let sock: Socket;
  before(async () => {
    ({ proc, port } = await WorkloadProcess.listen('udp-echo', ['--port', '0'], POD_ENV));
    sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, `${TEST_NET}.103`, () => r()));
  });
  after(async () => {
    sock.close();
    await killAllWorkloads();
  });

  test('logs its start line', () => {
    assert.equal(proc.lines[0], `udp-echo: listening on ${HOST}:${port} (pod default/dns-like, node node-3)`);
  });

  test('answers each datagram with its payload', async () => {
    assert.equal((await ask(sock, port, 'ping 1')).toString(), 'ping 1');
    const bin = Buffer.from([0, 1, 2, 255, 10]);
    assert.ok((await ask(sock, port, bin)).equals(bin));
  });

  test('WHOAMI, with or without a newline, gets "<pod> <podIP>"; anything longer is echoed', async () => {
    assert.equal((await ask(sock, port, 'WHOAMI')).toString(), `dns-like ${HOST}`);
    assert.equal((await ask(sock, port, 'WHOAMI\n')).toString(), `dns-like ${HOST}`);
    assert.equal((await ask(sock, port, 'WHOAMI\n\n')).toString(), 'WHOAMI\n\n');
    assert.equal((await ask(sock, port, 'whoami')).toString(), 'whoami');
  });

  test('SIGTERM exits 0', async () => {
    proc.signal('SIGTERM');
    assert.deepEqual(await proc.exited, { code: 0, signal: null });
    assert.equal(proc.stderr, '');
  });
});
