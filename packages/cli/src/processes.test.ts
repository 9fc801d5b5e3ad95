import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { waitReady } from './processes.js';

async function serve(handler: (n: number) => { status: number; body: string }): Promise<{ url: string; server: Server }> {
  let n = 0;
  const server = createServer((_req, res) => {
    const r = handler(++n);
    res.writeHead(r.status).end(r.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.65.250.2', resolve));
  return { url: `http://127.65.250.2:${(server.address() as { port: number }).port}`, server };
}

test('ready once /readyz answers 200; the failing checks name what was missing', async () => {
  const { url, server } = await serve((n) => (n < 3 ? { status: 503, body: '[+]ping ok\n[-]etcd not connected\n' } : { status: 200, body: 'ok' }));
  try {
    await waitReady(url, 5_000, () => true);
  } finally {
    server.close();
  }
  const never = await serve(() => ({ status: 503, body: '[-]informers not synced\n' }));
  try {
    await assert.rejects(waitReady(never.url, 400, () => true), /not ready after 0\.4 s: \[-\]informers not synced/);
    await assert.rejects(waitReady(never.url, 5_000, () => false), /exited before it became ready/);
  } finally {
    never.server.close();
  }
});
