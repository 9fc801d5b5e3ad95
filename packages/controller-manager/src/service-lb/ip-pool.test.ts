import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IpAllocator } from './ip-allocator.js';
import { IpPool, LoadBalancerPoolError } from './ip-pool.js';

const ranges = (p: IpPool): [number, number][] => p.ranges.map((r) => [r.first, r.last]);

test('a range is inclusive at both ends', () => {
  const p = IpPool.parse(['127.0.50.1-127.0.50.254']);
  assert.equal(p.size, 254);
  assert.ok(p.contains('127.0.50.1'));
  assert.ok(p.contains('127.0.50.254'));
  assert.ok(!p.contains('127.0.50.0'));
  assert.ok(!p.contains('127.0.50.255'));
});

test('a CIDR leaves out its network and broadcast addresses, except /31 and /32', () => {
  const p = IpPool.parse(['127.0.50.0/24']);
  assert.equal(p.size, 254);
  assert.ok(!p.contains('127.0.50.0'));
  assert.ok(p.contains('127.0.50.1'));
  assert.ok(!p.contains('127.0.50.255'));
  assert.equal(IpPool.parse(['10.0.0.0/30']).size, 2);
  assert.equal(IpPool.parse(['10.0.0.0/31']).size, 2);
  assert.equal(IpPool.parse(['10.0.0.7/32']).size, 1);
  assert.equal(IpPool.parse(['10.0.0.7']).size, 1);
});

test('entries are merged, blanks ignored, and the empty pool is empty', () => {
  const p = IpPool.parse(['10.0.0.10-10.0.0.20', ' ', '10.0.0.15-10.0.0.30', '10.0.0.31', '10.0.1.0/30']);
  assert.deepEqual(ranges(p), [
    [167772170, 167772191],
    [167772417, 167772418],
  ]);
  assert.equal(p.size, 24);
  assert.equal(IpPool.parse([]).size, 0);
});

test('bad entries are errors naming the entry', () => {
  const bad = ['10.0.0.9-10.0.0.1', '10.0.0.0/33', '10.0.0.1/24', '10.0.0.256', 'fd00::/64', 'pool', '10.0.0.0/x'];
  for (const entry of bad) {
    assert.throws(
      () => IpPool.parse([entry]),
      (e: unknown) => e instanceof LoadBalancerPoolError && e.entry === entry && e.message.includes(JSON.stringify(entry)),
      entry,
    );
  }
  assert.throws(() => IpPool.parse(['10.0.0.1/24']), /host bits set; the network is 10\.0\.0\.0\/24/);
});

test('the allocator hands out the lowest free address, once, and reuses released ones', () => {
  const a = new IpAllocator(IpPool.parse(['127.0.50.0/30']));
  assert.equal(a.allocate('ns/a'), '127.0.50.1');
  assert.equal(a.allocate('ns/a'), '127.0.50.1', 'an owner keeps its address');
  assert.equal(a.allocate('ns/b'), '127.0.50.2');
  assert.equal(a.allocate('ns/c'), undefined, 'exhausted');
  assert.equal(a.release('ns/a'), '127.0.50.1');
  assert.equal(a.release('ns/a'), undefined);
  assert.equal(a.allocate('ns/c'), '127.0.50.1');
  assert.equal(a.ownerOf('127.0.50.1'), 'ns/c');
  assert.equal(a.allocated, 2);
});

test('claims take a specific free pool address and move the owner off its old one', () => {
  const a = new IpAllocator(IpPool.parse(['127.0.50.1-127.0.50.9']));
  assert.equal(a.claim('ns/a', '127.0.50.5'), true);
  assert.equal(a.claim('ns/b', '127.0.50.5'), false, 'held by another');
  assert.equal(a.claim('ns/b', '127.0.60.5'), false, 'outside the pool');
  assert.equal(a.ipOf('ns/b'), undefined);
  assert.equal(a.claim('ns/a', '127.0.50.6'), true);
  assert.equal(a.ownerOf('127.0.50.5'), undefined);
  assert.equal(a.allocated, 1);
});
