import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiGroup, coreVersions, groupList, resourceList } from './discovery.js';

type Res = { name: string; kind: string; namespaced: boolean; verbs: string[]; shortNames?: string[]; group?: string; version?: string; categories?: string[] };

test('core and named groups', () => {
  assert.deepEqual(coreVersions('127.0.2.1:8080'), {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.2.1:8080' }],
  });
  const groups = (groupList() as { groups: { name: string; preferredVersion: { groupVersion: string } }[] }).groups;
  assert.deepEqual(groups.map((g) => [g.name, g.preferredVersion.groupVersion]), [
    ['apps', 'apps/v1'],
    ['coordination.k8s.io', 'coordination.k8s.io/v1'],
    ['discovery.k8s.io', 'discovery.k8s.io/v1'],
  ]);
  assert.deepEqual(apiGroup('apps'), { kind: 'APIGroup', apiVersion: 'v1', name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } });
});

test('resource lists name kinds, scope, verbs, short names and subresources', () => {
  const core = resourceList({ group: '', version: 'v1' }) as { groupVersion: string; resources: Res[] };
  assert.equal(core.groupVersion, 'v1');
  const byName = new Map(core.resources.map((r) => [r.name, r]));
  assert.deepEqual([...byName.keys()].sort(), [
    'endpoints', 'namespaces', 'namespaces/status', 'nodes', 'nodes/status', 'pods', 'pods/status', 'services', 'services/status',
  ]);
  assert.equal(byName.get('nodes')?.namespaced, false);
  assert.deepEqual(byName.get('services')?.shortNames, ['svc']);
  assert.deepEqual(byName.get('pods')?.categories, ['all']);
  assert.ok(byName.get('pods')?.verbs.includes('watch'));
  assert.deepEqual(byName.get('pods/status')?.verbs, ['get', 'patch', 'update']);
  const apps = resourceList({ group: 'apps', version: 'v1' }) as { resources: Res[] };
  const scale = apps.resources.find((r) => r.name === 'deployments/scale');
  assert.deepEqual([scale?.group, scale?.version, scale?.kind], ['autoscaling', 'v1', 'Scale']);
  assert.deepEqual(apps.resources.find((r) => r.name === 'deployments')?.shortNames, ['deploy']);
});
