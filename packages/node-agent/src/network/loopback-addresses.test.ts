import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressBatchScript, LoopbackAddresses, LoopbackAddressError, parseAddrShow, pendingAddressOps, reconcileAddressOps } from './loopback-addresses.js';
import { AddressFormatError } from './ipv4.js';
import { testLogger } from './test-log.js';

const log = testLogger('loopback-addresses-test');

test('addressBatchScript writes one idempotent line per op', () => {
  assert.deepEqual(
    addressBatchScript(
      [
        { kind: 'del', address: '10.96.0.7' },
        { kind: 'add', address: '10.244.1.5' },
      ],
      'lo',
    ),
    ['address del 10.96.0.7/32 dev lo', 'address replace 10.244.1.5/32 dev lo'],
  );
});

test('parseAddrShow reads ip -4 -o addr show output', () => {
  const text = [
    '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever',
    '1: lo    inet 10.96.0.10/32 scope global lo\\       valid_lft forever preferred_lft forever',
    '1: lo    inet 10.244.1.5/32 scope global lo:pod\\       valid_lft forever preferred_lft forever',
    '',
  ].join('\n');
  assert.deepEqual(parseAddrShow(text), [
    { device: 'lo', address: '127.0.0.1', prefix: 8 },
    { device: 'lo', address: '10.96.0.10', prefix: 32 },
    { device: 'lo', address: '10.244.1.5', prefix: 32 },
  ]);
  assert.deepEqual(parseAddrShow(''), []);
});

test('reconcileAddressOps removes the stale, adds the missing, deletes first, in numeric order', () => {
  const present = new Set(['10.96.0.10', '10.96.0.99', '10.96.0.100']);
  const desired = new Set(['10.96.0.10', '10.96.0.9', '10.96.0.11']);
  assert.deepEqual(reconcileAddressOps(present, desired), [
    { kind: 'del', address: '10.96.0.99' },
    { kind: 'del', address: '10.96.0.100' },
    { kind: 'add', address: '10.96.0.9' },
    { kind: 'add', address: '10.96.0.11' },
  ]);
  assert.deepEqual(reconcileAddressOps(desired, desired), []);
});

test('pendingAddressOps skips what is applied; sends deletes blind until the device was read', () => {
  const pending = new Map([
    ['10.96.0.1', 'add' as const],
    ['10.96.0.2', 'add' as const],
    ['10.96.0.3', 'del' as const],
    ['10.96.0.4', 'del' as const],
  ]);
  const applied = new Set(['10.96.0.1', '10.96.0.3']);
  assert.deepEqual(pendingAddressOps(pending, applied, true), [
    { kind: 'del', address: '10.96.0.3' },
    { kind: 'add', address: '10.96.0.2' },
  ]);
  assert.deepEqual(pendingAddressOps(pending, applied, false), [
    { kind: 'del', address: '10.96.0.3' },
    { kind: 'del', address: '10.96.0.4' },
    { kind: 'add', address: '10.96.0.2' },
  ]);
});

test('ensure/release refuse addresses outside the owned CIDRs without running ip', async () => {
  const addrs = new LoopbackAddresses({ ipCommand: ['/nonexistent/kemu-ip'], owned: ['10.96.0.0/16'], log });
  await assert.rejects(addrs.ensure(['10.96.0.10', '127.0.0.1']), (err: unknown) => err instanceof LoopbackAddressError && err.address === '127.0.0.1' && /outside the owned CIDRs of lo \(10\.96\.0\.0\/16\)/.test(err.message));
  await assert.rejects(addrs.release(['127.0.0.1']), LoopbackAddressError);
  await assert.rejects(addrs.ensure(['10.96.0.300']), /10\.96\.0\.300: not an IPv4 address/);
  assert.equal(addrs.batches, 0);
  assert.deepEqual(addrs.list(), [], 'a refused call changes nothing');
});

test('concurrent calls share one ip process; its failure rejects every caller, naming an address', async () => {
  const addrs = new LoopbackAddresses({ ipCommand: ['/nonexistent/kemu-ip'], owned: ['10.96.0.0/16', '10.244.0.0/16'], log });
  const calls = [addrs.ensure(['10.96.0.10']), addrs.ensure(['10.244.1.5', '10.244.1.6']), addrs.release(['10.96.0.11'])];
  const results = await Promise.allSettled(calls);
  assert.equal(addrs.batches, 1);
  const reasons: unknown[] = results.map((r) => (r.status === 'rejected' ? (r.reason as unknown) : undefined));
  assert.ok(reasons.every((r) => r instanceof LoopbackAddressError && /ENOENT/.test(r.message)));
  assert.deepEqual(
    reasons.map((r) => (r instanceof LoopbackAddressError ? [r.address, r.failed.length] : undefined)),
    [
      ['10.96.0.10', 1],
      ['10.244.1.5', 2],
      ['10.96.0.11', 1],
    ],
  );
  assert.deepEqual(addrs.list(), ['10.96.0.10', '10.244.1.5', '10.244.1.6'], 'failed adds stay desired for a later reconcile');
});

test('constructor validates the device and owned CIDRs', () => {
  assert.throws(() => new LoopbackAddresses({ owned: ['10.96.0.0/16'], device: 'lo; reboot', log }), AddressFormatError);
  assert.throws(() => new LoopbackAddresses({ owned: ['10.96.0.0/40'], log }), /owned\[0\]/);
});
