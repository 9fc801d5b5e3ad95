import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ClientStats, percentile } from './client-stats.js';

describe('ClientStats', () => {
  test('a window counts ok per backend, failures per cause, and latency percentiles of the ok ones', () => {
    const s = new ClientStats();
    for (let i = 1; i <= 100; i++) s.record({ kind: 'ok', latencyMs: i, backend: i % 4 === 0 ? 'web-b' : 'web-a' });
    s.record({ kind: 'ok', latencyMs: 1000, backend: undefined });
    s.record({ kind: 'failed', error: 'timeout' });
    s.record({ kind: 'failed', error: 'ECONNREFUSED' });
    s.record({ kind: 'failed', error: 'ECONNREFUSED' });
    s.record({ kind: 'failed', error: 'status 503' });
    s.record({ kind: 'stalled' });
    assert.deepEqual(s.flush(new Date(Date.UTC(2024, 0, 1, 0, 0, 7))), {
      t: '2024-01-01T00:00:07.000Z',
      ok: 101,
      failed: 4,
      stalled: 1,
      errors: { timeout: 1, ECONNREFUSED: 2, 'status 503': 1 },
      p50Ms: 51,
      p99Ms: 100,
      backends: { 'web-a': 75, 'web-b': 25 },
    });
  });

  test('flush starts a new window; totals span windows', () => {
    const s = new ClientStats();
    s.record({ kind: 'ok', latencyMs: 2, backend: 'a' });
    assert.ok(s.windowHasData);
    s.flush(new Date(0));
    assert.equal(s.windowHasData, false);
    s.record({ kind: 'failed', error: 'timeout' });
    const second = s.flush(new Date(1000));
    assert.deepEqual(second, { t: '1970-01-01T00:00:01.000Z', ok: 0, failed: 1, stalled: 0, errors: { timeout: 1 }, p50Ms: null, p99Ms: null, backends: {} });
    s.record({ kind: 'stalled' });
    assert.ok(s.windowHasData, 'a stalled request is data too');
    assert.deepEqual(s.totals, { ok: 1, failed: 1, stalled: 1 });
  });
});

describe('percentile', () => {
  test('nearest rank, rounded to 0.01 ms', () => {
    assert.equal(percentile([], 0.5), null);
    assert.equal(percentile([3.14159], 0.99), 3.14);
    assert.equal(percentile([1, 2, 3, 4], 0.5), 2);
    assert.equal(percentile([1, 2, 3, 4], 0.99), 4);
    assert.equal(percentile([1, 2, 3, 4], 0), 1);
  });
});
