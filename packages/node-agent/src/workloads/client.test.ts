import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { killAllWorkloads, TEST_NET, WorkloadProcess } from './test-process.js';

const HOST = `${TEST_NET}.4`;
const CLIENT_ENV = { POD_NAME: 'client-1', POD_NAMESPACE: 'default', POD_IP: `${TEST_NET}.104`, NODE_NAME: 'node-4' };

type Line = Record<string, unknown>;
const reportLines = (p: WorkloadProcess): Line[] => p.jsonLines().filter((l) => typeof l['t'] === 'string');
const sum = (lines: Line[], key: string): number => lines.reduce((n, l) => n + (l[key] as number), 0);
const errorsOf = (l: Line): Record<string, number> => l['errors'] as Record<string, number>;

/** A TCP server that accepts connections and never answers; counts and keeps them. */
async function silentServer(): Promise<{ server: TcpServer; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createTcpServer((s) => {
    sockets.push(s);
    s.on('error', () => undefined);
    s.resume();
  });
  await new Promise<void>((r) => server.listen(0, HOST, () => r()));
  return { server, port: (server.address() as AddressInfo).port, sockets };
}

/** Runs `body` against a silentServer(), then drops its connections and closes it. */
async function withSilentServer(body: (srv: { port: number; sockets: Socket[] }) => Promise<void>): Promise<void> {
  const srv = await silentServer();
  try {
    await body(srv);
  } finally {
    for (const s of srv.sockets) s.destroy();
    await closeServer(srv.server);
  }
}

/** A kemu/client process sending to `url`, with the rest of its flags. */
function spawnClient(url: string, flags: string[]): WorkloadProcess {
  return WorkloadProcess.spawn('client', ['--url', url, ...flags], CLIENT_ENV);
}

/** An HTTP server answering 200 `{}` that counts the connections it accepted. */
async function countingServer(): Promise<{ server: HttpServer; port: number; connections: () => number }> {
  let connections = 0;
  const server = createHttpServer((_req, res) => res.end('{}'));
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, HOST, () => r()));
  return { server, port: (server.address() as AddressInfo).port, connections: () => connections };
}

function closeServer(server: TcpServer | HttpServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    if ('closeAllConnections' in server) server.closeAllConnections();
  });
}

describe('kemu/client as a process', () => {
  after(killAllWorkloads);

  test('counts answers per backend pod, then ECONNREFUSED once the server is gone; SIGTERM ends with a done line', async () => {
    const echo = await WorkloadProcess.listen('echo', ['--port', '0'], { POD_NAME: 'backend-1', POD_IP: HOST });
    const client = spawnClient(`http://${HOST}:${echo.port}/`, ['--rate', '20']);
    const start = JSON.parse(await client.waitForLine((l) => l.includes('"start"'))) as Line;
    assert.equal(start['url'], `http://${HOST}:${echo.port}/`);
    assert.equal(start['pod'], 'default/client-1');

    const good = JSON.parse(await client.waitForLine((l) => /"ok":[1-9]/.test(l))) as Line;
    assert.equal(good['failed'], 0);
    assert.deepEqual(good['backends'], { 'backend-1': good['ok'] });
    assert.equal(typeof good['p50Ms'], 'number');
    assert.ok((good['p99Ms'] as number) >= (good['p50Ms'] as number));
    assert.match(good['t'] as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);

    echo.proc.signal('SIGTERM');
    assert.equal((await echo.proc.exited).code, 0);
    // A request in flight while the server shuts down may be reset; once it is gone, every
    // request is refused.
    const bad = JSON.parse(
      await client.waitForLine((l) => /"ok":0,"failed":[1-9]/.test(l) && !l.includes('ECONNRESET')),
    ) as Line;
    assert.deepEqual(Object.keys(errorsOf(bad)), ['ECONNREFUSED']);
    assert.equal(errorsOf(bad)['ECONNREFUSED'], bad['failed']);
    assert.equal(bad['p50Ms'], null);

    client.signal('SIGTERM');
    assert.deepEqual(await client.exited, { code: 0, signal: null });
    const lines = client.jsonLines();
    const reports = reportLines(client);
    assert.deepEqual(lines.at(-1), { done: true, ok: sum(reports, 'ok'), failed: sum(reports, 'failed'), stalled: sum(reports, 'stalled') });
  });

  test('stops by itself after --max-requests and exits 0', async () => {
    const echo = await WorkloadProcess.listen('echo', ['--port', '0'], { POD_NAME: 'backend-2', POD_IP: HOST });
    const client = spawnClient(`http://${HOST}:${echo.port}/x`, ['--rate', '100', '--max-requests', '7']);
    assert.deepEqual(await client.exited, { code: 0, signal: null });
    const reports = reportLines(client);
    assert.equal(sum(reports, 'ok'), 7);
    assert.equal(sum(reports, 'failed'), 0);
    assert.deepEqual(client.jsonLines().at(-1), { done: true, ok: 7, failed: 0, stalled: 0 });
    echo.proc.signal('SIGTERM');
  });

  test('stops by itself after --duration, having sent about rate x duration requests', async () => {
    const srv = await countingServer();
    try {
      const t0 = performance.now();
      const client = spawnClient(`http://${HOST}:${srv.port}/`, ['--rate', '20', '--duration', '1']);
      assert.deepEqual(await client.exited, { code: 0, signal: null });
      const elapsed = performance.now() - t0;
      assert.ok(elapsed < 15_000, `ran ${elapsed} ms: it stops by itself, long before a 60 s run would`);
      const done = client.jsonLines().at(-1)!;
      assert.equal(done['done'], true);
      assert.equal(done['failed'], 0);
      // Paced, not a burst: never more than 20/s over the time the process lived (one at
      // t=0). A stall moves the duration timer and the pacer alike, so the count itself is
      // the Pacer's unit tests' business, not this process test's.
      const ok = done['ok'] as number;
      assert.ok(ok >= 1 && ok <= Math.floor((20 * elapsed) / 1000) + 1, `ok=${ok} in ${elapsed} ms`);
      assert.equal(srv.connections(), done['ok']);
    } finally {
      await closeServer(srv.server);
    }
  });

  test('a server that never answers gives timeout failures, never a hang', async () => {
    await withSilentServer(async (srv) => {
      const client = spawnClient(`http://${HOST}:${srv.port}/`, ['--rate', '10', '--timeout', '200', '--max-requests', '3']);
      assert.deepEqual(await client.exited, { code: 0, signal: null });
      const reports = reportLines(client);
      assert.equal(reports.reduce((n, l) => n + (errorsOf(l)['timeout'] ?? 0), 0), 3);
      assert.deepEqual(client.jsonLines().at(-1), { done: true, ok: 0, failed: 3, stalled: 0 });
    });
  });

  test('a deadline that passes while the client itself is stopped is counted as stalled, not as a failure', async () => {
    await withSilentServer(async (srv) => {
      const client = spawnClient(`http://${HOST}:${srv.port}/`, ['--rate', '10', '--timeout', '400', '--max-requests', '12']);
      await client.waitForLine((l) => l.includes('"start"'));
      // Requests are in flight to a server that never answers; then the client gets no CPU.
      await new Promise((r) => setTimeout(r, 150));
      client.signal('SIGSTOP');
      await new Promise((r) => setTimeout(r, 1_500));
      client.signal('SIGCONT');
      assert.deepEqual(await client.exited, { code: 0, signal: null });
      const done = client.jsonLines().at(-1) ?? {};
      assert.equal((done['stalled'] as number) + (done['failed'] as number), 12, JSON.stringify(done));
      assert.ok((done['stalled'] as number) >= 1, `the requests in flight while stopped: ${JSON.stringify(done)}`);
      assert.ok((done['failed'] as number) >= 1, `the later ones time out on time: ${JSON.stringify(done)}`);
      const reports = reportLines(client);
      assert.equal(sum(reports, 'stalled'), done['stalled']);
      assert.equal(reports.reduce((n, l) => n + (errorsOf(l)['timeout'] ?? 0), 0), done['failed']);
    });
  });

  test('a non-200 answer is a failure named by its status', async () => {
    const echo = await WorkloadProcess.listen('echo', ['--port', '0'], { POD_NAME: 'backend-3', POD_IP: HOST });
    await fetch(`http://${HOST}:${echo.port}/admin/ready?value=false`, { method: 'POST' });
    const client = spawnClient(`http://${HOST}:${echo.port}/readyz`, ['--rate', '50', '--max-requests', '4']);
    assert.equal((await client.exited).code, 0);
    assert.equal(reportLines(client).reduce((n, l) => n + (errorsOf(l)['status 503'] ?? 0), 0), 4);
    echo.proc.signal('SIGTERM');
  });

  test('opens a new connection per request unless --keepalive', async () => {
    const srv = await countingServer();
    try {
      const url = `http://${HOST}:${srv.port}/`;
      const fresh = spawnClient(url, ['--rate', '20', '--max-requests', '5']);
      assert.equal((await fresh.exited).code, 0);
      assert.equal(srv.connections(), 5);
      const reused = spawnClient(url, ['--rate', '5', '--max-requests', '5', '--keepalive']);
      assert.equal((await reused.exited).code, 0);
      assert.deepEqual(reused.jsonLines().at(-1), { done: true, ok: 5, failed: 0, stalled: 0 });
      // 200 ms apart against an instant server: one connection serves them all, unless a
      // starved machine makes a request outlast the gap (then a second one opens).
      const opened = srv.connections() - 5;
      assert.ok(opened >= 1 && opened <= 2, `keep-alive reuses connections: ${opened} for 5 requests`);
    } finally {
      await closeServer(srv.server);
    }
  });

  test('caps requests in flight at 2 x rate, and SIGTERM ends promptly with requests in flight', async () => {
    await withSilentServer(async (srv) => {
      const client = spawnClient(`http://${HOST}:${srv.port}/`, ['--rate', '10', '--timeout', '60000']);
      await client.waitForLine((l) => l.includes('"start"'));
      const until = Date.now() + 10_000;
      while (srv.sockets.length < 20 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      // Six more starts fall due in the next 600 ms; the cap holds them back.
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(srv.sockets.length, 20);
      const t0 = performance.now();
      client.signal('SIGTERM');
      assert.deepEqual(await client.exited, { code: 0, signal: null });
      assert.ok(performance.now() - t0 < 1000);
      assert.equal(client.stderr, '');
      assert.deepEqual(client.jsonLines().at(-1), { done: true, ok: 0, failed: 0, stalled: 0 });
    });
  });
});
