import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoints, Pod } from '@kemu/api';
import { pod, pods, service } from '../endpointslice/test-fixtures.js';
import { ANNOTATION_LEADER, ANNOTATION_OVER_CAPACITY, reconcileEndpoints, type EndpointsAction } from './reconcile-endpoints.js';
import { desiredSubsets, truncateSubsets } from './subsets.js';

const ref = (name: string): { kind: string; namespace: string; name: string; uid: string } => ({
  kind: 'Pod',
  namespace: 'default',
  name,
  uid: `uid-${name}`,
});

function written(a: EndpointsAction): Endpoints {
  assert.ok(a.kind === 'create' || a.kind === 'update', `expected a write, got ${a.kind}`);
  return a.endpoints;
}

test('ready pods are addresses, not-ready pods notReadyAddresses, sorted, with ports from the service', () => {
  const ps = [
    pod('b', { ip: '10.0.0.2', node: 'node-2' }),
    pod('a', { ip: '10.0.0.1' }),
    pod('c', { ip: '10.0.0.3', ready: false }),
  ];
  const ep = written(reconcileEndpoints('default', 'web', service(), ps, undefined));
  assert.deepEqual(ep, {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'web', namespace: 'default', labels: {} },
    subsets: [
      {
        addresses: [
          { ip: '10.0.0.1', nodeName: 'node-1', targetRef: ref('a') },
          { ip: '10.0.0.2', nodeName: 'node-2', targetRef: ref('b') },
        ],
        notReadyAddresses: [{ ip: '10.0.0.3', nodeName: 'node-1', targetRef: ref('c') }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ],
  });
});

test('terminating pods are left out, unless the service publishes not-ready addresses', () => {
  const ps = [pod('a', { ip: '10.0.0.1' }), pod('b', { ip: '10.0.0.2', deleting: true }), pod('c', { ip: '10.0.0.3', ready: false })];
  const plain = desiredSubsets(service(), ps);
  assert.deepEqual(plain[0]?.addresses?.map((a) => a.ip), ['10.0.0.1']);
  assert.deepEqual(plain[0]?.notReadyAddresses?.map((a) => a.ip), ['10.0.0.3']);
  const published = desiredSubsets(service('web', { publishNotReadyAddresses: true }), ps);
  assert.deepEqual(published[0]?.addresses?.map((a) => a.ip), ['10.0.0.1', '10.0.0.2', '10.0.0.3']);
  assert.equal(published[0]?.notReadyAddresses, undefined);
});

test('ports offered by the same addresses share a subset; a port only some pods offer gets its own', () => {
  const svc = service('web', {
    ports: [
      { name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 },
      { name: 'metrics', protocol: 'TCP', port: 9090, targetPort: 'metrics' },
    ],
  });
  const ps = [
    pod('a', { ip: '10.0.0.1', ports: [{ name: 'metrics', containerPort: 9100 }] }),
    pod('b', { ip: '10.0.0.2' }),
    pod('c', { ip: '10.0.0.3', ports: [{ name: 'metrics', containerPort: 9100 }] }),
  ];
  const subsets = desiredSubsets(svc, ps);
  assert.deepEqual(
    subsets.map((s) => ({ ips: s.addresses?.map((a) => a.ip), ports: s.ports?.map((p) => `${p.name ?? ''}:${p.port ?? 0}`) })),
    [
      { ips: ['10.0.0.1', '10.0.0.2', '10.0.0.3'], ports: ['http:8080'] },
      { ips: ['10.0.0.1', '10.0.0.3'], ports: ['metrics:9100'] },
    ],
  );
});

test('pods resolving a named port differently land in different subsets; identical port sets merge', () => {
  const svc = service('web', { ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'web' }] });
  const ps = [
    pod('a', { ip: '10.0.0.1', ports: [{ name: 'web', containerPort: 8080 }] }),
    pod('b', { ip: '10.0.0.2', ports: [{ name: 'web', containerPort: 9090 }] }),
    pod('c', { ip: '10.0.0.3', ports: [{ name: 'web', containerPort: 8080 }] }),
  ];
  const subsets = desiredSubsets(svc, ps);
  assert.deepEqual(
    subsets.map((s) => [s.ports?.[0]?.port, s.addresses?.map((a) => a.ip)]),
    [
      [8080, ['10.0.0.1', '10.0.0.3']],
      [9090, ['10.0.0.2']],
    ],
  );
});

test('the result does not depend on the order pods are listed in', () => {
  const ps = pods(40).map((p, i) => (i % 3 === 0 ? pod(p.metadata?.name ?? '', { ip: p.status?.podIP ?? '', ready: false }) : p));
  assert.deepEqual(desiredSubsets(service(), ps), desiredSubsets(service(), [...ps].reverse()));
});

test('a headless service without ports lists its pods without ports; a portless ClusterIP service lists none', () => {
  const ps = [pod('a', { ip: '10.0.0.1', hostname: 'a', subdomain: 'web' })];
  assert.deepEqual(desiredSubsets(service('web', { clusterIP: 'None', ports: [] }), ps), [
    { addresses: [{ ip: '10.0.0.1', nodeName: 'node-1', hostname: 'a', targetRef: ref('a') }] },
  ]);
  assert.deepEqual(desiredSubsets(service('web', { ports: [] }), ps), []);
});

test('labels follow the service; headless services get the headless label', () => {
  const ep = written(reconcileEndpoints('default', 'web', service('web', { clusterIP: 'None' }, { app: 'web' }), [], undefined));
  assert.deepEqual(ep.metadata?.labels, { app: 'web', 'service.kubernetes.io/headless': '' });
  assert.deepEqual(ep.subsets, []);
});

test('an Endpoints that already says the same is not written, however the apiserver spelled it', () => {
  const svc = service();
  const ps = [pod('a', { ip: '10.0.0.1' }), pod('b', { ip: '10.0.0.2', ready: false })];
  const first = written(reconcileEndpoints('default', 'web', svc, ps, undefined));
  const stored: Endpoints = structuredClone(first);
  stored.metadata = { ...stored.metadata, resourceVersion: '7', uid: 'uid-ep', annotations: {} };
  stored.subsets![0]!.addresses![0]!.targetRef!.resourceVersion = '3';
  stored.subsets![0]!.ports![0]!.protocol = undefined;
  assert.deepEqual(reconcileEndpoints('default', 'web', svc, ps, stored), { kind: 'none' });

  const changed = reconcileEndpoints('default', 'web', svc, [pod('a', { ip: '10.0.0.1' }), pod('b', { ip: '10.0.0.2' })], stored);
  const ep = written(changed);
  assert.equal(changed.kind, 'update');
  assert.equal(ep.metadata?.resourceVersion, '7', 'updates are conditional on the version read');
  assert.deepEqual(ep.subsets?.[0]?.addresses?.map((a) => a.ip), ['10.0.0.1', '10.0.0.2']);
});

test('a service label change rewrites the Endpoints', () => {
  const ps = [pod('a', { ip: '10.0.0.1' })];
  const stored = { ...written(reconcileEndpoints('default', 'web', service(), ps, undefined)) };
  const a = reconcileEndpoints('default', 'web', service('web', {}, { tier: 'front' }), ps, stored);
  assert.deepEqual(written(a).metadata?.labels, { tier: 'front' });
});

test('a deleted service takes its Endpoints along, except kubernetes and leader locks', () => {
  assert.deepEqual(reconcileEndpoints('default', 'web', undefined, [], undefined), { kind: 'delete', namespace: 'default', name: 'web' });
  assert.deepEqual(reconcileEndpoints('default', 'kubernetes', undefined, [], undefined), { kind: 'none' });
  const lock: Endpoints = { metadata: { name: 'lock', namespace: 'default', annotations: { [ANNOTATION_LEADER]: '{}' } } };
  assert.deepEqual(reconcileEndpoints('default', 'lock', undefined, [], lock), { kind: 'none' });
});

test('Endpoints of services without a selector, ExternalName services and kubernetes are not touched', () => {
  const user: Endpoints = { metadata: { name: 'web', namespace: 'default' }, subsets: [{ addresses: [{ ip: '192.0.2.1' }] }] };
  const ps: Pod[] = [pod('a', { ip: '10.0.0.1' })];
  assert.deepEqual(reconcileEndpoints('default', 'web', service('web', { selector: {} }), ps, user), { kind: 'none' });
  assert.deepEqual(reconcileEndpoints('default', 'web', service('web', { type: 'ExternalName' }), ps, user), { kind: 'none' });
  assert.deepEqual(reconcileEndpoints('default', 'kubernetes', service('kubernetes'), ps, user), { kind: 'none' });
});

test('over 1000 addresses: not-ready ones are cut first and the object is annotated', () => {
  const ready = pods(900);
  const notReady = Array.from({ length: 300 }, (_, i) => pod(`nr${i}`, { ip: `10.200.${Math.floor(i / 250)}.${(i % 250) + 1}`, ready: false }));
  const ep = written(reconcileEndpoints('default', 'web', service(), [...ready, ...notReady], undefined));
  assert.equal(ep.subsets?.[0]?.addresses?.length, 900);
  assert.equal(ep.subsets?.[0]?.notReadyAddresses?.length, 100);
  assert.equal(ep.metadata?.annotations?.[ANNOTATION_OVER_CAPACITY], 'truncated');
  // Stable once written: truncated contents are not rewritten on every sync.
  const stored = { ...ep, metadata: { ...ep.metadata, resourceVersion: '2' } };
  assert.deepEqual(reconcileEndpoints('default', 'web', service(), [...ready, ...notReady], stored), { kind: 'none' });
  // Back under the limit: the annotation goes.
  const under = written(reconcileEndpoints('default', 'web', service(), ready, stored));
  assert.equal(under.metadata?.annotations?.[ANNOTATION_OVER_CAPACITY], undefined);
});

test('truncation shares the limit between subsets in proportion to their size', () => {
  const addrs = (n: number, p: string): { ip: string }[] => Array.from({ length: n }, (_, i) => ({ ip: `${p}.${i}` }));
  const cut = truncateSubsets(
    [
      { addresses: addrs(300, 'a'), notReadyAddresses: addrs(10, 'x'), ports: [{ port: 1 }] },
      { addresses: addrs(900, 'b'), ports: [{ port: 2 }] },
    ],
    1000,
  );
  assert.deepEqual(cut?.map((s) => [s.addresses?.length ?? 0, s.notReadyAddresses?.length ?? 0]), [
    [250, 0],
    [750, 0],
  ]);
  assert.equal(truncateSubsets([{ addresses: addrs(10, 'a') }], 1000), undefined);
});
