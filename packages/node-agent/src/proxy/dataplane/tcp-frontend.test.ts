import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import { connectEndpoint } from './tcp-frontend.js';

/** Holds the event loop, as a hypervisor that stops the process for a while does. */
function stall(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy: nothing else runs meanwhile
  }
}

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
  // A listener in a stopped process with a full accept queue: Linux drops further SYNs, so
  // a connect to it gets no answer at all, like one to a dead node.
  const child = spawn(process.execPath, ['-e', "const s=require('net').createServer().listen({port:0,host:'127.0.0.1',backlog:1},()=>console.log(s.address().port))"], { stdio: ['ignore', 'pipe', 'inherit'] });
  const fillers: Socket[] = [];
  try {
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    const port = Number(line.toString().trim());
    child.kill('SIGSTOP');
    for (let i = 0; i < 20; i++) fillers.push(createConnection({ host: '127.0.0.1', port }).on('error', () => undefined));
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await assert.rejects(connectEndpoint({ key: `127.0.0.1:${port}`, ip: '127.0.0.1', port }, 300), (e: NodeJS.ErrnoException) => e.code === 'ETIMEDOUT');
    assert.ok(Date.now() - started >= 300);
  } finally {
    for (const f of fillers) f.destroy();
    child.kill('SIGKILL');
  }
});
