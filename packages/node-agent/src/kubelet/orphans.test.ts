import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { signalRecordedPodProcesses } from './orphans.js';
import { procStat } from './process-runner.js';

/** The state letter of /proc/<pid>/stat once it is one of `want` (or 'gone'), within 5 s. */
async function eventuallyState(pid: number, want: string[]): Promise<string> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const s = procStat(pid)?.state ?? 'gone';
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
      writeFileSync(join(root, 'pods', dir, 'state.json'), JSON.stringify({ version: 1, uid: dir, namespace: 'ns', name: dir, startTime: 0, containers: { c: { restartCount: 0, running: { ...running, startedAt: 0 } } } }));
    };
    write('ns_live_1', { pid, startTicks: ticks });
    // Same pid, another start time: a recycled pid, not the pod's process.
    write('ns_recycled_2', { pid, startTicks: String(Number(ticks) + 1) });
    write('ns_gone_3', { pid: 2 ** 22 + 54321, startTicks: '1' });
    mkdirSync(join(root, 'pods', 'ns_nostate_4'));
    assert.equal(signalRecordedPodProcesses(root, 'SIGSTOP'), 1);
    assert.ok(['T', 't'].includes(await eventuallyState(pid, ['T', 't'])), 'stopped');
    assert.equal(signalRecordedPodProcesses(root, 'SIGCONT'), 1);
    assert.ok(['S', 'R'].includes(await eventuallyState(pid, ['S', 'R'])), 'running again');
    assert.ok(existsSync(join(root, 'pods', 'ns_nostate_4')), 'a pod dir without a state file is left alone');
    assert.equal(signalRecordedPodProcesses(root, 'SIGKILL'), 1);
    assert.ok(['gone', 'Z'].includes(await eventuallyState(pid, ['gone', 'Z'])));
    assert.equal(signalRecordedPodProcesses(root, 'SIGKILL'), 0, 'a dead process is no longer live');
    assert.equal(signalRecordedPodProcesses(join(root, 'missing'), 'SIGKILL'), 0);
  } finally {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    rmSync(root, { recursive: true, force: true });
  }
});
