import assert from 'node:assert/strict';
import { test } from 'node:test';
import { swapTaints, tolerates } from './taints.js';

const unreachable = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };

test('tolerations match taints by key, operator, value and effect', () => {
  assert.equal(tolerates({ key: unreachable.key, operator: 'Exists' }, unreachable), true, 'empty effect matches any effect');
  assert.equal(tolerates({ key: unreachable.key, operator: 'Exists', effect: 'NoSchedule' }, unreachable), false);
  assert.equal(tolerates({ operator: 'Exists' }, unreachable), true, 'Exists with no key tolerates everything');
  assert.equal(tolerates({ key: unreachable.key }, unreachable), true, 'Equal is the default; both values empty');
  assert.equal(tolerates({ key: unreachable.key, value: 'x' }, unreachable), false);
  assert.equal(tolerates({ key: 'dedicated', operator: 'Equal', value: 'db' }, { key: 'dedicated', value: 'db', effect: 'NoSchedule' }), true);
  assert.equal(tolerates({ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }, unreachable), false);
  assert.equal(tolerates({ key: unreachable.key, operator: 'Bogus' }, unreachable), false);
});

test('swapTaints replaces by (key, effect) and keeps foreign taints in order', () => {
  const out = swapTaints(
    [{ key: 'a', effect: 'NoSchedule' }, { ...unreachable, timeAdded: 'old' }, { key: 'b', effect: 'NoSchedule' }],
    [{ ...unreachable, timeAdded: 'new' }, { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }],
    [{ key: 'b', effect: 'NoSchedule' }],
  );
  assert.deepEqual(out, [
    { key: 'a', effect: 'NoSchedule' },
    { ...unreachable, timeAdded: 'new' },
    { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
  ]);
});
