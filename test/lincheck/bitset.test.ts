import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bitset } from './bitset.js';

test('bitset snapshots compare equal and subset against the live set', () => {
  const b = new Bitset(100);
  for (let i = 0; i < 70; i++) b.add(i);
  b.add(90);
  const snap = b.snapshot();
  assert.ok(snap.equals(b));
  b.add(95);
  assert.ok(!snap.equals(b));
  assert.ok(snap.isSubsetOf(b));
  b.remove(3);
  assert.ok(!snap.isSubsetOf(b));
  b.add(3);
  b.remove(95);
  assert.ok(snap.equals(b), 'hash and words return to the same value');
  assert.ok(!b.isEmpty);
});
