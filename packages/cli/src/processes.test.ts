import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { procStat } from '@kemu/node-agent';
import { isAlive, processState, waitReady, type ProcState } from './processes.js';

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

async function eventuallyState(pid: number, want: ProcState[]): Promise<ProcState> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const s = processState({ pid });
    if (want.includes(s) || Date.now() > deadline) return s;
    await sleep(20);
  }
}

test('process states as ps shows them: running, stopped, gone; a recycled pid is not the recorded process', async () => {
  assert.equal(processState({ pid: process.pid }), 'running');
  assert.equal(processState({ pid: 2 ** 22 + 12345 }), 'gone');
  const self = procStat(process.pid)!.startTicks;
  assert.equal(processState({ pid: process.pid, startTicks: self }), 'running');
  assert.equal(processState({ pid: process.pid, startTicks: String(Number(self) + 1) }), 'gone', 'same pid, another start time');
  assert.equal(isAlive({ pid: process.pid, startTicks: 'exited' }), false);
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  const pid = child.pid!;
  try {
    process.kill(pid, 'SIGSTOP');
    assert.equal(await eventuallyState(pid, ['stopped']), 'stopped');
    process.kill(pid, 'SIGCONT');
    assert.equal(await eventuallyState(pid, ['running']), 'running');
  } finally {
    child.kill('SIGKILL');
  }
});
