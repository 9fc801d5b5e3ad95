import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { livePodProcesses, podProcessesOfState, signalPodProcesses } from './node-pods.js';
import { parseProcStat, procStat, procState, type ProcState } from './proc-state.js';

test('/proc/<pid>/stat: the state letter and start time, whatever the command name holds', () => {
  const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
  fields[0] = 'T';
  fields[19] = '987654';
  assert.deepEqual(parseProcStat(`1234 (node (x) y) ${fields.join(' ')}`), { letter: 'T', startTicks: '987654' });
  assert.equal(parseProcStat('garbage'), undefined);
  assert.equal(procState(process.pid), 'running');
  assert.equal(procState(2 ** 22 + 12345), 'gone');
});

test('state files: running containers of version 1 records only', () => {
  const state = {
    version: 1,
    uid: 'u1',
    namespace: 'kemu-chaos',
    name: 'chaos-target-abc',
    containers: {
      echo: { restartCount: 0, running: { pid: 42, startTicks: '100', startedAt: 1 } },
      done: { restartCount: 1, terminated: { exitCode: 0 } },
    },
  };
  assert.deepEqual(podProcessesOfState(JSON.stringify(state)), [{ pod: 'kemu-chaos/chaos-target-abc', container: 'echo', pid: 42, startTicks: '100' }]);
  assert.deepEqual(podProcessesOfState(JSON.stringify({ ...state, version: 2 })), []);
  assert.deepEqual(podProcessesOfState('{"version":1'), []);
});

async function eventuallyState(pid: number, want: ProcState[]): Promise<ProcState> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const s = procState(pid);
    if (want.includes(s) || Date.now() > deadline) return s;
    await sleep(20);
  }
}

test('a node\'s live pod processes are found from its state files and signalled as groups; stale records are not', async () => {
  const root = mkdtempSync(join(tmpdir(), 'kemu-chaos-pods-'));
  const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  const pid = child.pid!;
  try {
    const ticks = procStat(pid)!.startTicks;
    const write = (dir: string, running: { pid: number; startTicks: string }): void => {
      mkdirSync(join(root, 'pods', dir), { recursive: true });
      writeFileSync(join(root, 'pods', dir, 'state.json'), JSON.stringify({ version: 1, uid: dir, namespace: 'ns', name: dir, containers: { c: { restartCount: 0, running } } }));
    };
    write('ns_live_1', { pid, startTicks: ticks });
    // Same pid, another start time: a recycled pid, not the pod's process.
    write('ns_recycled_2', { pid, startTicks: String(Number(ticks) + 1) });
    write('ns_gone_3', { pid: 2 ** 22 + 54321, startTicks: '1' });
    mkdirSync(join(root, 'pods', 'ns_nostate_4'));
    const live = livePodProcesses(root);
    assert.deepEqual(live, [{ pod: 'ns/ns_live_1', container: 'c', pid, startTicks: ticks }]);

    assert.equal(signalPodProcesses(live, 'SIGSTOP'), 1);
    assert.equal(await eventuallyState(pid, ['stopped']), 'stopped');
    assert.equal(signalPodProcesses(live, 'SIGCONT'), 1);
    assert.equal(await eventuallyState(pid, ['running']), 'running');
    assert.equal(signalPodProcesses(live, 'SIGKILL'), 1);
    assert.ok(['gone', 'zombie'].includes(await eventuallyState(pid, ['gone', 'zombie'])));
    assert.deepEqual(livePodProcesses(root), [], 'a dead process is no longer live');
    assert.deepEqual(livePodProcesses(join(root, 'missing')), []);
  } finally {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    rmSync(root, { recursive: true, force: true });
  }
});
