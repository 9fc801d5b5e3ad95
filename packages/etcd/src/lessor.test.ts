import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lessor } from './lessor.js';

test('grants raise the TTL to the minimum and only the primary expires leases', () => {
  const l = new Lessor(2);
  assert.equal(l.grant(1n, 1, 0).ttl, 2);
  assert.deepEqual(l.expired(10_000_000, 10), [], 'followers never expire leases');
  l.promote(1000);
  assert.deepEqual(l.expired(2999, 10), []);
  assert.deepEqual(l.expired(3000, 10), [1n]);
});

test('renew restarts the clock; remaining truncates; unknown is -1', () => {
  const l = new Lessor(1);
  l.promote(0);
  l.grant(7n, 10, 0);
  assert.equal(l.remaining(7n, 4_500), 5);
  assert.equal(l.renew(7n, 5_000), 10);
  assert.equal(l.remaining(7n, 5_000), 10);
  assert.equal(l.remaining(8n, 0), -1);
  assert.equal(l.renew(8n, 0), undefined);
  assert.equal(l.renew(7n, 100_000), undefined, 'an expired lease cannot be renewed');
});

test('promotion after failover restarts every clock; serialize/restore keeps ids and TTLs', () => {
  const a = new Lessor(1);
  a.grant(5n, 30, 0);
  a.grant(3n, 60, 0);
  const b = new Lessor(1);
  b.restore(a.serialize(), 0);
  assert.deepEqual(b.serialize(), [
    { id: '3', ttl: 60 },
    { id: '5', ttl: 30 },
  ]);
  b.promote(1_000_000);
  assert.deepEqual(b.expired(1_029_999, 10), []);
  assert.deepEqual(b.expired(1_030_000, 10), [5n]);
  b.demote();
  assert.deepEqual(b.expired(Number.MAX_SAFE_INTEGER, 10), []);
});
