import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTable, TableWriter } from './table.js';

test('columns are as wide as their widest cell plus three spaces, at least six; the last is not padded', () => {
  const lines = formatTable(['NAME', 'STATUS', 'AGE'], [
    ['default', 'Active', '5d'],
    ['kube-node-lease', 'Active', '5d'],
  ]);
  assert.deepEqual(lines, ['NAME              STATUS   AGE', 'default           Active   5d', 'kube-node-lease   Active   5d']);
  assert.deepEqual(formatTable(['A', 'B'], [['x', 'y']]), ['A     B', 'x     y']);
});

test('a writer remembers widths, so rows printed later line up and columns only grow', () => {
  const w = new TableWriter();
  assert.deepEqual(w.format([['NAME', 'READY', 'STATUS'], ['a', '1/1', 'Running']]), ['NAME   READY   STATUS', 'a      1/1     Running']);
  assert.deepEqual(w.format([['b', '0/1', 'Pending']]), ['b      0/1     Pending']);
  assert.deepEqual(w.format([['a-much-longer-name', '1/1', 'Running']]), ['a-much-longer-name   1/1     Running']);
  assert.deepEqual(w.format([['c', '1/1', 'Running']]), ['c                    1/1     Running']);
});
