import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, Endpoints, Pod, ReplicaSet, Service } from '@kemu/api';
import { describeDeployment, describeGeneric, describeNode, describePod, describeService, formatProbe, runsTemplateOf } from './describe.js';
import { DescribeWriter } from './describe-writer.js';

const clock = { now: Date.parse('2026-01-01T01:00:00Z'), tzOffsetMinutes: 0 };

test('consecutive fields, at any level, share one value column; a heading or table line starts a new block', () => {
  const w = new DescribeWriter()
    .field(0, 'Name', 'web')
    .field(0, 'Labels', ['app=web', 'tier=front'])
    .field(1, 'Started', 'now')
    .text(0, 'Containers:')
    .field(1, 'Image', 'kemu/echo')
    .field(0, 'Annotations', []);
  assert.equal(
    w.toString(),
    ['Name:       web', 'Labels:     app=web', '            tier=front', '  Started:  now', 'Containers:', '  Image:      kemu/echo', 'Annotations:  <none>', ''].join('\n'),
  );
});

test('probes print as kubectl prints them', () => {
  assert.equal(formatProbe({ httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 2 }), 'http-get http://:http/readyz delay=0s timeout=1s period=2s #success=1 #failure=3');
  assert.equal(formatProbe({ tcpSocket: { port: 9000 }, initialDelaySeconds: 5 }), 'tcp-socket :9000 delay=5s timeout=1s period=10s #success=1 #failure=3');
  assert.equal(formatProbe({ exec: { command: ['cat', '/tmp/ok'] } }), 'exec [cat /tmp/ok] delay=0s timeout=1s period=10s #success=1 #failure=3');
});

test('a pod: node, owner, containers with state and probes, conditions; the last-applied annotation hidden', () => {
  const p: Pod = {
    metadata: {
      name: 'web-abc',
      namespace: 'default',
      labels: { app: 'web' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}\n' },
      ownerReferences: [{ kind: 'ReplicaSet', name: 'web-5d', controller: true }],
    },
    spec: { nodeName: 'node-2', containers: [{ name: 'echo', image: 'kemu/echo', ports: [{ containerPort: 8080, name: 'http' }], readinessProbe: { httpGet: { path: '/readyz', port: 'http' } } }] },
    status: {
      phase: 'Running',
      hostIP: '127.0.10.2',
      podIP: '127.244.2.3',
      startTime: '2026-01-01T00:00:00Z',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'echo', ready: true, restartCount: 1, state: { running: { startedAt: '2026-01-01T00:00:01Z' } } }],
    },
  };
  const text = describePod(p, clock);
  for (const line of [
    'Node:             node-2/127.0.10.2',
    'Start Time:       Thu, 01 Jan 2026 00:00:00 +0000',
    'Annotations:      <none>',
    'Status:           Running',
    'Controlled By:  ReplicaSet/web-5d',
    '    Port:           8080/TCP (http)',
    '    State:          Running',
    '      Started:      Thu, 01 Jan 2026 00:00:01 +0000',
    '    Restart Count:  1',
    '  Ready   True',
  ]) {
    assert.ok(text.split('\n').includes(line), `missing ${JSON.stringify(line)} in:\n${text}`);
  }
});

test('a Service lists the endpoints of each port, ready and not ready', () => {
  const s: Service = {
    metadata: { name: 'web', namespace: 'default' },
    spec: { type: 'NodePort', clusterIP: '127.96.0.9', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30080, protocol: 'TCP' }] },
  };
  const e: Endpoints = {
    subsets: [{ addresses: [{ ip: '127.244.1.2' }, { ip: '127.244.2.2' }], notReadyAddresses: [{ ip: '127.244.3.2' }], ports: [{ name: 'http', port: 8080 }] }],
  };
  const lines = describeService(s, e).split('\n');
  for (const want of ['Port:                     http  80/TCP', 'TargetPort:               http/TCP', 'NodePort:                 http  30080/TCP', 'Endpoints:                127.244.1.2:8080,127.244.2.2:8080', 'Endpoints (not ready):    127.244.3.2:8080', 'External Traffic Policy:  Cluster']) {
    assert.ok(lines.includes(want), `missing ${JSON.stringify(want)} in:\n${lines.join('\n')}`);
  }
  assert.ok(describeService(s, undefined).split('\n').includes('Endpoints:                <none>'));
});

test('a Deployment names its new ReplicaSet (the one running its template) and its old ones', () => {
  const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'echo', image: 'kemu/echo:2' }] } };
  const d: Deployment = { metadata: { name: 'web', namespace: 'default', uid: 'd1' }, spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template }, status: { replicas: 4, updatedReplicas: 3, availableReplicas: 3, unavailableReplicas: 1 } };
  const owner = [{ uid: 'd1', kind: 'Deployment', name: 'web', controller: true }];
  const rsNew: ReplicaSet = { metadata: { name: 'web-new', ownerReferences: owner }, spec: { replicas: 3, template: { ...template, metadata: { labels: { app: 'web', 'pod-template-hash': 'new' } } } }, status: { replicas: 3 } };
  const rsOld: ReplicaSet = { metadata: { name: 'web-old', ownerReferences: owner }, spec: { replicas: 1, template: { metadata: { labels: { app: 'web', 'pod-template-hash': 'old' } }, spec: { containers: [{ name: 'echo', image: 'kemu/echo:1' }] } } }, status: { replicas: 1 } };
  const other: ReplicaSet = { metadata: { name: 'other', ownerReferences: [{ uid: 'x' }] }, spec: { template } };
  assert.ok(runsTemplateOf(rsNew, d) && !runsTemplateOf(rsOld, d));
  const lines = describeDeployment(d, [rsOld, rsNew, other], clock).split('\n');
  for (const want of [/^Replicas: +3 desired \| 3 updated \| 4 total \| 3 available \| 1 unavailable$/, /^OldReplicaSets: +web-old \(1\/1 replicas created\)$/, /^NewReplicaSet: +web-new \(3\/3 replicas created\)$/, /^ {6}Image: +kemu\/echo:2$/]) {
    assert.ok(lines.some((l) => want.test(l)), `missing ${String(want)} in:\n${lines.join('\n')}`);
  }
});

test('a node shows its lease, conditions, addresses and the pods on it', () => {
  const text = describeNode(
    { metadata: { name: 'node-1', labels: { 'topology.kubernetes.io/zone': 'zone-a' } }, spec: { podCIDR: '127.244.1.0/24' }, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }], addresses: [{ type: 'InternalIP', address: '127.0.10.1' }] } },
    [{ metadata: { name: 'web-1', namespace: 'default', creationTimestamp: '2026-01-01T00:30:00Z' }, status: { phase: 'Running', podIP: '127.244.1.2' } }],
    { spec: { holderIdentity: 'node-1', renewTime: '2026-01-01T00:59:50Z' } },
    clock,
  );
  const lines = text.split('\n');
  for (const want of [/^ {2}HolderIdentity: +node-1$/, /^ {2}RenewTime: +Thu, 01 Jan 2026 00:59:50 \+0000$/, /^ {2}InternalIP: +127\.0\.10\.1$/, /^Non-terminated Pods: +\(1 in total\)$/, /^ {2}Ready +True +<unset> +<unset> +KubeletReady$/]) {
    assert.ok(lines.some((l) => want.test(l)), `missing ${String(want)} in:\n${text}`);
  }
  assert.match(text, /\n {2}default +web-1 +127\.244\.1\.2 +Running +30m\n/);
});

test('other kinds: the header, then the rest of the object as YAML', () => {
  const text = describeGeneric('leases', { metadata: { name: 'node-1', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'node-1' } } as never);
  assert.equal(text, 'Name:         node-1\nNamespace:    kube-node-lease\nLabels:       <none>\nAnnotations:  <none>\nSpec:\n  holderIdentity: node-1\n');
});
