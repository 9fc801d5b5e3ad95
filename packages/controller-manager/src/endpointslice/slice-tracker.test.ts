import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSlice } from '@kemu/api';
import { SliceWriteTracker } from './slice-tracker.js';

const slice = (name: string, rv: string): EndpointSlice => ({ metadata: { name, resourceVersion: rv } });
const cache = (...slices: EndpointSlice[]): Map<string, EndpointSlice> => new Map(slices.map((s) => [s.metadata?.name ?? '', s]));

test('a created slice is stale until the cache holds it', () => {
  const t = new SliceWriteTracker();
  t.created('ns/web', 'web-a', 0);
  assert.deepEqual(t.staleSlices('ns/web', cache(), 1), ['web-a']);
  assert.deepEqual(t.staleSlices('ns/web', cache(slice('web-a', '5')), 2), []);
  // Settled for good: the slice vanishing later is someone else's change.
  assert.deepEqual(t.staleSlices('ns/web', cache(), 3), []);
});

test('an updated slice is stale while the cache still shows the version it replaced', () => {
  const t = new SliceWriteTracker();
  t.updated('ns/web', 'web-a', '5', 0);
  assert.deepEqual(t.staleSlices('ns/web', cache(slice('web-a', '5')), 1), ['web-a']);
  assert.deepEqual(t.staleSlices('ns/web', cache(slice('web-a', '9')), 2), []);
});

test('a deleted slice is stale while the cache still holds it', () => {
  const t = new SliceWriteTracker();
  t.deleted('ns/web', 'web-a', 0);
  assert.deepEqual(t.staleSlices('ns/web', cache(slice('web-a', '5')), 1), ['web-a']);
  assert.deepEqual(t.staleSlices('ns/web', cache(), 2), []);
});

test('expectations are per service', () => {
  const t = new SliceWriteTracker();
  t.created('ns/web', 'web-a', 0);
  assert.deepEqual(t.staleSlices('ns/db', cache(), 1), []);
  t.forget('ns/web');
  assert.deepEqual(t.staleSlices('ns/web', cache(), 1), []);
});

test('an observed deletion or the ttl settles an expectation that can no longer be met', () => {
  const t = new SliceWriteTracker(1_000);
  t.created('ns/web', 'web-a', 0);
  t.observedDeletion('ns/web', 'web-a');
  assert.deepEqual(t.staleSlices('ns/web', cache(), 1), []);
  t.updated('ns/web', 'web-b', '5', 0);
  assert.deepEqual(t.staleSlices('ns/web', cache(slice('web-b', '5')), 999), ['web-b']);
  assert.deepEqual(t.staleSlices('ns/web', cache(slice('web-b', '5')), 1_000), []);
});
