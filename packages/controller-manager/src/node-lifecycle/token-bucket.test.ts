import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenBucket } from './token-bucket.js';

test('a full bucket grants one token, then one per 1/rate seconds', () => {
  const b = new TokenBucket(0.1, 0);
  assert.equal(b.tryTake(0), true);
  assert.equal(b.tryTake(0), false);
  assert.equal(b.nextAt(0), 10_000);
  assert.equal(b.tryTake(9_999), false);
  assert.equal(b.tryTake(10_000), true);
});

test('tokens do not pile up beyond the burst', () => {
  const b = new TokenBucket(1, 0);
  assert.equal(b.tryTake(100_000), true);
  assert.equal(b.tryTake(100_000), false);
});

test('a bucket started empty waits a full period; rate 0 never grants', () => {
  const empty = new TokenBucket(0.5, 1_000, { full: false });
  assert.equal(empty.tryTake(1_000), false);
  assert.equal(empty.nextAt(1_000), 3_000);
  assert.equal(empty.tryTake(3_000), true);
  const never = new TokenBucket(0, 0);
  assert.equal(never.tryTake(1e12), false);
  assert.equal(never.nextAt(0), undefined);
});
