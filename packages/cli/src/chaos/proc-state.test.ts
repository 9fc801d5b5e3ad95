import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { procState, type ProcState } from './proc-state.js';

async function eventuallyState(pid: number, want: ProcState[]): Promise<ProcState> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const s = procState(pid);
    if (want.includes(s) || Date.now() > deadline) return s;
    await sleep(20);
  }
}

test('process states as ps shows them: running, stopped, gone', async () => {
  assert.equal(procState(process.pid), 'running');
  assert.equal(procState(2 ** 22 + 12345), 'gone');
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
