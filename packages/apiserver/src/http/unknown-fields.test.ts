import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pruneUnknownFields, warningHeader } from './unknown-fields.js';

test('unknown fields with a value are listed by path and removed', () => {
  const { value, unknown } = pruneUnknownFields('deployments', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', labels: { a: 'b' }, managedFields: [{ manager: 'x' }] },
    spec: { replicas: 1, bogus: 1, template: { spec: { containers: [{ name: 'c', image: 'i', tty: true }] } } },
  });
  assert.deepEqual(unknown, ['metadata.managedFields', 'spec.bogus', 'spec.template.spec.containers[0].tty']);
  assert.deepEqual(value, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', labels: { a: 'b' } },
    spec: { replicas: 1, template: { spec: { containers: [{ name: 'c', image: 'i' }] } } },
  });
});

test("empty unknown fields (kubectl's resources: {}) are dropped without a report", () => {
  const { value, unknown } = pruneUnknownFields('deployments', {
    spec: { template: { spec: { containers: [{ name: 'c', resources: {}, volumeMounts: [] }], securityContext: { seLinuxOptions: {} } } } },
  });
  assert.deepEqual(unknown, []);
  assert.deepEqual(value, { spec: { template: { spec: { containers: [{ name: 'c' }] } } } });
});

test('the Warning header quotes like Go', () => {
  assert.equal(warningHeader('unknown field "spec.x"'), '299 - "unknown field \\"spec.x\\""');
});
