import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node } from '@kemu/api';
import { FreshObjects } from './fresh-objects.js';

const node = (rv: string, uid = 'u1', unschedulable = false): Node => ({ metadata: { name: 'n1', uid, resourceVersion: rv }, spec: { unschedulable } });

test('a written object stands in for the cached one until the cache catches up', () => {
  const f = new FreshObjects<Node>();
  f.record(node('12', 'u1', true));
  assert.equal(f.resolve(node('10')).spec?.unschedulable, true);
  assert.equal(f.resolve(node('12')).spec?.unschedulable, false, 'same version: the cache wins');
  assert.equal(f.resolve(node('10')).spec?.unschedulable, false, 'and the entry is gone');
});

test('a recreated or deleted object is never replaced by what was written before', () => {
  const f = new FreshObjects<Node>();
  f.record(node('12', 'u1', true));
  assert.equal(f.resolve(node('5', 'u2')).spec?.unschedulable, false, 'another uid');
  f.record(node('12', 'u1', true));
  assert.deepEqual(f.resolveAll([]), []);
  assert.equal(f.resolve(node('10')).spec?.unschedulable, false, 'forgotten once absent from the cache');
});
