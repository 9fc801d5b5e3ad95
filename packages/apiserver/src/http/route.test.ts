import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePath } from './route.js';

test('discovery and openapi paths', () => {
  assert.deepEqual(parsePath('/version'), { kind: 'version' });
  assert.deepEqual(parsePath('/api'), { kind: 'core-versions' });
  assert.deepEqual(parsePath('/api/v1'), { kind: 'resource-list', gv: { group: '', version: 'v1' } });
  assert.deepEqual(parsePath('/apis'), { kind: 'group-list' });
  assert.deepEqual(parsePath('/apis/apps'), { kind: 'group', group: 'apps' });
  assert.deepEqual(parsePath('/apis/apps/v1/'), { kind: 'resource-list', gv: { group: 'apps', version: 'v1' } });
  assert.deepEqual(parsePath('/openapi/v2'), { kind: 'openapi-v2' });
  assert.deepEqual(parsePath('/openapi/v3'), { kind: 'openapi-v3-root' });
  assert.deepEqual(parsePath('/openapi/v3/api/v1'), { kind: 'openapi-v3', gv: { group: '', version: 'v1' } });
  assert.deepEqual(parsePath('/openapi/v3/apis/discovery.k8s.io/v1'), { kind: 'openapi-v3', gv: { group: 'discovery.k8s.io', version: 'v1' } });
});

test('unknown groups, versions and resources are not found', () => {
  for (const p of ['/apis/batch/v1/jobs', '/api/v2', '/apis/apps/v1beta1', '/api/v1/configmaps', '/openapi/v3/apis/batch/v1', '/nope', '/api/v1/pods/x/exec']) {
    assert.deepEqual(parsePath(p), { kind: 'not-found' }, p);
  }
});

test('namespaced and cluster-scoped resource paths', () => {
  assert.deepEqual(parsePath('/api/v1/namespaces/default/pods'), {
    kind: 'resource', resource: 'pods', namespace: 'default', name: '', subresource: '', watchPath: false,
  });
  assert.deepEqual(parsePath('/api/v1/pods'), { kind: 'resource', resource: 'pods', namespace: '', name: '', subresource: '', watchPath: false });
  assert.deepEqual(parsePath('/apis/apps/v1/namespaces/web/deployments/front/scale'), {
    kind: 'resource', resource: 'deployments', namespace: 'web', name: 'front', subresource: 'scale', watchPath: false,
  });
  assert.deepEqual(parsePath('/api/v1/nodes/node-1/status'), { kind: 'resource', resource: 'nodes', namespace: '', name: 'node-1', subresource: 'status', watchPath: false });
  // A namespace is itself a resource under /api/v1/namespaces.
  assert.deepEqual(parsePath('/api/v1/namespaces/kube-system'), {
    kind: 'resource', resource: 'namespaces', namespace: '', name: 'kube-system', subresource: '', watchPath: false,
  });
  assert.deepEqual(parsePath('/api/v1/namespaces/kube-system/status'), {
    kind: 'resource', resource: 'namespaces', namespace: '', name: 'kube-system', subresource: 'status', watchPath: false,
  });
  assert.deepEqual(parsePath('/api/v1/watch/namespaces/default/services'), {
    kind: 'resource', resource: 'services', namespace: 'default', name: '', subresource: '', watchPath: true,
  });
  assert.deepEqual(parsePath('/api/v1/namespaces/a%2Fb/pods'), { kind: 'resource', resource: 'pods', namespace: 'a/b', name: '', subresource: '', watchPath: false });
});

test('subresources only where Kubernetes has them', () => {
  assert.deepEqual(parsePath('/api/v1/namespaces/default/services/x/scale'), { kind: 'not-found' });
  assert.deepEqual(parsePath('/api/v1/namespaces/default/endpoints/x/status'), { kind: 'not-found' });
  assert.deepEqual(parsePath('/api/v1/namespaces/default/nodes'), { kind: 'not-found' }, 'nodes are cluster-scoped');
  assert.deepEqual(parsePath('/api/v1/namespaces/%E0%A4%A/pods'), { kind: 'not-found' }, 'bad escape');
});
