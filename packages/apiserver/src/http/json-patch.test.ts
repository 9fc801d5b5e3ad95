import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isApiError } from '@kemu/api';
import { applyJsonPatch, parseJsonPatch } from './json-patch.js';

const doc = { metadata: { name: 'a', labels: { 'app.kubernetes.io/name': 'x' } }, spec: { ports: [{ port: 80 }, { port: 81 }] } };

test('add, remove, replace, move, copy and test, in order', () => {
  const out = applyJsonPatch(
    doc,
    parseJsonPatch([
      { op: 'test', path: '/metadata/name', value: 'a' },
      { op: 'add', path: '/spec/ports/-', value: { port: 82 } },
      { op: 'add', path: '/spec/ports/0', value: { port: 79 } },
      { op: 'remove', path: '/spec/ports/1' },
      { op: 'replace', path: '/metadata/labels/app.kubernetes.io~1name', value: 'y' },
      { op: 'copy', from: '/metadata/name', path: '/metadata/generateName' },
      { op: 'move', from: '/spec/ports/2', path: '/spec/extra' },
    ]),
  );
  assert.deepEqual(out, {
    metadata: { name: 'a', labels: { 'app.kubernetes.io/name': 'y' }, generateName: 'a' },
    spec: { ports: [{ port: 79 }, { port: 81 }], extra: { port: 82 } },
  });
  assert.equal(doc.spec.ports.length, 2, 'input untouched');
});

test('an operation that does not apply is 422 with the reason as a cause', () => {
  const cases = [
    [{ op: 'replace', path: '/spec/missing', value: 1 }],
    [{ op: 'remove', path: '/metadata/nope' }],
    [{ op: 'test', path: '/metadata/name', value: 'b' }],
    [{ op: 'add', path: '/spec/ports/7', value: 1 }],
    [{ op: 'add', path: '/no/such/parent', value: 1 }],
  ];
  for (const ops of cases) {
    assert.throws(
      () => applyJsonPatch(doc, parseJsonPatch(ops)),
      (e) => isApiError(e) && e.code === 422 && (e.status.details?.causes?.[0]?.message ?? '').length > 0,
      JSON.stringify(ops),
    );
  }
});

test('a malformed patch document is 400', () => {
  for (const bad of [{ op: 'add' }, [{ op: 'frob', path: '/a' }], [{ op: 'add', path: '/a' }], [{ op: 'move', path: '/a' }], ['x']]) {
    assert.throws(() => parseJsonPatch(bad), (e) => isApiError(e) && e.code === 400, JSON.stringify(bad));
  }
});
