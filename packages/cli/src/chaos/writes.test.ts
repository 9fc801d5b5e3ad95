import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarizeWrites, writeSeconds, type WriteAttempt } from './writes.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/** Writes every 200 ms from `from` ms, each taking 20 ms, failing where `fails` says. */
function probe(from: number, n: number, fails: (i: number) => boolean): WriteAttempt[] {
  return Array.from({ length: n }, (_, i) => {
    const start = T0 + from + i * 200;
    return fails(i) ? { start, end: start + 1_000, ok: false, error: 'Timeout' } : { start, end: start + 20, ok: true };
  });
}

test('writes resume: first failure, first success after the fault, the gap around it and the longest gap', () => {
  // 20 writes from 0 to 3.8 s; the fault at 1.05 s; writes 6..9 (1.2 to 1.8 s) fail.
  const attempts = probe(0, 20, (i) => i >= 6 && i <= 9);
  const s = summarizeWrites(attempts, T0 + 1_050);
  assert.equal(s.firstFailureS, 0.15);
  assert.equal(s.resumedS, 0.97); // write 10 starts at 2.0 s, answers at 2.02 s
  assert.equal(s.faultGapMs, 1_000); // last ok before the fault ended at 1.02 s
  assert.equal(s.maxGapMs, 1_000);
  assert.equal(s.maxGapFromS, -0.03);
  assert.deepEqual(s.total, { ok: 16, failed: 4, availabilityPct: 80 });
  assert.deepEqual(s.afterFault, { ok: 10, failed: 4, availabilityPct: 71.43 });
  assert.deepEqual(s.errors, { Timeout: 4 });
});

test('no write after the fault succeeded: resumed and the fault gap are null', () => {
  const s = summarizeWrites(probe(0, 10, (i) => i >= 5), T0 + 900);
  assert.equal(s.resumedS, null);
  assert.equal(s.faultGapMs, null);
  assert.equal(s.firstFailureS, 0.1);
});

test('writes per second by their start, over whole seconds', () => {
  const rows = writeSeconds(probe(500, 10, (i) => i === 3), T0 + 500, T0 + 3_000);
  assert.deepEqual(rows.map((r) => [r.t - T0, r.ok, r.failed]), [
    [0, 3, 0],
    [1_000, 4, 1],
    [2_000, 2, 0],
  ]);
});
