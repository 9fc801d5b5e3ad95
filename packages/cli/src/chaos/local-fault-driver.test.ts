import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processState, readProcesses, startProcess, waitReady, writeProcesses, type ProcState } from '../processes.js';
import { FaultError, perform } from './fault-driver.js';
import { LocalFaultDriver } from './local-fault-driver.js';
import { procStat } from '@kemu/node-agent';

const HOST = '127.65.250.1';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, HOST, r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function eventuallyState(pid: number, want: ProcState[]): Promise<ProcState> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const s = processState({ pid });
    if (want.includes(s) || Date.now() > deadline) return s;
    await sleep(20);
  }
}

const kill = (pid: number): void => {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone.
  }
};

/**
 * A state dir as `kemu up` leaves it, with one "node agent" (a small HTTP server answering
 * /readyz, started the way kemu up starts processes) and one pod process it "started".
 */
async function fakeCluster(): Promise<{ dir: string; podPid: number; pids: () => number[]; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'kemu-chaos-driver-'));
  const port = await freePort();
  const script = `require('node:http').createServer((q, s) => s.end('ok')).listen(${port}, '${HOST}', () => console.log('listening'))`;
  const agent = startProcess(dir, { name: 'node-9', command: process.execPath, args: ['-e', script], opsUrl: `http://${HOST}:${port}` });
  const other = startProcess(dir, { name: 'dns-9', command: 'sleep', args: ['60'], opsUrl: `http://${HOST}:1` });
  writeProcesses(dir, [other, agent]);
  await waitReady(agent.opsUrl, 20_000, () => true);
  const pod = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
  const podPid = pod.pid!;
  const podDir = join(dir, 'nodes', 'node-9', 'pods', 'kemu-chaos_p_u1');
  mkdirSync(podDir, { recursive: true });
  writeFileSync(
    join(podDir, 'state.json'),
    JSON.stringify({ version: 1, uid: 'u1', namespace: 'kemu-chaos', name: 'p', containers: { c: { restartCount: 0, running: { pid: podPid, startTicks: procStat(podPid)!.startTicks, startedAt: 0 } } } }),
  );
  const pids = (): number[] => readProcesses(dir).map((r) => r.pid);
  return {
    dir,
    podPid,
    pids,
    cleanup: () => {
      for (const p of [...pids(), agent.pid, podPid]) kill(p);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('stop and cont freeze and thaw a node agent together with its pod processes; a plain process alone', async () => {
  const c = await fakeCluster();
  try {
    const driver = new LocalFaultDriver({ stateDir: c.dir, nodeNames: ['node-9'] });
    assert.deepEqual(driver.targets().sort(), ['dns-9', 'node-9']);
    const [dnsPid, agentPid] = c.pids() as [number, number];
    const stopped = await driver.stop('node-9');
    assert.equal(stopped.detail, `SIGSTOP node-9 (pid ${agentPid}) and 1 pod process of the node`);
    assert.equal(await eventuallyState(agentPid, ['stopped']), 'stopped');
    assert.equal(await eventuallyState(c.podPid, ['stopped']), 'stopped');
    await perform(driver, 'cont', 'node-9');
    assert.equal(await eventuallyState(agentPid, ['running']), 'running');
    assert.equal(await eventuallyState(c.podPid, ['running']), 'running');

    assert.equal((await driver.stop('dns-9')).detail, `SIGSTOP dns-9 (pid ${dnsPid})`);
    assert.equal(await eventuallyState(dnsPid, ['stopped']), 'stopped');
    await driver.cont('dns-9');
    assert.equal(await eventuallyState(dnsPid, ['running']), 'running');
  } finally {
    c.cleanup();
  }
});

test('kill takes the node with its pods; restart starts the same command again, records the new pid and waits until ready', async () => {
  const c = await fakeCluster();
  try {
    const driver = new LocalFaultDriver({ stateDir: c.dir, nodeNames: ['node-9'], readyTimeoutMs: 20_000 });
    const agentPid = c.pids()[1]!;
    const killed = await driver.kill('node-9');
    assert.equal(killed.detail, `SIGKILL node-9 (pid ${agentPid}); SIGKILL 1 pod process of the node`);
    assert.ok(['gone', 'zombie'].includes(processState({ pid: agentPid })));
    assert.ok(['gone', 'zombie'].includes(await eventuallyState(c.podPid, ['gone', 'zombie'])));
    await assert.rejects(driver.stop('node-9'), /node-9 \(pid \d+\) is not running/);

    const restarted = await driver.restart('node-9');
    const rec = readProcesses(c.dir).find((r) => r.name === 'node-9')!;
    assert.notEqual(rec.pid, agentPid);
    assert.equal(processState(rec), 'running');
    assert.match(restarted.detail, new RegExp(`started node-9 again \\(pid ${rec.pid}\\), ready$`));
    assert.equal(await (await fetch(`${rec.opsUrl}/readyz`)).text(), 'ok');
    assert.equal(readProcesses(c.dir).length, 2, 'processes.json still names each process once');
    // One log file, appended by both runs.
    assert.equal(readFileSync(rec.logFile, 'utf8').match(/listening/g)?.length, 2);
  } finally {
    c.cleanup();
  }
});

test('term: a process that exits on SIGTERM is left down; one that ignores it is killed after the grace period', async () => {
  const c = await fakeCluster();
  const stubborn = startProcess(c.dir, {
    name: 'apiserver-9',
    command: process.execPath,
    args: ['-e', "process.on('SIGTERM', () => console.log('ignored')); console.log('trapping SIGTERM'); setInterval(() => {}, 1000)"],
    opsUrl: `http://${HOST}:1`,
  });
  writeProcesses(c.dir, [...readProcesses(c.dir), stubborn]);
  try {
    const driver = new LocalFaultDriver({ stateDir: c.dir, nodeNames: ['node-9'], termGraceMs: 1_500 });
    const dnsPid = c.pids()[0]!;
    assert.match((await perform(driver, 'term', 'dns-9')).detail, new RegExp(`^SIGTERM dns-9 \\(pid ${dnsPid}\\): exited after \\d+\\.\\d s$`));
    assert.ok(['gone', 'zombie'].includes(processState({ pid: dnsPid })));
    assert.equal((await driver.term('dns-9')).detail, `dns-9 (pid ${dnsPid}) was not running`);

    // Its SIGTERM handler is installed once it says so (node takes a while to start on a busy machine).
    const deadline = Date.now() + 20_000;
    while (!readFileSync(stubborn.logFile, 'utf8').includes('trapping SIGTERM') && Date.now() < deadline) await sleep(50);
    const t = await driver.term('apiserver-9');
    assert.equal(t.detail, `SIGTERM apiserver-9 (pid ${stubborn.pid}), still running after 1.5 s: SIGKILL`);
    assert.ok(['gone', 'zombie'].includes(processState({ pid: stubborn.pid })));
  } finally {
    kill(stubborn.pid);
    c.cleanup();
  }
});

test('unknown targets name the known ones; partitions need the container mode', async () => {
  const c = await fakeCluster();
  try {
    const driver = new LocalFaultDriver({ stateDir: c.dir, nodeNames: ['node-9'] });
    await assert.rejects(driver.kill('etcd-7'), (err: unknown) => err instanceof FaultError && /no process named "etcd-7" .*\(known: dns-9, node-9, etcd-leader, controller-manager-active\)/.test(err.message));
    await assert.rejects(driver.partition('node-9'), /local processes share one loopback/);
    const empty = new LocalFaultDriver({ stateDir: join(c.dir, 'none'), nodeNames: [] });
    await assert.rejects(empty.kill('node-1'), /no processes recorded/);
  } finally {
    c.cleanup();
  }
});
