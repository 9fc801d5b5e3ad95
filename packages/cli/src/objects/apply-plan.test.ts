import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, LAST_APPLIED, planApply, type ApplyPlan } from './apply-plan.js';
import type { JsonObject } from './json.js';

const manifest = (): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
  spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
});

/** What the apiserver stores for a created manifest: defaults, allocations, system metadata, status. */
function stored(created: JsonObject, extra: (o: JsonObject & { metadata: JsonObject; spec: JsonObject }) => void = () => undefined): Record<string, unknown> {
  const o = structuredClone(created) as JsonObject & { metadata: JsonObject; spec: JsonObject & { ports: JsonObject[] } };
  Object.assign(o.metadata, { uid: 'u-1', resourceVersion: '42', creationTimestamp: '2026-01-01T00:00:00Z', generation: 1 });
  Object.assign(o.spec, { clusterIP: '127.96.0.7', clusterIPs: ['127.96.0.7'], sessionAffinity: 'None', externalTrafficPolicy: 'Cluster' });
  for (const p of o.spec.ports) Object.assign(p, { protocol: 'TCP', nodePort: 30080 });
  o['status'] = { loadBalancer: {} };
  extra(o);
  return o;
}

const created = (p: ApplyPlan): JsonObject => {
  assert.equal(p.action, 'create');
  return (p).object;
};
const configured = (p: ApplyPlan): JsonObject & { metadata: JsonObject; spec: JsonObject & { ports: JsonObject[] } } => {
  assert.equal(p.action, 'configure');
  return (p).object as JsonObject & { metadata: JsonObject; spec: JsonObject & { ports: JsonObject[] } };
};

test('an absent object is created with the manifest recorded in the last-applied annotation', () => {
  const obj = created(planApply(manifest(), undefined));
  const ann = (obj['metadata'] as { annotations: Record<string, string> }).annotations[LAST_APPLIED]!;
  assert.equal(ann, canonicalJson(manifest() as JsonObject));
  assert.ok(ann.endsWith('}\n') && ann.startsWith('{"apiVersion":"v1","kind":"Service","metadata":{'), 'sorted keys, trailing newline');
});

test('applying the same manifest again is unchanged, whatever the server defaulted and allocated', () => {
  const live = stored(created(planApply(manifest(), undefined)));
  assert.deepEqual(planApply(manifest(), live), { action: 'unchanged' });
  // Key order and a manifest's status or system metadata make no difference.
  const reordered = { spec: manifest()['spec'], metadata: { ...(manifest()['metadata'] as object), uid: 'other', resourceVersion: '1' }, kind: 'Service', apiVersion: 'v1', status: { x: 1 } };
  assert.deepEqual(planApply(reordered, live), { action: 'unchanged' });
});

test('a changed manifest is configured: allocated clusterIP and nodePort and the resourceVersion are kept', () => {
  const live = stored(created(planApply(manifest(), undefined)));
  const m = manifest();
  (m['spec'] as { ports: Array<Record<string, unknown>> }).ports[0]!['targetPort'] = 9090;
  const obj = configured(planApply(m, live));
  assert.equal(obj.spec['clusterIP'], '127.96.0.7');
  assert.deepEqual(obj.spec.ports, [{ port: 80, targetPort: 9090, protocol: 'TCP', nodePort: 30080 }]);
  assert.equal(obj.metadata['resourceVersion'], '42');
  assert.equal(obj.metadata['uid'], 'u-1');
  assert.deepEqual(obj['status'], { loadBalancer: {} }, 'status comes from the live object');
  assert.match((obj.metadata['annotations'] as Record<string, string>)[LAST_APPLIED]!, /"targetPort":9090/);
});

test('fields set by others survive; fields removed from the manifest since the last apply are removed', () => {
  const first = manifest();
  (first['metadata'] as { labels: Record<string, string> }).labels['tier'] = 'front';
  const live = stored(created(planApply(first, undefined)), (o) => {
    (o.metadata['annotations'] as Record<string, string>)['controller/note'] = 'kept';
  });
  const obj = configured(planApply(manifest(), live));
  assert.deepEqual(obj.metadata['labels'], { app: 'web' }, 'tier was in the last applied manifest and is gone from the new one');
  assert.equal((obj.metadata['annotations'] as Record<string, string>)['controller/note'], 'kept');
  assert.equal(obj.spec['sessionAffinity'], 'None', 'server defaults are not "removed"');
});

test('replicas changed by scale stay when the manifest does not set them, and are reset when it does', () => {
  const dep = (replicas?: number): Record<string, unknown> => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: { ...(replicas === undefined ? {} : { replicas }), selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [{ name: 'echo', image: 'kemu/echo' }] } } },
  });
  const scaled = (m: Record<string, unknown>): Record<string, unknown> =>
    stored2(created(planApply(m, undefined)), (o) => ((o['spec'] as JsonObject)['replicas'] = 5));
  assert.deepEqual(planApply(dep(), scaled(dep())), { action: 'unchanged' });
  assert.equal((configured(planApply(dep(3), scaled(dep(3)))).spec['replicas']), 3);
});

function stored2(o: JsonObject, change: (o: JsonObject) => void): Record<string, unknown> {
  const c = structuredClone(o);
  (c['metadata'] as JsonObject)['resourceVersion'] = '7';
  change(c);
  return c;
}

test('lists of objects merge by key: containers by name keep server defaults; a removed element goes', () => {
  const pod = (containers: JsonObject[]): Record<string, unknown> => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers } });
  const first = pod([{ name: 'a', image: 'kemu/echo' }, { name: 'b', image: 'kemu/client' }]);
  const live = stored2(created(planApply(first, undefined)), (o) => {
    for (const c of (o['spec'] as { containers: JsonObject[] }).containers) c['imagePullPolicy'] = 'IfNotPresent';
  });
  const obj = configured(planApply(pod([{ name: 'b', image: 'kemu/client:2' }]), live));
  assert.deepEqual(obj.spec['containers'], [{ name: 'b', image: 'kemu/client:2', imagePullPolicy: 'IfNotPresent' }]);
});

test('null in a manifest removes the field; lists of scalars are replaced', () => {
  const live = stored(created(planApply(manifest(), undefined)), (o) => (o.spec['externalIPs'] = ['127.1.1.1', '127.1.1.2']));
  const m = manifest();
  Object.assign(m['spec'] as object, { externalIPs: ['127.1.1.3'], sessionAffinity: null });
  const obj = configured(planApply(m, live));
  assert.deepEqual(obj.spec['externalIPs'], ['127.1.1.3']);
  assert.ok(!('sessionAffinity' in obj.spec));
});

test('an object made without apply is configured once, with a warning flag, then unchanged', () => {
  const live = stored(manifest() as JsonObject);
  const p = planApply(manifest(), live);
  assert.equal(p.action, 'configure');
  assert.equal((p).missingAnnotation, true);
  const after = structuredClone(configured(p));
  assert.deepEqual(planApply(manifest(), after), { action: 'unchanged' });
});
