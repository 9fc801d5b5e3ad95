import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node } from '@kemu/api';
import type { SchemaSupport } from './api-extensions.js';
import { renewedLease } from './node-lease.js';
import { adoptNodePatch, nodeToRegister, planNodeStatus, type NodeFacts } from './node-status.js';

const facts: NodeFacts = {
  nodeName: 'node-1',
  nodeIP: '127.77.3.1',
  zone: 'zone-a',
  podCIDR: '127.77.3.0/24',
  capacity: { cpu: '2', memory: '4Gi', pods: '110' },
  nodeInfo: {
    machineID: 'node-1',
    bootID: 'b',
    kernelVersion: 'k',
    osImage: 'kemu',
    containerRuntimeVersion: 'kemu://0.1.0',
    kubeletVersion: 'v1',
    kubeProxyVersion: 'v1',
    operatingSystem: 'linux',
    architecture: 'amd64',
  },
};
const NO_EXTRAS: SchemaSupport = { containerID: false, imageID: false, hostIPs: false, nodeInfo: false };
const T0 = Date.parse('2025-01-01T00:00:00Z');
const FIVE_MIN = 300_000;

test('the registered node: labels, pod CIDR', () => {
  assert.deepEqual(nodeToRegister(facts), {
    metadata: {
      name: 'node-1',
      labels: { 'kubernetes.io/hostname': 'node-1', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'topology.kubernetes.io/zone': 'zone-a' },
    },
    spec: { podCIDR: '127.77.3.0/24', podCIDRs: ['127.77.3.0/24'] },
  });
});

test('adopting an existing node adds missing labels and an unset pod CIDR, and refuses another pod CIDR', () => {
  const bare: Node = { metadata: { name: 'node-1', labels: { 'kubernetes.io/hostname': 'node-1', extra: 'x' } } };
  assert.deepEqual(adoptNodePatch(bare, facts), {
    patch: {
      metadata: { labels: { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'topology.kubernetes.io/zone': 'zone-a' } },
      spec: { podCIDR: '127.77.3.0/24', podCIDRs: ['127.77.3.0/24'] },
    },
  });
  assert.deepEqual(adoptNodePatch(nodeToRegister(facts), facts), {});
  assert.deepEqual(adoptNodePatch({ ...nodeToRegister(facts), spec: { podCIDR: '10.0.0.0/24', podCIDRs: ['10.0.0.0/24'] } }, facts), {
    error: 'node node-1 already has pod CIDR 10.0.0.0/24, not 127.77.3.0/24',
  });
});

test('first status: Ready=True and no pressure, addresses, capacity', () => {
  const plan = planNodeStatus(nodeToRegister(facts), facts, T0, FIVE_MIN, NO_EXTRAS);
  assert.equal(plan.why, 'register');
  const at = '2025-01-01T00:00:00Z';
  assert.deepEqual(plan.status, {
    conditions: [
      { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available', lastHeartbeatTime: at, lastTransitionTime: at },
      { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure', lastHeartbeatTime: at, lastTransitionTime: at },
      { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available', lastHeartbeatTime: at, lastTransitionTime: at },
      { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: at, lastTransitionTime: at },
    ],
    addresses: [
      { type: 'InternalIP', address: '127.77.3.1' },
      { type: 'Hostname', address: 'node-1' },
    ],
    capacity: { cpu: '2', memory: '4Gi', pods: '110' },
    allocatable: { cpu: '2', memory: '4Gi', pods: '110' },
  });
});

test('no write while nothing changed and the heartbeat is fresh; a heartbeat every 5 minutes', () => {
  const node: Node = { ...nodeToRegister(facts), status: planNodeStatus(nodeToRegister(facts), facts, T0, FIVE_MIN, NO_EXTRAS).status };
  assert.deepEqual(planNodeStatus(node, facts, T0 + FIVE_MIN - 1, FIVE_MIN, NO_EXTRAS), {});
  const beat = planNodeStatus(node, facts, T0 + FIVE_MIN, FIVE_MIN, NO_EXTRAS);
  assert.equal(beat.why, 'heartbeat');
  const ready = beat.status?.conditions?.find((c) => c.type === 'Ready');
  assert.equal(ready?.lastHeartbeatTime, '2025-01-01T00:05:00Z');
  assert.equal(ready?.lastTransitionTime, '2025-01-01T00:00:00Z', 'no transition');
});

test('Ready=Unknown written by the node lifecycle controller is set back to True with a new transition time; others keep theirs', () => {
  const healthy = planNodeStatus(nodeToRegister(facts), facts, T0, FIVE_MIN, NO_EXTRAS).status!;
  const conditions = healthy.conditions!.map((c) =>
    c.type === 'Ready' || c.type === 'MemoryPressure' ? { ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' } : c,
  );
  conditions.push({ type: 'NetworkUnavailable', status: 'False', reason: 'RouteCreated' });
  const node: Node = { ...nodeToRegister(facts), status: { ...healthy, conditions } };
  const plan = planNodeStatus(node, facts, T0 + 60_000, FIVE_MIN, NO_EXTRAS);
  assert.equal(plan.why, 'changed');
  const byType = new Map(plan.status!.conditions!.map((c) => [c.type, c]));
  assert.equal(byType.get('Ready')?.status, 'True');
  assert.equal(byType.get('Ready')?.lastTransitionTime, '2025-01-01T00:01:00Z');
  assert.equal(byType.get('MemoryPressure')?.lastTransitionTime, '2025-01-01T00:01:00Z');
  assert.equal(byType.get('DiskPressure')?.lastTransitionTime, '2025-01-01T00:00:00Z');
  assert.deepEqual(byType.get('NetworkUnavailable'), { type: 'NetworkUnavailable', status: 'False', reason: 'RouteCreated' }, "another owner's condition is kept");
});

test('a changed address or capacity is written at once', () => {
  const node: Node = { ...nodeToRegister(facts), status: planNodeStatus(nodeToRegister(facts), facts, T0, FIVE_MIN, NO_EXTRAS).status };
  assert.equal(planNodeStatus(node, { ...facts, nodeIP: '127.77.3.9' }, T0 + 1, FIVE_MIN, NO_EXTRAS).why, 'changed');
  assert.equal(planNodeStatus(node, { ...facts, capacity: { cpu: '4', memory: '4Gi', pods: '110' } }, T0 + 1, FIVE_MIN, NO_EXTRAS).why, 'changed');
});

test('the node lease: holder, duration, MicroTime renewTime, owner reference to the Node', () => {
  const fresh = renewedLease(undefined, { name: 'node-1', uid: 'n-uid' }, 40, T0 + 123);
  assert.deepEqual(fresh, {
    metadata: { name: 'node-1', namespace: 'kube-node-lease', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'node-1', uid: 'n-uid' }] },
    spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40, renewTime: '2025-01-01T00:00:00.123000Z' },
  });
  const renewed = renewedLease({ ...fresh, metadata: { ...fresh.metadata, resourceVersion: '7' } }, { name: 'node-1', uid: 'n-uid' }, 40, T0 + 10_000);
  assert.equal(renewed.metadata?.resourceVersion, '7', 'the update is conditional on the version read');
  assert.equal(renewed.spec?.renewTime, '2025-01-01T00:00:10.000000Z');
  const recreatedNode = renewedLease(renewed, { name: 'node-1', uid: 'n-uid-2' }, 40, T0);
  assert.deepEqual(recreatedNode.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'node-1', uid: 'n-uid-2' }]);
});
