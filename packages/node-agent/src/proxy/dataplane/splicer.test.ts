import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, Socket, type Server } from 'node:net';
import { after, describe, test } from 'node:test';
import { JsSplicer } from './js-splicer.js';
import { loadNative } from './native.js';
import { NativeSplicer } from './native-splicer.js';
import type { SpliceResult, Splicer } from './splicer.js';

const native = loadNative();
const HOST = '127.77.9.1';

/** A backend: echo (ending after the client ends), or a custom handler. */
async function backend(handler: (s: Socket) => void): Promise<Server> {
  const srv = createServer({ allowHalfOpen: true }, handler);
  srv.listen(0, HOST);
  await once(srv, 'listening');
  return srv;
}

const echo = (s: Socket): void => {
  s.on('error', () => undefined);
  s.pipe(s);
};

function port(srv: Server): number {
  const a = srv.address();
  if (!a || typeof a === 'string') throw new Error('no address');
  return a.port;
}

/** A frontend that splices every accepted client to `target`; results are collected. */
async function frontend(splicer: Splicer, target: Server): Promise<{ server: Server; results: SpliceResult[]; closers: Array<() => void> }> {
  const results: SpliceResult[] = [];
  const closers: Array<() => void> = [];
  const server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (client) => {
    const b = new Socket({ allowHalfOpen: true });
    b.pause();
    b.connect(port(target), HOST, () => {
      const s = splicer.splice(client, b, (r) => results.push(r));
      closers.push(() => s.close());
    });
  });
  server.listen(0, HOST);
  await once(server, 'listening');
  return { server, results, closers };
}

function connectTo(srv: Server): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = new Socket({ allowHalfOpen: true });
    s.once('error', reject);
    s.connect(port(srv), HOST, () => resolve(s));
  });
}

function readAll(s: Socket): Promise<{ data: Buffer; error?: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => resolve({ data: Buffer.concat(chunks) }));
    s.on('error', (e: NodeJS.ErrnoException) => resolve({ data: Buffer.concat(chunks), error: e.code ?? e.message }));
  });
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const kinds: Array<[string, (() => Splicer) | undefined]> = [
  ['js', () => new JsSplicer()],
  ['native (1 thread)', native ? () => new NativeSplicer(native, 1) : undefined],
  // Pairs spread over workers by slot: 3 threads put neighbouring slots on different ones.
  ['native (3 threads)', native ? () => new NativeSplicer(native, 3) : undefined],
];

for (const [kind, make] of kinds) {
  describe(`${kind} splicer`, { skip: make ? false : 'native forwarder not built' }, () => {
    const servers: Server[] = [];
    const splicer = make?.();
    after(() => {
      splicer?.stop();
      for (const s of servers) s.close();
    });

    test('moves 8 MiB each way with backpressure, passes the FIN on, and counts bytes', async () => {
      assert.ok(splicer);
      const b = await backend(echo);
      const f = await frontend(splicer, b);
      servers.push(b, f.server);
      const c = await connectTo(f.server);
      const payload = Buffer.alloc(8 << 20, 7);
      payload.write('kemu', 1000);
      const got = readAll(c);
      c.end(payload);
      const { data, error } = await got;
      assert.equal(error, undefined);
      assert.equal(data.length, payload.length);
      assert.ok(data.equals(payload), 'echoed bytes are the sent bytes');
      await until(() => f.results.length === 1, 'the pair to be reported');
      assert.deepEqual(f.results[0], { toBackend: payload.length, toClient: payload.length, end: 'done' });
      assert.equal(splicer.active, 0);
    });

    test('a half-closed client still receives what the backend sends afterwards', async () => {
      assert.ok(splicer);
      const b = await backend((s) => {
        s.on('error', () => undefined);
        s.resume();
        s.on('end', () => {
          // The client has finished sending; answer after that, then close.
          setTimeout(() => s.end('late answer'), 50);
        });
      });
      const f = await frontend(splicer, b);
      servers.push(b, f.server);
      const c = await connectTo(f.server);
      const got = readAll(c);
      c.end('question');
      const { data, error } = await got;
      assert.equal(error, undefined);
      assert.equal(data.toString(), 'late answer');
    });

    test('a backend reset mid-stream reaches the client as a reset', async () => {
      assert.ok(splicer);
      const b = await backend((s) => {
        s.on('error', () => undefined);
        s.once('data', () => {
          s.write('partial');
          setTimeout(() => s.resetAndDestroy(), 30);
        });
      });
      const f = await frontend(splicer, b);
      servers.push(b, f.server);
      const c = await connectTo(f.server);
      const got = readAll(c);
      c.write('hello');
      const { data, error } = await got;
      assert.equal(data.toString(), 'partial');
      assert.equal(error, 'ECONNRESET');
      await until(() => f.results.length === 1, 'the pair to be reported');
      assert.equal(f.results[0]?.end, 'backend-reset');
    });

    test('close() ends one pair and leaves the others alone', async () => {
      assert.ok(splicer);
      const b = await backend(echo);
      const f = await frontend(splicer, b);
      servers.push(b, f.server);
      const c1 = await connectTo(f.server);
      await until(() => f.closers.length === 1, 'the first pair');
      const c2 = await connectTo(f.server);
      await until(() => f.closers.length === 2, 'the second pair');
      const ended = readAll(c1);
      f.closers[0]?.();
      const r = await ended;
      assert.equal(r.data.length, 0);
      c2.write('still here');
      const [chunk] = (await once(c2, 'data')) as [Buffer];
      assert.equal(chunk.toString(), 'still here');
      await until(() => f.results.some((x) => x.end === 'closed'), 'the closed pair to be reported');
      c2.destroy();
    });
  });
}
