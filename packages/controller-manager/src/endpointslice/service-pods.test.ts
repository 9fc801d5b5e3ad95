import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findPort, managesEndpoints, podChangeAffectsEndpoints, podIPv4s, shouldPodBeInEndpoints } from './service-pods.js';
import { pod, service } from './test-fixtures.js';

test('findPort: numbers as is, names looked up with the service port protocol, unset means the service port', () => {
  const p = pod('a', {
    ports: [
      { name: 'dns', containerPort: 5353, protocol: 'UDP' },
      { name: 'web', containerPort: 8080 },
    ],
  });
  assert.equal(findPort(p, { port: 80, targetPort: 9000 }), 9000);
  assert.equal(findPort(p, { port: 80, targetPort: 'web' }), 8080);
  assert.equal(findPort(p, { port: 80, protocol: 'TCP', targetPort: 'web' }), 8080);
  assert.equal(findPort(p, { port: 53, protocol: 'UDP', targetPort: 'dns' }), 5353);
  assert.equal(findPort(p, { port: 53, protocol: 'TCP', targetPort: 'dns' }), undefined);
  assert.equal(findPort(p, { port: 80, targetPort: 'nope' }), undefined);
  assert.equal(findPort(p, { port: 80 }), 80);
});

test('shouldPodBeInEndpoints: terminating pods only when asked for', () => {
  assert.equal(shouldPodBeInEndpoints(pod('a'), false), true);
  assert.equal(shouldPodBeInEndpoints(pod('a', { deleting: true }), false), false);
  assert.equal(shouldPodBeInEndpoints(pod('a', { deleting: true }), true), true);
  assert.equal(shouldPodBeInEndpoints(pod('a', { phase: 'Failed' }), true), false);
  assert.equal(shouldPodBeInEndpoints(pod('a', { ip: null }), true), false);
});

test('podIPv4s falls back to podIP and drops IPv6', () => {
  const p = pod('a', { ip: '10.0.0.1' });
  p.status!.podIPs = [{ ip: 'fd00::1' }, { ip: '10.0.0.1' }];
  assert.deepEqual(podIPv4s(p), ['10.0.0.1']);
  delete p.status!.podIPs;
  assert.deepEqual(podIPv4s(p), ['10.0.0.1']);
});

test('managesEndpoints: a non-empty selector, not ExternalName, not default/kubernetes', () => {
  assert.equal(managesEndpoints(service()), true);
  assert.equal(managesEndpoints(service('web', { selector: {} })), false);
  assert.equal(managesEndpoints(service('web', { type: 'ExternalName' })), false);
  assert.equal(managesEndpoints(service('kubernetes')), false);
});

test('podChangeAffectsEndpoints ignores status noise but not readiness or labels', () => {
  const a = pod('a', { ip: '10.0.0.1' });
  const noise = structuredClone(a);
  noise.metadata!.resourceVersion = '2';
  noise.status!.containerStatuses = [{ name: 'main', restartCount: 3 }];
  assert.equal(podChangeAffectsEndpoints(a, noise), false);
  assert.equal(podChangeAffectsEndpoints(a, pod('a', { ip: '10.0.0.1', ready: false })), true);
  assert.equal(podChangeAffectsEndpoints(a, pod('a', { ip: '10.0.0.1', labels: { app: 'db' } })), true);
  assert.equal(podChangeAffectsEndpoints(a, pod('a', { ip: '10.0.0.1', deleting: true })), true);
});
