import assert from 'node:assert/strict';
import { test } from 'node:test';
import { afterRestart, restartAt, restartPolicy, shouldRestart, type BackoffEntry } from './restart-policy.js';

const S = { initialMs: 10_000, maxMs: 300_000 };

test('restart policies', () => {
  assert.equal(restartPolicy(undefined), 'Always');
  assert.equal(shouldRestart('Always', 0, false), true);
  assert.equal(shouldRestart('OnFailure', 0, false), false);
  assert.equal(shouldRestart('OnFailure', 1, false), true);
  assert.equal(shouldRestart('OnFailure', 0, true), true, 'killed by its liveness probe');
  assert.equal(shouldRestart('Never', 1, true), false);
});

test('crash loop: at once, then 10 s doubling to 300 s, counted from each exit', () => {
  let entry: BackoffEntry | undefined;
  let t = 1_000_000;
  const waits: number[] = [];
  for (let i = 0; i < 9; i++) {
    const finishedAt = t + 500; // each instance runs half a second
    const at = restartAt(entry, finishedAt, S);
    waits.push(at - finishedAt);
    entry = afterRestart(entry, finishedAt, at, S);
    t = at;
  }
  assert.deepEqual(waits, [0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
});

test('a container that ran 10 minutes since its last restart starts over with no wait', () => {
  const entry: BackoffEntry = { delayMs: 160_000, lastRestartAt: 0 };
  assert.equal(restartAt(entry, 600_000, S), 760_000, 'exactly 2 x max: still backing off');
  assert.equal(restartAt(entry, 600_001, S), 600_001);
  assert.deepEqual(afterRestart(entry, 600_001, 600_001, S), { delayMs: 10_000, lastRestartAt: 600_001 });
});
