import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { killAllWorkloads, TEST_NET, WorkloadProcess } from './test-process.js';

const HOST = `${TEST_NET}.1`;
const POD_ENV = { POD_NAME: 'web-abc', POD_NAMESPACE: 'shop', POD_IP: HOST, NODE_NAME: 'node-1' };

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
  localPort: number;
}

function call(
  port: number,
  method: string,
  path: string,
  opts: { agent?: Agent; localAddress?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: HOST, port, method, path, agent: opts.agent ?? false, localAddress: opts.localAddress, headers: opts.headers },
      (res) => {
        const localPort = res.socket.localPort ?? 0;
        let body = '';
        res.setEncoding('utf8').on('data', (s: string) => (body += s));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers, localPort }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('kemu/echo as a process', () => {
  let proc: WorkloadProcess;
  let port: number;
  before(async () => {
    ({ proc, port } = await WorkloadProcess.listen('echo', ['--port', '0'], POD_ENV));
  });
  after(killAllWorkloads);

  test('logs one start line naming address, pod and node', () => {
    assert.equal(proc.lines[0], `echo: listening on ${HOST}:${port} (pod shop/web-abc, node node-1)`);
  });

  test('GET answers JSON with the pod, the caller address, method, path and Host', async () => {
    const res = await call(port, 'GET', '/a/b?x=1', { localAddress: `${TEST_NET}.101`, headers: { host: 'web.shop.svc:80' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.ok(res.body.endsWith('}\n'));
    assert.deepEqual(JSON.parse(res.body), {
      pod: 'web-abc',
      namespace: 'shop',
      podIP: HOST,
      node: 'node-1',
      client: `${TEST_NET}.101:${res.localPort}`,
      method: 'GET',
      path: '/a/b?x=1',
      host: 'web.shop.svc:80',
    });
  });

  test('POST with a body answers the same JSON, and keep-alive connections serve several requests', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const a = await call(port, 'POST', '/submit', { agent, body: 'x'.repeat(10_000) });
      const b = await call(port, 'POST', '/submit', { agent, body: 'y' });
      assert.equal(a.status, 200);
      const ja = JSON.parse(a.body) as Record<string, unknown>;
      const jb = JSON.parse(b.body) as Record<string, unknown>;
      assert.equal(ja['method'], 'POST');
      assert.equal(ja['path'], '/submit');
      assert.equal(ja['client'], jb['client'], 'both requests came over one connection');
    } finally {
      agent.destroy();
    }
  });

  test('healthz is ok; readyz follows POST /admin/ready', async () => {
    assert.deepEqual([(await call(port, 'GET', '/healthz')).status, (await call(port, 'GET', '/healthz')).body], [200, 'ok']);
    const r0 = await call(port, 'GET', '/readyz');
    assert.deepEqual([r0.status, r0.body], [200, 'ok']);
    assert.equal((await call(port, 'POST', '/admin/ready?value=false')).status, 200);
    const r1 = await call(port, 'GET', '/readyz');
    assert.deepEqual([r1.status, r1.body], [503, 'not ready']);
    assert.equal((await call(port, 'GET', '/healthz')).status, 200, 'liveness is not readiness');
    assert.equal((await call(port, 'POST', '/admin/ready?value=maybe')).status, 400);
    assert.equal((await call(port, 'GET', '/admin/ready?value=true')).status, 405);
    assert.equal((await call(port, 'GET', '/readyz')).status, 503);
    assert.equal((await call(port, 'POST', '/admin/ready?value=true')).status, 200);
    assert.equal((await call(port, 'GET', '/readyz')).status, 200);
  });

  test('GET /sleep?ms=N answers after N ms; a bad N is a 400', async () => {
    const t0 = performance.now();
    const res = await call(port, 'GET', '/sleep?ms=300');
    const waited = performance.now() - t0;
    assert.equal(res.status, 200);
    assert.equal((JSON.parse(res.body) as Record<string, unknown>)['path'], '/sleep?ms=300');
    assert.ok(waited >= 290, `answered after ${waited} ms`);
    assert.equal((await call(port, 'GET', '/sleep?ms=soon')).status, 400);
  });

  test('GET /bytes?n=N sends exactly N bytes; a bad N is a 400', async () => {
    const res = await call(port, 'GET', '/bytes?n=3000000');
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 3_000_000);
    assert.ok(/^k+$/.test(res.body));
    assert.equal((await call(port, 'GET', '/bytes?n=-1')).status, 400);
  });
});

describe('kemu/echo lifecycle', () => {
  after(killAllWorkloads);

  test('POST /admin/exit?code=N replies, then the process exits with N', async () => {
    const { proc, port } = await WorkloadProcess.listen('echo', ['--port', '0'], POD_ENV);
    assert.equal((await call(port, 'POST', '/admin/exit?code=300')).status, 400);
    const res = await call(port, 'POST', '/admin/exit?code=3');
    assert.equal(res.status, 200);
    assert.deepEqual(await proc.exited, { code: 3, signal: null });
  });

  test('SIGTERM exits 0 within a second although a keep-alive connection is open and a request sleeps', async () => {
    const { proc, port } = await WorkloadProcess.listen('echo', ['--port', '0'], POD_ENV);
    const agent = new Agent({ keepAlive: true });
    try {
      await call(port, 'GET', '/', { agent });
      const idle = Object.values(agent.freeSockets).flat();
      assert.equal(idle.length, 1, 'one idle keep-alive connection');
      const idleClosed = new Promise<void>((resolve) => idle[0]!.on('close', () => resolve()));
      const sleeping = call(port, 'GET', '/sleep?ms=60000').then(
        () => 'answered',
        () => 'failed',
      );
      await new Promise((r) => setTimeout(r, 100));
      const t0 = performance.now();
      proc.signal('SIGTERM');
      assert.deepEqual(await proc.exited, { code: 0, signal: null });
      assert.ok(performance.now() - t0 < 1000, `exit took ${performance.now() - t0} ms`);
      assert.equal(proc.stderr, '', 'closed cleanly, not by the shutdown deadline');
      await idleClosed;
      assert.equal(await sleeping, 'failed');
    } finally {
      agent.destroy();
    }
  });

  test('without POD_IP it listens on 127.0.0.1', async () => {
    const { proc, host } = await WorkloadProcess.listen('echo', ['--port', '0'], { POD_NAME: 'p' });
    assert.equal(host, '127.0.0.1');
    proc.signal('SIGTERM');
    assert.equal((await proc.exited).code, 0);
  });
});
