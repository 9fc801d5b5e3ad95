import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer, type AddressInfo } from 'node:net';
import { addressInUseFromLog, busyMessage, firstBusyAddress, formatListen, tcpListen, tryBind } from './port-check.js';

const HOST = '127.62.250.1';

test('a TCP address someone listens on is busy; after they close it is free', async () => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, HOST, r));
  const port = (srv.address() as AddressInfo).port;
  try {
    assert.equal(await tryBind({ proto: 'tcp', host: HOST, port }), 'EADDRINUSE');
    const busy = await firstBusyAddress([
      { name: 'etcd-0', listens: [{ proto: 'tcp', host: HOST, port: port === 65535 ? 65534 : port + 1 }] },
      { name: 'apiserver', listens: [{ proto: 'tcp', host: HOST, port }] },
    ]);
    assert.equal(busy?.process, 'apiserver');
    assert.match(busyMessage(busy, '/tmp/x'), new RegExp(`^apiserver: ${HOST.replaceAll('.', '\\.')}:${port} is already in use \\(another kemu up\\?`));
  } finally {
    await new Promise((r) => srv.close(r));
  }
  assert.equal(await tryBind({ proto: 'tcp', host: HOST, port }), undefined);
});

test('a UDP address someone holds is busy', async () => {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, HOST, r));
  const port = sock.address().port;
  try {
    const a = { proto: 'udp' as const, host: HOST, port };
    assert.equal(await tryBind(a), 'EADDRINUSE');
    assert.equal(formatListen(a), `${HOST}:${port}/udp`);
  } finally {
    sock.close();
  }
});

test('listen addresses from URLs, and the address in a dead process log', () => {
  assert.deepEqual(tcpListen('http://127.0.2.1:6444'), { proto: 'tcp', host: '127.0.2.1', port: 6444 });
  assert.deepEqual(tcpListen('127.0.1.1:2379'), { proto: 'tcp', host: '127.0.1.1', port: 2379 });
  const log = [
    '{"level":30,"msg":"starting"}',
    '{"level":60,"err":{"message":"listen EADDRINUSE: address already in use 127.0.2.1:6444"},"msg":"fatal"}',
  ].join('\n');
  assert.equal(addressInUseFromLog(log), '127.0.2.1:6444');
  assert.equal(addressInUseFromLog('{"msg":"connect ECONNREFUSED 127.0.1.1:2379"}'), undefined);
});
