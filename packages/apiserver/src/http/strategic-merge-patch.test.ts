import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isApiError, objectSchema } from '@kemu/api';
import { PATCH_STRATEGIES } from './patch-meta.js';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';

const DEPLOYMENT = 'kemu.api.apps.v1.Deployment';
const NODE = 'kemu.api.core.v1.Node';

const deployment = {
  metadata: { name: 'web', labels: { app: 'web', tier: 'front' }, finalizers: ['a'] },
  spec: {
    replicas: 2,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } },
    template: {
      spec: {
        containers: [
          { name: 'main', image: 'v1', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }] },
          { name: 'side', image: 's1' },
        ],
        tolerations: [{ key: 'x' }, { key: 'y' }],
      },
    },
  },
};

test('every patch strategy names a list or message field of the schema', () => {
  for (const key of Object.keys(PATCH_STRATEGIES)) {
    const i = key.lastIndexOf('.');
    const kind = objectSchema[key.slice(0, i)]?.[key.slice(i + 1)];
    assert.ok(kind, `${key} is in the schema`);
    assert.ok(kind.k === 'list' || kind.k === 'message', `${key} is a list or a message`);
  }
});

test('lists with a merge key merge element by element; other lists are replaced', () => {
  const out = applyStrategicMergePatch(
    deployment,
    { spec: { template: { spec: { containers: [{ name: 'side', image: 's2' }], tolerations: [{ key: 'z' }] } } } },
    DEPLOYMENT,
  ) as typeof deployment;
  assert.deepEqual(out.spec.template.spec.containers.map((c) => [c.name, c.image]), [['main', 'v1'], ['side', 's2']]);
  assert.deepEqual(out.spec.template.spec.tolerations, [{ key: 'z' }], 'tolerations have no merge strategy');
  assert.equal(deployment.spec.template.spec.containers[1]!.image, 's1', 'input untouched');
});

test('null deletes map keys; $patch: delete removes a list element by its merge key', () => {
  const out = applyStrategicMergePatch(
    deployment,
    { metadata: { labels: { tier: null } }, spec: { template: { spec: { containers: [{ name: 'side', $patch: 'delete' }] } } } },
    DEPLOYMENT,
  ) as typeof deployment;
  assert.deepEqual(out.metadata.labels, { app: 'web' });
  assert.deepEqual(out.spec.template.spec.containers.map((c) => c.name), ['main']);
});

test('$patch: replace on a list and on a map', () => {
  const out = applyStrategicMergePatch(
    deployment,
    { spec: { template: { spec: { containers: [{ name: 'only', image: 'o' }, { $patch: 'replace' }] } } }, metadata: { labels: { $patch: 'replace', fresh: 'yes' } } },
    DEPLOYMENT,
  ) as typeof deployment;
  assert.deepEqual(out.spec.template.spec.containers, [{ name: 'only', image: 'o' }]);
  assert.deepEqual(out.metadata.labels, { fresh: 'yes' });
});

test('$retainKeys clears the keys it does not name (Deployment strategy)', () => {
  const out = applyStrategicMergePatch(deployment, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }, DEPLOYMENT) as typeof deployment;
  assert.deepEqual(out.spec.strategy, { type: 'Recreate' });
});

test('$setElementOrder orders a merged list; elements only on the server follow', () => {
  const out = applyStrategicMergePatch(
    deployment,
    { spec: { template: { spec: { ['$setElementOrder/containers']: [{ name: 'new' }, { name: 'main' }], containers: [{ name: 'new', image: 'n' }] } } } },
    DEPLOYMENT,
  ) as typeof deployment;
  assert.deepEqual(out.spec.template.spec.containers.map((c) => c.name), ['new', 'main', 'side']);
});

test('primitive lists with a merge strategy are sets; $deleteFromPrimitiveList removes', () => {
  const added = applyStrategicMergePatch(deployment, { metadata: { finalizers: ['b', 'a'] } }, DEPLOYMENT) as typeof deployment;
  assert.deepEqual(added.metadata.finalizers, ['a', 'b']);
  const removed = applyStrategicMergePatch(added, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, DEPLOYMENT) as typeof deployment;
  assert.deepEqual(removed.metadata.finalizers, ['b']);
});

test('kubectl cordon and uncordon patches', () => {
  const node = { metadata: { name: 'n' }, spec: { podCIDR: '10.0.0.0/24' } };
  const cordoned = applyStrategicMergePatch(node, { spec: { unschedulable: true } }, NODE);
  assert.deepEqual(cordoned, { metadata: { name: 'n' }, spec: { podCIDR: '10.0.0.0/24', unschedulable: true } });
  assert.deepEqual(applyStrategicMergePatch(cordoned, { spec: { unschedulable: null } }, NODE), node);
});

test('malformed directives are 400 BadRequest', () => {
  const bad = [
    { spec: { template: { spec: { containers: [{ image: 'no-name' }] } } } },
    { spec: { template: { spec: { containers: [{ name: 'x', $patch: 'explode' }] } } } },
    { metadata: { $patch: 'sideways' } },
  ];
  for (const p of bad) assert.throws(() => applyStrategicMergePatch(deployment, p, DEPLOYMENT), (e) => isApiError(e) && e.code === 400, JSON.stringify(p));
  assert.throws(() => applyStrategicMergePatch(deployment, [1], DEPLOYMENT), (e) => isApiError(e) && e.code === 400);
});
