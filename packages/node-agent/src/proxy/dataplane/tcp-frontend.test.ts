import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { blackhole, stall } from '@kemu/common/testing';
import { connectEndpoint } from './tcp-frontend.js';

test('a connect that finished while the process was stalled past its timeout is not reported as timed out', async () => {
  const server = createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    const connecting = connectEndpoint({ key: `127.0.0.1:${port}`, ip: '127.0.0.1', port }, 50);
    // The kernel completes the handshake meanwhile; the timer and the connect are then due together.
    stall(300);
    const socket = await connecting;
    assert.equal(socket.remotePort, port);
    socket.destroy();
  } finally {
    server.close();
  }
});

test('a connect that gets no answer still times out', async () => {
  // Like one to a dead node: the SYNs are dropped.
  const hole = await blackhole();
  try {
    const started = Date.now();
    await assert.rejects(connectEndpoint({ key: hole.endpoint, ip: hole.host, port: hole.port }, 300), (e: NodeJS.ErrnoException) => e.code === 'ETIMEDOUT');
    assert.ok(Date.now() - started >= 300);
  } finally {
    hole.close();
  }
});
