import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateSeconds, counts, parseClientLog, relSecond, summarizeTraffic, type TrafficSecond } from './traffic.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (s: number): string => new Date(T0 + s * 1_000).toISOString();
const line = (s: number, ok: number, failed: number, errors: Record<string, number> = {}): string =>
  JSON.stringify({ t: at(s), ok, failed, errors, p50Ms: 1, p99Ms: 2, backends: {} });

test('a client log: per-second lines kept, start, done and garbage lines skipped', () => {
  const log = [
    JSON.stringify({ start: 'client', url: 'http://127.63.64.10/', rate: 10 }),
    line(0, 5, 0),
    'not json',
    '{"t":"not a time","ok":1,"failed":0}',
    line(1, 9, 1, { ECONNREFUSED: 1 }),
    JSON.stringify({ t: at(2), ok: 3, failed: 0, stalled: 4, errors: {}, p50Ms: 1, p99Ms: 2, backends: {} }),
    '{"t":"2026-01-01T00:00:02.000Z","ok":"x","failed":0}',
    JSON.stringify({ done: true, ok: 14, failed: 1 }),
    '',
  ].join('\n');
  const seconds = parseClientLog(log);
  assert.deepEqual(seconds, [
    { t: T0, ok: 5, failed: 0, stalled: 0, errors: {} },
    { t: T0 + 1_000, ok: 9, failed: 1, stalled: 0, errors: { ECONNREFUSED: 1 } },
    { t: T0 + 2_000, ok: 3, failed: 0, stalled: 4, errors: {} },
  ]);
});

test('seconds of several clients are summed; a second nobody reported is a row with no reports', () => {
  const a = parseClientLog([line(0, 10, 0), line(1, 8, 2, { timeout: 2 }), line(3, 10, 0)].join('\n'));
  const b = parseClientLog([line(0, 10, 0), line(1, 10, 0), line(2, 9, 1, { timeout: 1 }), line(9, 10, 0)].join('\n'));
  const rows = aggregateSeconds([a, b], T0 + 300, T0 + 4_000);
  assert.deepEqual(
    rows.map((r) => [r.t - T0, r.ok, r.failed, r.reports]),
    [
      [0, 20, 0, 2],
      [1_000, 18, 2, 2],
      [2_000, 9, 1, 1],
      [3_000, 10, 0, 1],
    ],
  );
  assert.deepEqual(rows[1]!.errors, { timeout: 2 });
  // The line at +9 s is outside [from, to): dropped.
  assert.equal(rows.reduce((n, r) => n + r.ok, 0), 57);
});

const rows = (spec: Array<[number, number]>, from = 0): TrafficSecond[] =>
  spec.map(([ok, failed], i): TrafficSecond => ({ t: T0 + (from + i) * 1_000, ok, failed, stalled: 0, errors: failed ? { ECONNRESET: failed } : {}, reports: 1 }));

test('first failure and recovery are counted in seconds from the fault second; failures before the fault do not count as the first', () => {
  // Seconds -2..5; the fault at +0.4 s into second 0.
  const s = summarizeTraffic(rows([[10, 1], [10, 0], [10, 0], [7, 3], [0, 10], [10, 0], [10, 0], [10, 0]], -2), T0 + 400);
  assert.equal(s.firstFailureS, 1);
  assert.equal(s.recoveryS, 3);
  assert.equal(s.failingSeconds, 2);
  assert.deepEqual(s.total, counts(67, 14));
  assert.deepEqual(s.afterFault, { ok: 47, failed: 13, availabilityPct: 78.33 });
  assert.deepEqual(s.errors, { ECONNRESET: 14 });
  assert.equal(relSecond(T0 + 2_999, T0 + 400), 2);
});

test('nothing failed: recovery 0 and no first failure; failures to the end: not recovered', () => {
  const fine = summarizeTraffic(rows([[10, 0], [10, 0], [10, 0]]), T0);
  assert.equal(fine.firstFailureS, null);
  assert.equal(fine.recoveryS, 0);
  assert.equal(fine.total.availabilityPct, 100);
  const broken = summarizeTraffic(rows([[10, 0], [5, 5], [0, 10]]), T0 + 1_000);
  assert.equal(broken.firstFailureS, 0);
  assert.equal(broken.recoveryS, null);
  // A second with no successes after the last failure is not a recovery either.
  const silent = summarizeTraffic(rows([[10, 0], [5, 5], [0, 0]]), T0 + 1_000);
  assert.equal(silent.recoveryS, null);
});

test('requests the stalled client could not judge are counted apart and leave availability alone', () => {
  const a = parseClientLog([line(0, 10, 0), JSON.stringify({ t: at(1), ok: 2, failed: 1, stalled: 7, errors: { timeout: 1 } })].join('\n'));
  const rows = aggregateSeconds([a], T0, T0 + 2_000);
  assert.deepEqual(rows.map((r) => r.stalled), [0, 7]);
  const s = summarizeTraffic(rows, T0 + 1_000);
  assert.equal(s.stalled, 7);
  assert.deepEqual(s.total, counts(12, 1));
  assert.deepEqual(s.afterFault, counts(2, 1));
});

test('availability is null without requests and rounded to two decimals', () => {
  assert.equal(counts(0, 0).availabilityPct, null);
  assert.equal(counts(2, 1).availabilityPct, 66.67);
  assert.equal(counts(999, 1).availabilityPct, 99.9);
});
