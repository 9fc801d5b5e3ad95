import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, Endpoints, EndpointSlice, Node, Pod, Service } from '@kemu/api';
import { endpointAddresses, labelColumnHeader, nodeRoles, nodeStatus, podRestarts, podStatus, servicePorts, serviceExternalIP, tableHeader, tableRow, type TableOptions } from './columns.js';

const NOW = Date.parse('2026-01-01T01:00:00Z');
const base: TableOptions = { wide: false, now: NOW, allNamespaces: false, labelColumns: [], showLabels: false, withKind: false };

const pod = (over: Partial<Pod> = {}): Pod => ({
  metadata: { name: 'web-1', namespace: 'default', creationTimestamp: '2026-01-01T00:55:00Z', labels: { app: 'web' } },
  spec: { nodeName: 'node-2', containers: [{ name: 'a' }, { name: 'b' }] },
  status: {
    phase: 'Running',
    podIP: '127.244.2.5',
    containerStatuses: [
      { name: 'a', ready: true, restartCount: 0, state: { running: { startedAt: '2026-01-01T00:55:01Z' } } },
      { name: 'b', ready: false, restartCount: 2, state: { running: {} }, lastState: { terminated: { exitCode: 1, finishedAt: '2026-01-01T00:58:00Z' } } },
    ],
  },
  ...over,
});

test('pods: READY counts ready containers, RESTARTS says when the last one was, wide adds IP and NODE', () => {
  assert.deepEqual(tableHeader('pods', base), ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
  assert.deepEqual(tableRow('pods', pod(), base), ['web-1', '1/2', 'Running', '2 (2m ago)', '5m']);
  const wide = { ...base, wide: true };
  assert.deepEqual(tableHeader('pods', wide).slice(-2), ['IP', 'NODE']);
  assert.deepEqual(tableRow('pods', pod(), wide).slice(-2), ['127.244.2.5', 'node-2']);
  assert.deepEqual(tableRow('pods', pod({ spec: { containers: [] }, status: { phase: 'Pending' } }), wide).slice(-2), ['<none>', '<none>']);
});

test('pod STATUS: waiting and terminated reasons override the phase; Terminating once deleted', () => {
  assert.equal(podStatus(pod()), 'Running');
  assert.equal(podStatus({ status: { phase: 'Pending' } }), 'Pending');
  assert.equal(podStatus({ status: { phase: 'Pending', containerStatuses: [{ state: { waiting: { reason: 'ContainerCreating' } } }] } }), 'ContainerCreating');
  assert.equal(podStatus({ status: { phase: 'Running', containerStatuses: [{ state: { waiting: { reason: 'CrashLoopBackOff' } } }] } }), 'CrashLoopBackOff');
  assert.equal(podStatus({ status: { phase: 'Failed', containerStatuses: [{ state: { terminated: { exitCode: 3 } } }] } }), 'ExitCode:3');
  assert.equal(podStatus({ status: { phase: 'Failed', containerStatuses: [{ state: { terminated: { exitCode: 137, signal: 9 } } }] } }), 'Signal:9');
  assert.equal(podStatus({ status: { phase: 'Succeeded', containerStatuses: [{ state: { terminated: { reason: 'Completed' } } }] } }), 'Completed');
  assert.equal(podStatus({ status: { phase: 'Failed', reason: 'Evicted' } }), 'Evicted');
  assert.equal(podStatus(pod({ metadata: { name: 'x', deletionTimestamp: '2026-01-01T00:59:00Z' } })), 'Terminating');
  assert.equal(podStatus({ metadata: { deletionTimestamp: 'x' }, status: { reason: 'NodeLost' } }), 'Unknown');
});

test('restarts without a finish time print the bare count', () => {
  assert.equal(podRestarts({ status: { containerStatuses: [{ restartCount: 3 }] } }, NOW), '3');
  assert.equal(podRestarts({}, NOW), '0');
});

const svc = (spec: Service['spec'], status?: Service['status']): Service => ({
  metadata: { name: 'web', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' },
  spec,
  ...(status ? { status } : {}),
});

test('services: PORT(S) with node ports, EXTERNAL-IP by type, wide adds SELECTOR', () => {
  const np = svc({ type: 'NodePort', clusterIP: '127.96.0.10', selector: { tier: 'front', app: 'web' }, ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }] });
  assert.deepEqual(tableHeader('services', base), ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
  assert.deepEqual(tableRow('services', np, base), ['web', 'NodePort', '127.96.0.10', '<none>', '80:30080/TCP,53/UDP', '60m']);
  assert.deepEqual(tableRow('services', np, { ...base, wide: true }).at(-1), 'app=web,tier=front');
  assert.equal(serviceExternalIP(svc({ type: 'LoadBalancer' })), '<pending>');
  assert.equal(serviceExternalIP(svc({ type: 'LoadBalancer', externalIPs: ['1.2.3.4'] }, { loadBalancer: { ingress: [{ ip: '127.100.0.1' }] } })), '127.100.0.1,1.2.3.4');
  assert.equal(serviceExternalIP(svc({ type: 'ExternalName', externalName: 'example.org' })), 'example.org');
  assert.equal(serviceExternalIP(svc({ type: 'ClusterIP', externalIPs: ['127.1.1.1'] })), '127.1.1.1');
  assert.equal(servicePorts(svc({ type: 'ClusterIP', clusterIP: 'None' })), '<none>');
  assert.equal(tableRow('services', svc({ type: 'ClusterIP', clusterIP: 'None' }), base)[2], 'None');
});

test('deployments: READY is ready/desired; wide adds containers, images and the selector', () => {
  const d: Deployment = {
    metadata: { name: 'web', creationTimestamp: '2026-01-01T00:59:30Z' },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [{ name: 'echo', image: 'kemu/echo' }, { name: 'side', image: 'kemu/client' }] } } },
    status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
  };
  assert.deepEqual(tableRow('deployments', d, base), ['web', '2/3', '3', '2', '30s']);
  assert.deepEqual(tableRow('deployments', d, { ...base, wide: true }).slice(-3), ['echo,side', 'kemu/echo,kemu/client', 'app=web']);
  assert.deepEqual(tableRow('deployments', { metadata: { name: 'new' } }, base), ['new', '0/1', '0', '0', '<unknown>']);
});

test('replicasets: DESIRED CURRENT READY', () => {
  assert.deepEqual(tableHeader('replicasets', base), ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE']);
  assert.deepEqual(tableRow('replicasets', { metadata: { name: 'web-abc' }, spec: { replicas: 3 }, status: { replicas: 3, readyReplicas: 1 } }, base).slice(0, 4), ['web-abc', '3', '3', '1']);
});

test('nodes: STATUS from the Ready condition, ROLES from labels, wide adds addresses and the zone', () => {
  const n: Node = {
    metadata: { name: 'node-1', creationTimestamp: '2026-01-01T00:00:00Z', labels: { 'topology.kubernetes.io/zone': 'zone-a', 'node-role.kubernetes.io/worker': '' } },
    spec: { unschedulable: true },
    status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'InternalIP', address: '127.0.10.1' }], nodeInfo: { kubeletVersion: 'v1.31.0-kemu' } },
  };
  assert.deepEqual(tableRow('nodes', n, base), ['node-1', 'Ready,SchedulingDisabled', 'worker', '60m', 'v1.31.0-kemu']);
  const wide = tableRow('nodes', n, { ...base, wide: true });
  assert.equal(wide[tableHeader('nodes', { ...base, wide: true }).indexOf('INTERNAL-IP')], '127.0.10.1');
  assert.equal(wide.at(-1), 'zone-a');
  assert.equal(nodeStatus({ status: { conditions: [{ type: 'Ready', status: 'False' }] } }), 'NotReady');
  // A silent node's Ready=Unknown prints NotReady, as kubectl prints it.
  assert.equal(nodeStatus({ status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }), 'NotReady');
  assert.equal(nodeStatus({}), 'Unknown');
  assert.equal(nodeRoles({ metadata: { labels: { 'kubernetes.io/role': 'master', 'node-role.kubernetes.io/control-plane': '' } } }), 'control-plane,master');
  assert.equal(nodeRoles({}), '<none>');
});

test('endpoints and slices list three addresses, then how many more', () => {
  const e: Endpoints = {
    metadata: { name: 'web' },
    subsets: [{ addresses: ['1', '2', '3', '4'].map((i) => ({ ip: `127.244.1.${i}` })), ports: [{ port: 8080 }] }],
  };
  assert.equal(tableRow('endpoints', e, base)[1], '127.244.1.1:8080,127.244.1.2:8080,127.244.1.3:8080 + 1 more...');
  assert.deepEqual(endpointAddresses({ subsets: [{ addresses: [{ ip: '10.0.0.1' }] }] }), ['10.0.0.1']);
  assert.equal(tableRow('endpoints', { metadata: { name: 'empty' } }, base)[1], '<none>');
  const s: EndpointSlice = { metadata: { name: 'web-x' }, addressType: 'IPv4', ports: [{ port: 8080 }, { port: 9090 }], endpoints: [{ addresses: ['127.244.1.1'] }] };
  assert.deepEqual(tableRow('endpointslices', s, base).slice(0, 4), ['web-x', 'IPv4', '8080,9090', '127.244.1.1']);
  assert.deepEqual(tableRow('endpointslices', { metadata: { name: 'none' } }, base).slice(2, 4), ['<unset>', '<unset>']);
});

test('-A adds NAMESPACE for namespaced kinds only; -L and --show-labels add label columns; several kinds print kind/name', () => {
  const o = { ...base, allNamespaces: true, labelColumns: ['app', 'topology.kubernetes.io/zone'], showLabels: true, withKind: true };
  assert.deepEqual(tableHeader('pods', o), ['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'APP', 'ZONE', 'LABELS']);
  const row = tableRow('pods', pod(), o);
  assert.deepEqual([row[0], row[1], ...row.slice(-3)], ['default', 'pod/web-1', 'web', '', 'app=web']);
  assert.equal(tableHeader('nodes', o)[0], 'NAME');
  assert.equal(tableRow('leases', { metadata: { name: 'l', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'node-1' } }, o)[1], 'lease.coordination.k8s.io/l');
  assert.equal(labelColumnHeader('app'), 'APP');
});
