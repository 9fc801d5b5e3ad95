import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PodIPAllocator } from './pod-ip-allocator.js';

test('a /24 hands out .2 to .254, round-robin, never an address someone holds', () => {
  const a = new PodIPAllocator('127.77.3.0/24');
  assert.equal(a.capacity, 253);
  assert.equal(a.allocate('p1'), '127.77.3.2');
  assert.equal(a.allocate('p2'), '127.77.3.3');
  assert.equal(a.allocate('p1'), '127.77.3.2', 'an owner keeps its address');
  a.release('p1');
  assert.equal(a.allocate('p3'), '127.77.3.4', 'a freed address is not reused at once');
  const seen = new Set(['127.77.3.3', '127.77.3.4']);
  for (let i = 0; i < 251; i++) {
    const ip = a.allocate(`q${i}`);
    assert.ok(!seen.has(ip), ip);
    seen.add(ip);
  }
  assert.ok(seen.has('127.77.3.2') && seen.has('127.77.3.254') && !seen.has('127.77.3.255') && !seen.has('127.77.3.1'));
  assert.throws(() => a.allocate('full'), /no free pod IP in 127\.77\.3\.0\/24/);
});

test('reserving kept addresses, and preferring one', () => {
  const a = new PodIPAllocator('127.77.3.0/24');
  assert.equal(a.reserve('old', '127.77.3.9'), true);
  assert.equal(a.reserve('other', '127.77.3.9'), false, 'held by someone else');
  assert.equal(a.reserve('x', '127.77.4.9'), false, 'outside the CIDR');
  assert.equal(a.reserve('x', '127.77.3.1'), false, 'the gateway address');
  assert.equal(a.allocate('new', '127.77.3.9'), '127.77.3.2', 'a taken preferred address is skipped');
  assert.equal(a.allocate('again', '127.77.3.50'), '127.77.3.50');
  assert.equal(a.ipOf('old'), '127.77.3.9');
  assert.equal(a.used, 3);
});

test('pod CIDRs that are not IPv4 or too small are refused', () => {
  assert.throws(() => new PodIPAllocator('fd00::/64'), /IPv4 CIDR/);
  assert.throws(() => new PodIPAllocator('127.77.3.0/31'), /IPv4 CIDR/);
  assert.throws(() => new PodIPAllocator('127.77.3.0'), /IPv4 CIDR/);
  const small = new PodIPAllocator('127.77.3.8/29');
  assert.deepEqual([small.allocate('a'), small.allocate('b')], ['127.77.3.10', '127.77.3.11']);
  assert.equal(small.capacity, 5);
});
