import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DependentsIndex } from './dependents-index.js';
import { itemKey, ownerUids, parseItemKey } from './owners.js';

test('dependents are found by owner uid and follow owner reference changes', () => {
  const idx = new DependentsIndex();
  idx.set('pods/default/a', ['rs-1']);
  idx.set('pods/default/b', ['rs-1', 'svc-1']);
  idx.set('replicasets/default/rs', ['d-1']);
  assert.deepEqual(idx.dependentsOf('rs-1').sort(), ['pods/default/a', 'pods/default/b']);
  assert.deepEqual(idx.dependentsOf('svc-1'), ['pods/default/b']);
  // b is re-owned: its old edges go.
  idx.set('pods/default/b', ['rs-2']);
  assert.deepEqual(idx.dependentsOf('rs-1'), ['pods/default/a']);
  assert.deepEqual(idx.dependentsOf('svc-1'), []);
  assert.deepEqual(idx.dependentsOf('rs-2'), ['pods/default/b']);
  idx.delete('pods/default/a');
  assert.deepEqual(idx.dependentsOf('rs-1'), []);
  idx.set('pods/default/b', []);
  assert.equal(idx.size, 1);
});

test('item keys round-trip and reject resources the collector does not watch', () => {
  const key = itemKey('endpointslices', { namespace: 'default', name: 'web-x1' });
  assert.equal(key, 'endpointslices/default/web-x1');
  assert.deepEqual(parseItemKey(key), { resource: 'endpointslices', namespace: 'default', name: 'web-x1' });
  assert.equal(parseItemKey('leases/default/x'), undefined);
  assert.equal(parseItemKey('pods/default'), undefined);
});

test('ownerUids skips references without a uid', () => {
  assert.deepEqual(ownerUids({ ownerReferences: [{ uid: 'a' }, { name: 'no-uid' }, { uid: 'b' }] }), ['a', 'b']);
  assert.deepEqual(ownerUids(undefined), []);
});
