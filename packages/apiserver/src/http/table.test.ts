import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Deployment, Node, Pod, Service } from '@kemu/api';
import { humanDuration } from '@kemu/api';
import { toTable, type Table } from './table.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const opts = { now: NOW, includeObject: 'Metadata' as const, noHeaders: false, apiVersion: 'meta.k8s.io/v1' };
const wide = (t: Table): string[] => t.columnDefinitions.map((c) => c.name);
const narrow = (t: Table): string[] => t.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name);

test('AGE cells in HumanDuration form', () => {
  assert.deepEqual(
    [5_000, 119_000, 125_000, 600_000, 3 * 3600_000 + 5 * 60_000, 30 * 3600_000, 3 * 86400_000 + 3600_000, 400 * 86400_000, 3 * 365 * 86400_000 + 86400_000, -5_000].map(humanDuration),
    ['5s', '119s', '2m5s', '10m', '3h5m', '30h', '3d1h', '400d', '3y1d', '<invalid>'],
  );
});

test('pods: kubectl columns, status from container states, wide cells, PartialObjectMetadata rows', () => {
  const pod: Pod = {
    metadata: { name: 'web-1', namespace: 'default', creationTimestamp: '2026-01-01T11:59:00Z', labels: { app: 'web' } },
    spec: { nodeName: 'node-1', containers: [{ name: 'a' }, { name: 'b' }] },
    status: {
      phase: 'Running',
      podIP: '127.244.1.5',
      containerStatuses: [
        { name: 'a', ready: true, restartCount: 2, state: { running: {} }, lastState: { terminated: { finishedAt: '2026-01-01T11:55:00Z' } } },
        { name: 'b', ready: false, state: { waiting: { reason: 'CrashLoopBackOff' } } },
      ],
    },
  };
  const t = toTable('pods', [pod], { resourceVersion: '7' }, opts);
  assert.deepEqual(narrow(t), ['Name', 'Ready', 'Status', 'Restarts', 'Age']);
  assert.deepEqual(wide(t), ['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates']);
  assert.deepEqual(t.rows[0]!.cells, ['web-1', '1/2', 'CrashLoopBackOff', '2 (5m ago)', '60s', '127.244.1.5', 'node-1', '<none>', '<none>']);
  assert.deepEqual(t.rows[0]!.object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: pod.metadata });
  const terminating = toTable('pods', [{ ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2026-01-01T12:00:30Z' } }], {}, opts);
  assert.equal(terminating.rows[0]!.cells[2], 'Terminating');
});

test('services: type, cluster IP, external IP (<pending> for a LoadBalancer without one), ports with node ports', () => {
  const svc = (spec: Service['spec'], status?: Service['status']): Service => ({ metadata: { name: 's', creationTimestamp: '2026-01-01T10:00:00Z' }, spec, status });
  const rows = toTable(
    'services',
    [
      svc({ type: 'ClusterIP', clusterIP: '127.96.0.10', clusterIPs: ['127.96.0.10'], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }], selector: { k: 'dns' } }),
      svc({ type: 'LoadBalancer', clusterIPs: ['127.96.0.11'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] }),
      svc({ type: 'LoadBalancer', clusterIPs: ['127.96.0.12'], ports: [{ port: 80, nodePort: 30081, protocol: 'TCP' }] }, { loadBalancer: { ingress: [{ ip: '127.80.0.1' }] } }),
      svc({ type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'] }),
    ],
    {},
    opts,
  ).rows.map((r) => r.cells);
  assert.deepEqual(rows, [
    ['s', 'ClusterIP', '127.96.0.10', '<none>', '53/UDP,53/TCP', '120m', 'k=dns'],
    ['s', 'LoadBalancer', '127.96.0.11', '<pending>', '80:30080/TCP', '120m', '<none>'],
    ['s', 'LoadBalancer', '127.96.0.12', '127.80.0.1', '80:30081/TCP', '120m', '<none>'],
    ['s', 'ClusterIP', 'None', '<none>', '<none>', '120m', '<none>'],
  ]);
});

test('deployments, nodes, endpoints and endpoint slices', () => {
  const d: Deployment = {
    metadata: { name: 'web', creationTimestamp: '2026-01-01T11:00:00Z' },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [{ name: 'a', image: 'kemu/echo' }, { name: 'b', image: 'kemu/client' }] } } },
    status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
  };
  assert.deepEqual(toTable('deployments', [d], {}, opts).rows[0]!.cells, ['web', '2/3', 3, 2, '60m', 'a,b', 'kemu/echo,kemu/client', 'app=web']);
  const n: Node = {
    metadata: { name: 'node-1', labels: { 'node-role.kubernetes.io/worker': '' }, creationTimestamp: '2026-01-01T11:59:50Z' },
    spec: { unschedulable: true },
    status: { conditions: [{ type: 'Ready', status: 'False' }], addresses: [{ type: 'InternalIP', address: '127.0.10.1' }], nodeInfo: { kubeletVersion: 'v1.30.0-kemu' } },
  };
  assert.deepEqual(toTable('nodes', [n], {}, opts).rows[0]!.cells, [
    'node-1', 'NotReady,SchedulingDisabled', 'worker', '10s', 'v1.30.0-kemu', '127.0.10.1', '<none>', '<unknown>', '<unknown>', '<unknown>',
  ]);
  const ep = {
    metadata: { name: 'web' },
    subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ port: 80 }, { port: 81 }] }],
  };
  assert.deepEqual(toTable('endpoints', [ep], {}, opts).rows[0]!.cells, ['web', '10.0.0.1:80,10.0.0.2:80,10.0.0.1:81 + 1 more...', '<unknown>']);
  const slice = { metadata: { name: 'web-abc' }, addressType: 'IPv4', ports: [{ port: 80 }, { name: 'x' }], endpoints: [] };
  assert.deepEqual(toTable('endpointslices', [slice], {}, opts).rows[0]!.cells, ['web-abc', 'IPv4', '80,x', '<unset>', '<unknown>']);
});

test('includeObject None and Object; noHeaders for watch events after the first', () => {
  const lease = { metadata: { name: 'l' }, spec: { holderIdentity: 'cm-0' } };
  assert.equal(toTable('leases', [lease], {}, { ...opts, includeObject: 'None' }).rows[0]!.object, undefined);
  assert.deepEqual(toTable('leases', [lease], {}, { ...opts, includeObject: 'Object' }).rows[0]!.object, lease);
  assert.deepEqual(toTable('leases', [lease], {}, { ...opts, noHeaders: true }).columnDefinitions, []);
});
