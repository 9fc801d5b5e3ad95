import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { core } from '@kemu/api';
import { firstUntoleratedTaint, toleratesTaint } from './tolerations.js';

const taint: core.Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };

test('Equal needs key and value to match; an empty operator means Equal', () => {
  assert.equal(toleratesTaint({ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }, taint), true);
  assert.equal(toleratesTaint({ key: 'dedicated', value: 'gpu' }, taint), true);
  assert.equal(toleratesTaint({ key: 'dedicated', operator: 'Equal', value: 'cpu' }, taint), false);
  assert.equal(toleratesTaint({ key: 'other', operator: 'Equal', value: 'gpu' }, taint), false);
});

test('Exists ignores the value; with an empty key it matches every taint', () => {
  assert.equal(toleratesTaint({ key: 'dedicated', operator: 'Exists' }, taint), true);
  assert.equal(toleratesTaint({ key: 'other', operator: 'Exists' }, taint), false);
  assert.equal(toleratesTaint({ operator: 'Exists' }, taint), true);
  assert.equal(toleratesTaint({ operator: 'Exists' }, { key: 'x', effect: 'NoExecute' }), true);
});

test('an effect must match unless the toleration leaves it empty', () => {
  assert.equal(toleratesTaint({ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, taint), false);
  assert.equal(toleratesTaint({ operator: 'Exists', effect: 'NoSchedule' }, taint), true);
  assert.equal(toleratesTaint({ operator: 'Exists', effect: 'NoSchedule' }, { key: 'x', effect: 'NoExecute' }), false);
});

test('an empty taint value is matched by an Equal toleration without a value', () => {
  const unreachable: core.Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };
  assert.equal(toleratesTaint({ key: 'node.kubernetes.io/unreachable', operator: 'Equal', effect: 'NoExecute' }, unreachable), true);
  assert.equal(toleratesTaint({ key: 'node.kubernetes.io/unreachable', operator: 'Equal', value: 'x' }, unreachable), false);
});

test('unknown operators tolerate nothing', () => {
  assert.equal(toleratesTaint({ key: 'dedicated', operator: 'Bogus' }, taint), false);
});

test('firstUntoleratedTaint skips PreferNoSchedule and tolerated taints, in node order', () => {
  const taints: core.Taint[] = [
    { key: 'soft', effect: 'PreferNoSchedule' },
    { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
    { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
  ];
  // The default NoExecute toleration pods get for not-ready nodes does not cover NoSchedule.
  const tolerations: core.Toleration[] = [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }];
  assert.deepEqual(firstUntoleratedTaint(taints, tolerations), taints[2]);
  assert.deepEqual(firstUntoleratedTaint(taints, [...tolerations, { key: 'node.kubernetes.io/not-ready', operator: 'Exists' }]), taints[3]);
  assert.equal(firstUntoleratedTaint(taints, [{ operator: 'Exists' }]), undefined);
  assert.equal(firstUntoleratedTaint(undefined, undefined), undefined);
});
