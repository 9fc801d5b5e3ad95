import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from '@kemu/api';
import { IpAllocator } from './ip-allocator.js';
import { IpPool } from './ip-pool.js';
import { adoptRecordedAddresses, PendingReason, reconcileLoadBalancer } from './reconcile-load-balancer.js';

const allocator = (...pool: string[]): IpAllocator => new IpAllocator(IpPool.parse(pool));

function lb(name: string, o: { ip?: string; requested?: string; type?: string; lbClass?: string; created?: string } = {}): Service {
  const svc: Service = {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, creationTimestamp: o.created ?? '2024-01-01T00:00:00Z' },
    spec: { type: o.type ?? 'LoadBalancer', ports: [{ port: 80 }] },
  };
  if (o.requested) svc.spec!.loadBalancerIP = o.requested;
  if (o.lbClass) svc.spec!.loadBalancerClass = o.lbClass;
  if (o.ip) svc.status = { loadBalancer: { ingress: [{ ip: o.ip, ipMode: 'VIP' }] } };
  return svc;
}

test('a LoadBalancer service gets the lowest free address as a VIP ingress', () => {
  const a = allocator('127.0.50.1-127.0.50.254');
  const step = reconcileLoadBalancer('default/web', lb('web'), a);
  assert.deepEqual(step, {
    outcome: { kind: 'assigned', ip: '127.0.50.1' },
    ingress: [{ ip: '127.0.50.1', ipMode: 'VIP' }],
    released: undefined,
  });
});

test('a service whose status already shows its address needs no write', () => {
  const a = allocator('127.0.50.0/24');
  reconcileLoadBalancer('default/web', lb('web'), a);
  const step = reconcileLoadBalancer('default/web', lb('web', { ip: '127.0.50.1' }), a);
  assert.deepEqual(step.outcome, { kind: 'assigned', ip: '127.0.50.1' });
  assert.equal(step.ingress, undefined);
});

test('spec.loadBalancerIP is honoured when in the pool and free, and pending otherwise', () => {
  const a = allocator('127.0.50.0/24');
  assert.deepEqual(reconcileLoadBalancer('default/a', lb('a', { requested: '127.0.50.77' }), a).outcome, { kind: 'assigned', ip: '127.0.50.77' });
  const taken = reconcileLoadBalancer('default/b', lb('b', { requested: '127.0.50.77' }), a);
  assert.deepEqual(taken.outcome, { kind: 'pending', reason: PendingReason.RequestedIPInUse });
  assert.deepEqual(taken.ingress, undefined, 'nothing recorded, nothing to clear');
  assert.deepEqual(reconcileLoadBalancer('default/c', lb('c', { requested: '192.0.2.1' }), a).outcome, {
    kind: 'pending',
    reason: PendingReason.RequestedIPNotInPool,
  });
  assert.equal(a.allocated, 1);
});

test('changing spec.loadBalancerIP moves the service and releases the old address', () => {
  const a = allocator('127.0.50.0/24');
  reconcileLoadBalancer('default/web', lb('web'), a);
  const step = reconcileLoadBalancer('default/web', lb('web', { ip: '127.0.50.1', requested: '127.0.50.9' }), a);
  assert.deepEqual(step.outcome, { kind: 'assigned', ip: '127.0.50.9' });
  assert.deepEqual(step.ingress, [{ ip: '127.0.50.9', ipMode: 'VIP' }]);
  assert.equal(step.released, '127.0.50.1');
  // Asking for an address that is taken gives up the current one too.
  reconcileLoadBalancer('default/other', lb('other', { requested: '127.0.50.20' }), a);
  const lost = reconcileLoadBalancer('default/web', lb('web', { ip: '127.0.50.9', requested: '127.0.50.20' }), a);
  assert.deepEqual(lost.outcome, { kind: 'pending', reason: PendingReason.RequestedIPInUse });
  assert.deepEqual(lost.ingress, []);
  assert.equal(lost.released, '127.0.50.9');
});

test('an exhausted pool leaves services pending until an address is released', () => {
  const a = allocator('127.0.50.1-127.0.50.2');
  reconcileLoadBalancer('default/a', lb('a'), a);
  reconcileLoadBalancer('default/b', lb('b'), a);
  const c = reconcileLoadBalancer('default/c', lb('c'), a);
  assert.deepEqual(c.outcome, { kind: 'pending', reason: PendingReason.PoolExhausted });
  assert.equal(c.ingress, undefined);

  const gone = reconcileLoadBalancer('default/a', undefined, a);
  assert.deepEqual(gone, { outcome: { kind: 'not-ours' }, ingress: undefined, released: '127.0.50.1' });
  assert.deepEqual(reconcileLoadBalancer('default/c', lb('c'), a).outcome, { kind: 'assigned', ip: '127.0.50.1' });
});

test('without a pool every LoadBalancer service stays pending with no ingress', () => {
  const a = allocator();
  const step = reconcileLoadBalancer('default/web', lb('web'), a);
  assert.deepEqual(step.outcome, { kind: 'pending', reason: PendingReason.NoPool });
  assert.equal(step.ingress, undefined);
});

test('a service changed away from LoadBalancer releases its address and has its ingress cleared', () => {
  const a = allocator('127.0.50.0/24');
  reconcileLoadBalancer('default/web', lb('web'), a);
  const step = reconcileLoadBalancer('default/web', lb('web', { type: 'ClusterIP', ip: '127.0.50.1' }), a);
  assert.deepEqual(step, { outcome: { kind: 'not-ours' }, ingress: [], released: '127.0.50.1' });
  assert.equal(reconcileLoadBalancer('default/web', lb('web', { type: 'ClusterIP' }), a).ingress, undefined);
});

test('services with a loadBalancerClass, or being deleted, are left to others', () => {
  const a = allocator('127.0.50.0/24');
  const classy = reconcileLoadBalancer('default/web', lb('web', { lbClass: 'example.com/lb', ip: '203.0.113.5' }), a);
  assert.deepEqual(classy, { outcome: { kind: 'not-ours' }, ingress: undefined, released: undefined });
  reconcileLoadBalancer('default/db', lb('db'), a);
  const deleting = lb('db', { ip: '127.0.50.1' });
  deleting.metadata!.deletionTimestamp = '2024-01-02T00:00:00Z';
  assert.deepEqual(reconcileLoadBalancer('default/db', deleting, a), { outcome: { kind: 'not-ours' }, ingress: undefined, released: '127.0.50.1' });
  assert.equal(a.allocated, 0);
});

test('after a restart, recorded addresses are adopted so no address goes to two services', () => {
  const services = [
    lb('new', { ip: '127.0.50.5', created: '2024-01-03T00:00:00Z' }),
    lb('old', { ip: '127.0.50.5', created: '2024-01-01T00:00:00Z' }),
    lb('other', { ip: '127.0.50.1', created: '2024-01-02T00:00:00Z' }),
    lb('outside', { ip: '198.51.100.1', created: '2024-01-02T00:00:00Z' }),
    lb('plain', { type: 'ClusterIP', ip: '127.0.50.2' }),
  ];
  const a = allocator('127.0.50.0/24');
  assert.deepEqual(adoptRecordedAddresses(a, services), ['default/new']);
  assert.equal(a.ownerOf('127.0.50.5'), 'default/old');
  assert.equal(a.ownerOf('127.0.50.1'), 'default/other');
  assert.equal(a.ownerOf('127.0.50.2'), undefined, 'not a LoadBalancer: not adopted');

  // Reconciling: adopted ones keep their address, the loser and the outsider get fresh ones.
  assert.equal(reconcileLoadBalancer('default/old', services[1], a).ingress, undefined);
  assert.deepEqual(reconcileLoadBalancer('default/new', services[0], a).outcome, { kind: 'assigned', ip: '127.0.50.2' });
  assert.deepEqual(reconcileLoadBalancer('default/outside', services[3], a).ingress, [{ ip: '127.0.50.3', ipMode: 'VIP' }]);
});

test('a service whose recorded address is free adopts it instead of taking another', () => {
  const a = allocator('127.0.50.0/24');
  const step = reconcileLoadBalancer('default/web', lb('web', { ip: '127.0.50.42' }), a);
  assert.deepEqual(step.outcome, { kind: 'assigned', ip: '127.0.50.42' });
  assert.equal(step.ingress, undefined);
});
