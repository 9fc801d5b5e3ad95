import assert from 'node:assert/strict';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { ioDeadline } from './io-deadline.js';
import { stall } from './testing.js';

test('I/O that completed while the process was stalled past the deadline is seen before the deadline fires', async () => {
  const server = createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const outcome = await new Promise<string>((resolve) => {
      const sock = createConnection((server.address() as AddressInfo).port, '127.0.0.1', () => {
        d.clear();
        sock.destroy();
        resolve('connected');
      });
      const d = ioDeadline(20, () => {
        sock.destroy();
        resolve('timed out');
      });
      // The process is held up past the deadline while the kernel completes the handshake.
      setImmediate(() => stall(200));
    });
    assert.equal(outcome, 'connected');
  } finally {
    server.close();
  }
});

test('with no answer, the deadline fires', async () => {
  const started = Date.now();
  await new Promise<void>((resolve) => ioDeadline(30, resolve));
  assert.ok(Date.now() - started >= 29);
});
