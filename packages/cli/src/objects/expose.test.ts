import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment } from '@kemu/api';
import { ExposeError, parseSelectorMap, serviceForExpose } from './expose.js';

const deployment = (ports: Array<{ containerPort: number; name?: string; protocol?: string }>): Deployment => ({
  metadata: { name: 'web', namespace: 'shop', labels: { app: 'web', team: 'a' } },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'echo', image: 'kemu/echo', ports }] } },
  },
});

test('--port: one port; targetPort defaults to it; selector and labels come from the Deployment', () => {
  const svc = serviceForExpose({ resource: 'deployments', object: deployment([{ containerPort: 8080 }]) }, { port: 80, type: 'NodePort' }, 'shop');
  assert.deepEqual(svc, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'shop', labels: { app: 'web', team: 'a' } },
    spec: { ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }], selector: { app: 'web' }, type: 'NodePort' },
  });
  const named = serviceForExpose({ resource: 'deployments', object: deployment([{ containerPort: 8080 }]) }, { port: 80, targetPort: 'http', name: 'web-np' }, 'shop');
  assert.equal(named.metadata?.name, 'web-np');
  assert.equal(named.spec?.ports?.[0]?.targetPort, 'http');
  assert.equal(named.spec?.type, undefined);
});

test('without --port: the container ports, named port-N when there are several', () => {
  const one = serviceForExpose({ resource: 'deployments', object: deployment([{ containerPort: 8080, protocol: 'UDP' }]) }, {}, 'shop');
  assert.deepEqual(one.spec?.ports, [{ port: 8080, protocol: 'UDP', targetPort: 8080 }]);
  const two = serviceForExpose({ resource: 'deployments', object: deployment([{ containerPort: 8080 }, { containerPort: 9090 }]) }, {}, 'shop');
  assert.deepEqual(two.spec?.ports, [
    { name: 'port-1', port: 8080, protocol: 'TCP', targetPort: 8080 },
    { name: 'port-2', port: 9090, protocol: 'TCP', targetPort: 9090 },
  ]);
  assert.throws(() => serviceForExpose({ resource: 'deployments', object: deployment([]) }, {}, 'shop'), /couldn't find port via --port flag or introspection/);
});

test('selectors: matchExpressions cannot be exposed; pods use their labels; --selector overrides', () => {
  const d = deployment([{ containerPort: 8080 }]);
  d.spec!.selector = { matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }] };
  assert.throws(() => serviceForExpose({ resource: 'deployments', object: d }, { port: 80 }, 'shop'), ExposeError);
  assert.equal(serviceForExpose({ resource: 'deployments', object: d }, { port: 80, selector: { app: 'x' } }, 'shop').spec?.selector?.['app'], 'x');
  const pod = serviceForExpose({ resource: 'pods', object: { metadata: { name: 'p', labels: { run: 'p' } }, spec: { containers: [{ ports: [{ containerPort: 5000 }] }] } } }, {}, 'default');
  assert.deepEqual([pod.spec?.selector, pod.spec?.ports?.[0]?.port], [{ run: 'p' }, 5000]);
  assert.throws(() => serviceForExpose({ resource: 'pods', object: { metadata: { name: 'p' } } }, { port: 80 }, 'default'), /no selector/);
});

test('--selector parsing', () => {
  assert.deepEqual(parseSelectorMap('app=web,tier==front'), { app: 'web', tier: 'front' });
  assert.throws(() => parseSelectorMap('app in (a,b)'), ExposeError);
  assert.throws(() => parseSelectorMap('app!=x'), ExposeError);
});
