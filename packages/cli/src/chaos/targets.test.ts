import { test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdLeader, resolveTarget, TargetError, type EtcdMemberView, type TargetLookup } from './targets.js';

const m = (name: string, o: Partial<EtcdMemberView>): EtcdMemberView => ({ name, endpoint: `${name}:2379`, reachable: true, leader: false, term: 1, ...o });

test('the etcd leader: a reachable member that says so; the higher term wins over a stale one', () => {
  assert.equal(etcdLeader([m('etcd-0', {}), m('etcd-1', { leader: true, term: 4 }), m('etcd-2', { leader: true, term: 3 })])?.name, 'etcd-1');
  assert.equal(etcdLeader([m('etcd-0', { leader: true, reachable: false }), m('etcd-1', {})]), undefined);
});

const lookup = (members: EtcdMemberView[], cm: { name: string } | { error: string }): TargetLookup => ({
  etcdMembers: async () => members,
  activeControllerManager: async () => cm,
});

test('aliases resolve to the process playing the role; names pass through', async () => {
  const l = lookup([m('etcd-0', {}), m('etcd-2', { leader: true, term: 7 })], { name: 'controller-manager-1' });
  assert.deepEqual(await resolveTarget('etcd-leader', l), { name: 'etcd-2', via: 'etcd-leader is etcd-2 (term 7)' });
  assert.deepEqual(await resolveTarget('controller-manager-active', l), { name: 'controller-manager-1', via: 'controller-manager-active is controller-manager-1' });
  assert.deepEqual(await resolveTarget('node-2', l), { name: 'node-2' });
});

test('an alias nobody plays is an error saying why', async () => {
  const l = lookup([m('etcd-0', {}), m('etcd-1', { reachable: false, error: 'connection refused' })], { error: 'Lease kube-system/kube-controller-manager has no holder' });
  await assert.rejects(resolveTarget('etcd-leader', l), (err: unknown) => err instanceof TargetError && /no member leads right now \(etcd-0: follower, etcd-1: connection refused\)/.test(err.message));
  await assert.rejects(resolveTarget('controller-manager-active', l), /controller-manager-active: Lease kube-system\/kube-controller-manager has no holder/);
});
