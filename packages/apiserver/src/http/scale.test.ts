import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isApiError } from '@kemu/api';
import { requestedReplicas, toScale } from './scale.js';

test('the Scale of a Deployment', () => {
  const d = {
    metadata: { name: 'web', namespace: 'default', uid: 'u', resourceVersion: '9', labels: { a: 'b' } },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }] } },
    status: { replicas: 2 },
  };
  assert.deepEqual(toScale(d), {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: 'web', namespace: 'default', uid: 'u', resourceVersion: '9' },
    spec: { replicas: 3 },
    status: { replicas: 2, selector: 'app=web,tier in (a,b)' },
  });
});

test('what a written Scale asks for, and what is refused', () => {
  assert.deepEqual(requestedReplicas({ kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'web', resourceVersion: '4' }, spec: { replicas: 5 } }, 'web'), { replicas: 5, resourceVersion: '4' });
  assert.throws(() => requestedReplicas({ spec: { replicas: -1 } }, 'web'), (e) => isApiError(e) && e.code === 422 && e.message === 'Scale "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
  assert.throws(() => requestedReplicas({ spec: { replicas: 'x' } }, 'web'), (e) => isApiError(e) && e.code === 400);
  assert.throws(() => requestedReplicas({ kind: 'Deployment' }, 'web'), (e) => isApiError(e) && e.code === 400);
  assert.throws(() => requestedReplicas({ metadata: { name: 'other' } }, 'web'), (e) => isApiError(e) && e.code === 400);
});
