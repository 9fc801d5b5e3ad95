import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { discovery, EndpointSlice, Pod } from '@kemu/api';
import { countEndpointChanges, reconcileSlices } from './reconcile-slices.js';
import { CONTROLLER_NAME, LABEL_MANAGED_BY, LABEL_SERVICE_NAME } from './slice-meta.js';
import { pod, pods, service, SliceStore } from './test-fixtures.js';

const zones = new Map([
  ['node-1', 'zone-a'],
  ['node-2', 'zone-b'],
  ['node-3', ''],
]);

/** Reconciles and applies until nothing changes; returns the store. */
function converge(svc = service(), ps: readonly Pod[] = [], store = new SliceStore()): SliceStore {
  for (let i = 0; i < 5; i++) {
    const c = reconcileSlices(svc, ps, zones, store.all);
    if (c.create.length + c.update.length + c.delete.length === 0) return store;
    store.apply(c);
  }
  throw new Error('reconcile did not converge');
}

function endpointOf(store: SliceStore, podName: string): discovery.Endpoint | undefined {
  return store.all.flatMap((s) => s.endpoints ?? []).find((e) => e.targetRef?.name === podName);
}

function sizes(slices: readonly EndpointSlice[]): number[] {
  return slices.map((s) => s.endpoints?.length ?? 0).sort((a, b) => b - a);
}

test('250 pods make 3 slices of at most 100, each with the service labels, owner and ports', () => {
  const svc = service();
  const c = reconcileSlices(svc, pods(250), zones, []);
  assert.equal(c.update.length + c.delete.length, 0);
  assert.deepEqual(sizes(c.create), [100, 100, 50]);
  for (const s of c.create) {
    assert.equal(s.metadata?.generateName, 'web-');
    assert.equal(s.metadata?.namespace, 'default');
    assert.equal(s.addressType, 'IPv4');
    assert.deepEqual(s.metadata?.labels, { [LABEL_SERVICE_NAME]: 'web', [LABEL_MANAGED_BY]: CONTROLLER_NAME });
    assert.deepEqual(s.metadata?.ownerReferences, [
      { apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'uid-svc-web', controller: true, blockOwnerDeletion: true },
    ]);
    assert.deepEqual(s.ports, [{ name: 'http', protocol: 'TCP', port: 8080 }]);
  }
  const all = c.create.flatMap((s) => s.endpoints ?? []);
  assert.equal(new Set(all.map((e) => e.targetRef?.name)).size, 250);
});

test('the slice size limit is a parameter', () => {
  const c = reconcileSlices(service(), pods(25), zones, [], 10);
  assert.deepEqual(sizes(c.create), [10, 10, 5]);
});

test('a ready pod becomes one endpoint with its address, node, zone, conditions and pod reference', () => {
  const store = converge(service(), [pod('a', { ip: '10.0.0.7', node: 'node-2' })]);
  assert.deepEqual(endpointOf(store, 'a'), {
    addresses: ['10.0.0.7'],
    conditions: { ready: true, serving: true, terminating: false },
    targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' },
    nodeName: 'node-2',
    zone: 'zone-b',
  });
});

test('once in step, reconciling again writes nothing', () => {
  const svc = service();
  const ps = pods(250);
  const store = converge(svc, ps);
  assert.deepEqual(reconcileSlices(svc, ps, zones, store.all), { create: [], update: [], delete: [] });
  // Slices come back from the apiserver in any order.
  assert.deepEqual(reconcileSlices(svc, ps, zones, [...store.all].reverse()), { create: [], update: [], delete: [] });
});

test('a pod that stops being ready is updated in place: one slice written, ready=false', () => {
  const svc = service();
  const ps = pods(250);
  const store = converge(svc, ps);
  const changed = ps.map((p) => (p.metadata?.name === 'p120' ? pod('p120', { ip: p.status?.podIP ?? '', ready: false }) : p));
  const c = reconcileSlices(svc, changed, zones, store.all);
  assert.equal(c.create.length + c.delete.length, 0);
  assert.equal(c.update.length, 1);
  const ep = c.update[0]!.endpoints?.find((e) => e.targetRef?.name === 'p120');
  assert.deepEqual(ep?.conditions, { ready: false, serving: false, terminating: false });
  assert.equal(c.update[0]!.endpoints?.length, 100, 'the other endpoints stay where they are');
});

test('a terminating pod is not ready but still serving, and marked terminating', () => {
  const svc = service();
  const store = converge(svc, [pod('a', { ip: '10.0.0.1' }), pod('b', { ip: '10.0.0.2' })]);
  const c = reconcileSlices(svc, [pod('a', { ip: '10.0.0.1' }), pod('b', { ip: '10.0.0.2', deleting: true })], zones, store.all);
  store.apply(c);
  assert.deepEqual(endpointOf(store, 'b')?.conditions, { ready: false, serving: true, terminating: true });
  assert.deepEqual(endpointOf(store, 'a')?.conditions, { ready: true, serving: true, terminating: false });
});

test('publishNotReadyAddresses makes not-ready and terminating pods ready', () => {
  const svc = service('web', { publishNotReadyAddresses: true });
  const store = converge(svc, [pod('a', { ip: '10.0.0.1', ready: false }), pod('b', { ip: '10.0.0.2', deleting: true })]);
  assert.deepEqual(endpointOf(store, 'a')?.conditions, { ready: true, serving: true, terminating: false });
  assert.deepEqual(endpointOf(store, 'b')?.conditions, { ready: true, serving: true, terminating: true });
});

test('a deleted pod is removed from its slice; the other slices are left alone', () => {
  const svc = service();
  const ps = pods(250);
  const store = converge(svc, ps);
  const c = reconcileSlices(svc, ps.filter((p) => p.metadata?.name !== 'p007'), zones, store.all);
  assert.equal(c.create.length + c.delete.length, 0);
  assert.equal(c.update.length, 1);
  store.apply(c);
  assert.equal(endpointOf(store, 'p007'), undefined);
  assert.deepEqual(sizes(store.all), [100, 99, 50]);
});

test('new endpoints fill the slice being written anyway before touching others', () => {
  const svc = service();
  const ps = pods(250);
  const store = converge(svc, ps);
  // p007 and p008 go, two new pods come: they take their places in that slice, which is written anyway.
  const gone = new Set(['p007', 'p008']);
  const next = [...ps.filter((p) => !gone.has(p.metadata?.name ?? '')), pod('new1', { ip: '10.2.0.1' }), pod('new2', { ip: '10.2.0.2' })];
  const c = reconcileSlices(svc, next, zones, store.all);
  assert.equal(c.create.length + c.delete.length, 0);
  assert.equal(c.update.length, 1);
  assert.ok(c.update[0]!.endpoints?.some((e) => e.targetRef?.name === 'new1'));
  assert.ok(c.update[0]!.endpoints?.some((e) => e.targetRef?.name === 'p006'));
  store.apply(c);
  assert.deepEqual(sizes(store.all), [100, 100, 50]);
});

test('new endpoints go into the unchanged slice they fit best, else into a new slice', () => {
  const svc = service();
  const ps = pods(250);
  const store = converge(svc, ps);
  const add30 = Array.from({ length: 30 }, (_, i) => pod(`n${i}`, { ip: `10.3.0.${i + 1}` }));
  const c = reconcileSlices(svc, [...ps, ...add30], zones, store.all);
  assert.equal(c.create.length + c.delete.length, 0);
  assert.deepEqual(sizes(c.update), [80]);
  store.apply(c);

  const add25 = Array.from({ length: 25 }, (_, i) => pod(`m${i}`, { ip: `10.4.0.${i + 1}` }));
  const c2 = reconcileSlices(svc, [...ps, ...add30, ...add25], zones, store.all);
  assert.equal(c2.update.length, 0, 'no slice has room for all 25');
  assert.deepEqual(sizes(c2.create), [25]);
});

test('of the unchanged slices that can take all new endpoints, the one left fullest is chosen', () => {
  const svc = service();
  const ps = pods(250);
  const store = converge(svc, ps);
  const inFirst = new Set(store.all.find((s) => s.endpoints?.length === 100)!.endpoints!.slice(0, 30).map((e) => e.targetRef?.name));
  const fewer = ps.filter((p) => !inFirst.has(p.metadata?.name));
  store.apply(reconcileSlices(svc, fewer, zones, store.all));
  assert.deepEqual(sizes(store.all), [100, 70, 50]);
  const add25 = Array.from({ length: 25 }, (_, i) => pod(`n${i}`, { ip: `10.3.0.${i + 1}` }));
  const c = reconcileSlices(svc, [...fewer, ...add25], zones, store.all);
  assert.deepEqual(sizes(c.update), [95]);
});

test('the last pod leaving turns its slice into the empty placeholder (an update, not a delete and create)', () => {
  const svc = service();
  const store = converge(svc, [pod('a', { ip: '10.0.0.1' })]);
  const [before] = store.all;
  const c = reconcileSlices(svc, [], zones, store.all);
  assert.deepEqual([c.create.length, c.update.length, c.delete.length], [0, 1, 0]);
  assert.equal(c.update[0]!.metadata?.name, before!.metadata?.name);
  assert.equal(c.update[0]!.metadata?.resourceVersion, before!.metadata?.resourceVersion);
  assert.deepEqual(c.update[0]!.endpoints, []);
  assert.deepEqual(c.update[0]!.ports, []);
  store.apply(c);
  assert.deepEqual(reconcileSlices(svc, [], zones, store.all), { create: [], update: [], delete: [] });
});

test('a service with no pods gets one placeholder slice; the first pod reuses it', () => {
  const svc = service();
  const store = converge(svc, []);
  assert.equal(store.all.length, 1);
  assert.deepEqual(store.all[0]!.endpoints, []);
  const name = store.all[0]!.metadata?.name;
  const c = reconcileSlices(svc, [pod('a', { ip: '10.0.0.1' })], zones, store.all);
  assert.deepEqual([c.create.length, c.update.length, c.delete.length], [0, 1, 0]);
  assert.equal(c.update[0]!.metadata?.name, name);
  assert.deepEqual(c.update[0]!.ports, [{ name: 'http', protocol: 'TCP', port: 8080 }]);
});

test('slices with surplus empty capacity are deleted when their endpoints all leave', () => {
  const svc = service();
  const ps = pods(250);
  const store = converge(svc, ps);
  const c = reconcileSlices(svc, ps.slice(0, 100), zones, store.all);
  store.apply(c);
  assert.deepEqual(sizes(store.all), [100]);
  assert.equal(c.delete.length, 2);
});

test('a named targetPort resolves per pod; different resolutions go to different slices', () => {
  const svc = service('web', { ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'web' }] });
  const ps = [
    pod('a', { ip: '10.0.0.1', ports: [{ name: 'web', containerPort: 8080 }] }),
    pod('b', { ip: '10.0.0.2', ports: [{ name: 'web', containerPort: 9090 }] }),
    pod('c', { ip: '10.0.0.3', ports: [{ name: 'web', containerPort: 8080 }] }),
    pod('d', { ip: '10.0.0.4', ports: [{ name: 'web', containerPort: 8080, protocol: 'UDP' }] }),
  ];
  const store = converge(svc, ps);
  const byPort = new Map(store.all.map((s) => [s.ports?.[0]?.port ?? 0, (s.endpoints ?? []).map((e) => e.targetRef?.name).sort()]));
  assert.deepEqual(byPort, new Map([
    [8080, ['a', 'c']],
    [9090, ['b']],
    // d's "web" is UDP, the service port TCP: d serves no port of this service.
    [0, ['d']],
  ]));
});

test('a numeric targetPort is used as is, and an unset one means the service port', () => {
  const svc = service('web', {
    ports: [
      { name: 'a', protocol: 'TCP', port: 80, targetPort: 8080 },
      { name: 'b', protocol: 'UDP', port: 53 },
    ],
  });
  const c = reconcileSlices(svc, [pod('x', { ip: '10.0.0.1' })], zones, []);
  assert.deepEqual(c.create[0]!.ports, [
    { name: 'a', protocol: 'TCP', port: 8080 },
    { name: 'b', protocol: 'UDP', port: 53 },
  ]);
});

test('pods without an IP, unscheduled, finished, elsewhere or not selected are left out', () => {
  const ps = [
    pod('ok', { ip: '10.0.0.1' }),
    pod('no-ip', { ip: null }),
    pod('unscheduled', { ip: '10.0.0.3', node: null }),
    pod('done', { ip: '10.0.0.4', phase: 'Succeeded' }),
    pod('failed', { ip: '10.0.0.5', phase: 'Failed' }),
    pod('other-ns', { ip: '10.0.0.6', namespace: 'other' }),
    pod('other-app', { ip: '10.0.0.7', labels: { app: 'db' } }),
  ];
  const store = converge(service(), ps);
  assert.deepEqual(store.all.flatMap((s) => s.endpoints ?? []).map((e) => e.targetRef?.name), ['ok']);
});

test('zone comes from the node label; pods on unknown nodes wait for their node', () => {
  const ps = [pod('a', { ip: '10.0.0.1', node: 'node-1' }), pod('b', { ip: '10.0.0.2', node: 'node-3' }), pod('c', { ip: '10.0.0.3', node: 'ghost' })];
  const store = converge(service(), ps);
  assert.equal(endpointOf(store, 'a')?.zone, 'zone-a');
  assert.equal(endpointOf(store, 'b')?.zone, undefined, 'no zone label, no zone');
  assert.equal(endpointOf(store, 'c'), undefined);
  const published = converge(service('web', { publishNotReadyAddresses: true }), ps);
  assert.equal(endpointOf(published, 'c')?.nodeName, 'ghost');
});

test('a node changing zone updates its endpoints', () => {
  const svc = service();
  const ps = [pod('a', { ip: '10.0.0.1', node: 'node-1' })];
  const store = converge(svc, ps);
  const c = reconcileSlices(svc, ps, new Map([['node-1', 'zone-z']]), store.all);
  assert.equal(c.update[0]?.endpoints?.[0]?.zone, 'zone-z');
});

test('hostname is set when the pod subdomain is the service name', () => {
  const ps = [
    pod('a', { ip: '10.0.0.1', hostname: 'a-host', subdomain: 'web' }),
    pod('b', { ip: '10.0.0.2', hostname: 'b-host', subdomain: 'other' }),
  ];
  const store = converge(service(), ps);
  assert.equal(endpointOf(store, 'a')?.hostname, 'a-host');
  assert.equal(endpointOf(store, 'b')?.hostname, undefined);
});

test('service labels are copied to its slices and label changes rewrite them; headless services are marked', () => {
  const store = converge(service('web', {}, { team: 'blue' }), pods(3));
  assert.equal(store.all[0]!.metadata?.labels?.['team'], 'blue');
  const relabelled = service('web', { clusterIP: 'None' }, { team: 'red' });
  const c = reconcileSlices(relabelled, pods(3), zones, store.all);
  assert.equal(c.update.length, 1);
  assert.deepEqual(c.update[0]!.metadata?.labels, {
    team: 'red',
    'service.kubernetes.io/headless': '',
    [LABEL_SERVICE_NAME]: 'web',
    [LABEL_MANAGED_BY]: CONTROLLER_NAME,
  });
});

test('slices of an earlier service with the same name, or of another address type, are replaced', () => {
  const store = converge(service(), pods(3));
  const [old] = store.all;
  const recreated = { ...service(), metadata: { ...service().metadata, uid: 'uid-svc-web-2' } };
  const c = reconcileSlices(recreated, pods(3), zones, store.all);
  assert.deepEqual([c.create.length, c.update.length, c.delete.length], [1, 0, 1]);
  assert.equal(c.delete[0]!.metadata?.name, old!.metadata?.name);
  assert.equal(c.create[0]!.metadata?.ownerReferences?.[0]?.uid, 'uid-svc-web-2');

  const ipv6 = { ...structuredClone(old!), addressType: 'IPv6' };
  const c2 = reconcileSlices(service(), pods(3), zones, [ipv6]);
  assert.deepEqual([c2.create.length, c2.update.length, c2.delete.length], [1, 0, 1]);
});

test('services without a selector, ExternalName services and the kubernetes service are left alone', () => {
  const store = converge(service(), pods(3));
  const none = { create: [], update: [], delete: [] };
  assert.deepEqual(reconcileSlices(service('web', { selector: {} }), [], zones, store.all), none);
  assert.deepEqual(reconcileSlices(service('web', { type: 'ExternalName', externalName: 'example.org' }), [], zones, store.all), none);
  assert.deepEqual(reconcileSlices(service('kubernetes', {}), pods(3), zones, []), none);
});

test('nothing is created for a service being deleted', () => {
  const svc = service();
  svc.metadata!.deletionTimestamp = '2024-01-01T00:00:00Z';
  assert.deepEqual(reconcileSlices(svc, pods(3), zones, []).create, []);
});

test('an endpoint listed twice is kept once', () => {
  const svc = service();
  const store = converge(svc, pods(3));
  const [s] = store.all;
  const dup = { ...structuredClone(s!), endpoints: [...(s!.endpoints ?? []), structuredClone(s!.endpoints![0]!)] };
  const c = reconcileSlices(svc, pods(3), zones, [dup]);
  assert.equal(c.update[0]?.endpoints?.length, 3);
});

test('countEndpointChanges counts endpoints that appear and disappear', () => {
  const svc = service();
  const ps = pods(150);
  const store = converge(svc, ps);
  const next = [...ps.slice(10), ...pods(3).map((p, i) => pod(`z${i}`, { ip: `10.9.0.${i + 1}` }))];
  const c = reconcileSlices(svc, next, zones, store.all);
  assert.deepEqual(countEndpointChanges(store.all, c), { added: 3, removed: 10 });
});
