import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSlice, Lease, Node, Pod } from '@kemu/api';
import { EndpointTracker, EtcdTracker, leaseChanges, nodeChanges, podChanges } from './cluster-events.js';
import type { EtcdMemberView } from './targets.js';

const node = (ready: string, taints: Array<[string, string]> = []): Node => ({
  metadata: { name: 'node-2', resourceVersion: '1' },
  spec: { taints: taints.map(([key, effect]) => ({ key, effect })) },
  status: { conditions: [{ type: 'Ready', status: ready, reason: ready === 'Unknown' ? 'NodeStatusUnknown' : 'KubeletReady' }] },
});

test('a node going silent: NotReady with the reason, then the taints; back: Ready and taints removed', () => {
  const silent = nodeChanges(node('True'), node('Unknown', [['node.kubernetes.io/unreachable', 'NoSchedule']]), 10);
  assert.deepEqual(silent.map((e) => [e.kind, e.message, e.node]), [
    ['node-not-ready', 'node node-2 NotReady (Ready=Unknown: NodeStatusUnknown)', 'node-2'],
    ['node-tainted', 'node node-2 tainted node.kubernetes.io/unreachable:NoSchedule', 'node-2'],
  ]);
  const back = nodeChanges(node('Unknown', [['node.kubernetes.io/unreachable', 'NoSchedule']]), node('True'), 20);
  assert.deepEqual(back.map((e) => e.kind), ['node-ready', 'node-untainted']);
  assert.deepEqual(nodeChanges(node('True'), node('True'), 30), [], 'a heartbeat is not an event');
  assert.equal(nodeChanges(undefined, node('True'), 1)[0]?.kind, 'node-added');
  assert.equal(nodeChanges(node('True'), undefined, 1)[0]?.kind, 'node-deleted');
});

const pod = (o: { node?: string; ready?: boolean; deleting?: boolean }): Pod => ({
  metadata: { name: 'chaos-target-abc', namespace: 'kemu-chaos', ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
  spec: { containers: [], ...(o.node ? { nodeName: o.node } : {}) },
  status: { conditions: o.ready === undefined ? [] : [{ type: 'Ready', status: o.ready ? 'True' : 'False' }] },
});

test('a replacement pod: created, scheduled, Ready; the old one not Ready, terminating, deleted', () => {
  assert.deepEqual(podChanges(undefined, pod({}), 1).map((e) => e.message), ['pod chaos-target-abc created']);
  assert.deepEqual(podChanges(pod({}), pod({ node: 'node-1' }), 2).map((e) => [e.kind, e.node]), [['pod-scheduled', 'node-1']]);
  assert.deepEqual(podChanges(pod({ node: 'node-1', ready: false }), pod({ node: 'node-1', ready: true }), 3).map((e) => e.message), ['pod chaos-target-abc on node-1 Ready']);
  assert.deepEqual(podChanges(pod({ node: 'node-2', ready: true }), pod({ node: 'node-2', ready: false, deleting: true }), 4).map((e) => e.kind), ['pod-not-ready', 'pod-terminating']);
  assert.deepEqual(podChanges(pod({ node: 'node-2' }), undefined, 5).map((e) => e.message), ['pod chaos-target-abc on node-2 deleted']);
});

const slice = (name: string, eps: Array<[string, boolean, string]>): EndpointSlice => ({
  metadata: { name },
  endpoints: eps.map(([addr, ready, nodeName]) => ({ addresses: [addr], conditions: { ready }, nodeName, targetRef: { name: `pod-${addr.split('.').pop() ?? ''}` } })),
});

test('endpoints across slices: not ready, removed, added and ready again, with the node of each', () => {
  const t = new EndpointTracker('kemu-chaos/chaos-target');
  const base = t.update('s1', slice('s1', [['10.0.0.1', true, 'node-1'], ['10.0.0.2', true, 'node-2']]), 0);
  assert.deepEqual(base.map((e) => e.kind), ['endpoint-added', 'endpoint-added']);
  assert.deepEqual(t.update('s2', slice('s2', [['10.0.0.3', true, 'node-3']]), 1).map((e) => e.subject), ['10.0.0.3']);
  assert.deepEqual(t.readyAddresses(), ['10.0.0.1', '10.0.0.2', '10.0.0.3']);

  const out = t.update('s1', slice('s1', [['10.0.0.1', true, 'node-1'], ['10.0.0.2', false, 'node-2']]), 2);
  assert.deepEqual(out.map((e) => [e.kind, e.subject, e.node]), [['endpoint-not-ready', '10.0.0.2', 'node-2']]);
  assert.equal(out[0]!.message, 'kemu-chaos/chaos-target: endpoint 10.0.0.2 (pod pod-2, node-2) not ready: out of rotation');

  assert.deepEqual(t.update('s1', slice('s1', [['10.0.0.1', true, 'node-1']]), 3).map((e) => [e.kind, e.subject]), [['endpoint-removed', '10.0.0.2']]);
  // An address moving from one slice to another is no change.
  t.update('s1', slice('s1', [['10.0.0.1', true, 'node-1'], ['10.0.0.3', true, 'node-3']]), 4);
  assert.deepEqual(t.update('s2', undefined, 5), []);
  assert.deepEqual(t.update('s1', slice('s1', [['10.0.0.1', true, 'node-1'], ['10.0.0.3', true, 'node-3'], ['10.0.0.4', false, 'node-1']]), 6).map((e) => e.message), [
    'kemu-chaos/chaos-target: endpoint 10.0.0.4 (pod pod-4, node-1) added, not ready',
  ]);
  assert.deepEqual(t.update('s1', slice('s1', [['10.0.0.1', true, 'node-1'], ['10.0.0.3', true, 'node-3'], ['10.0.0.4', true, 'node-1']]), 7).map((e) => e.kind), ['endpoint-ready']);
});

test('the election Lease changing hands, named by process', () => {
  const lease = (holder: string, transitions: number): Lease => ({
    metadata: { name: 'kube-controller-manager', namespace: 'kube-system' },
    spec: { holderIdentity: holder, leaseTransitions: transitions },
  });
  assert.deepEqual(leaseChanges(lease('controller-manager-0', 0), lease('controller-manager-0', 0), 1), []);
  const [e] = leaseChanges(lease('controller-manager-0', 0), lease('controller-manager-1', 1), 2);
  assert.equal(e?.kind, 'cm-leader');
  assert.equal(e?.subject, 'controller-manager-1');
  assert.equal(e?.message, 'controller-manager leader: controller-manager-0 -> controller-manager-1 (Lease kube-system/kube-controller-manager, transitions 1)');
  assert.match(leaseChanges(lease('controller-manager-1', 1), lease('', 1), 3)[0]!.message, /controller-manager-1 -> nobody/);
});

const member = (name: string, o: Partial<EtcdMemberView>): EtcdMemberView => ({ name, endpoint: `${name}:2379`, reachable: true, leader: false, term: 2, ...o });

test('etcd: the first leader is the baseline; a kill shows as down, a new leader with a higher term, and up again', () => {
  const t = new EtcdTracker();
  assert.deepEqual(t.observe(member('etcd-0', { leader: true }), 0), []);
  assert.deepEqual(t.observe(member('etcd-1', {}), 0), []);
  assert.deepEqual(t.current(), { name: 'etcd-0', term: 2 });
  assert.deepEqual(t.observe(member('etcd-0', { reachable: false, error: 'connection refused' }), 100).map((e) => e.message), ['etcd etcd-0 not answering (connection refused)']);
  const elected = t.observe(member('etcd-1', { leader: true, term: 3 }), 200);
  assert.deepEqual(elected.map((e) => e.message), ['etcd leader etcd-1, term 3 (was etcd-0, term 2)']);
  // Polled again: no new event.
  assert.deepEqual(t.observe(member('etcd-1', { leader: true, term: 3 }), 300), []);
  // The old leader comes back still believing it leads at term 2: stale, not a change.
  assert.deepEqual(t.observe(member('etcd-0', { leader: true, term: 2 }), 400).map((e) => e.kind), ['etcd-member-up']);
  assert.deepEqual(t.current(), { name: 'etcd-1', term: 3 });
  assert.deepEqual(t.leaders.map((l) => [l.at, l.name, l.term]), [[0, 'etcd-0', 2], [200, 'etcd-1', 3]]);
  // The same member re-elected at a higher term is a new leadership.
  assert.deepEqual(t.observe(member('etcd-1', { leader: true, term: 5 }), 500).map((e) => e.kind), ['etcd-leader']);
});
