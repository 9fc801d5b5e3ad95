import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asList, formatObjects, sortKeys, toJson, toYaml } from './output.js';

const svc = { status: {}, spec: { type: 'ClusterIP', ports: [{ protocol: 'TCP', port: 80 }] }, metadata: { name: 'web', creationTimestamp: '2026-01-01T00:00:00Z' }, kind: 'Service', apiVersion: 'v1' };

test('objects print with sorted keys, as kubectl does', () => {
  assert.deepEqual(Object.keys(sortKeys(svc) as object), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  assert.deepEqual(Object.keys(svc), ['status', 'spec', 'metadata', 'kind', 'apiVersion'], 'the input is not modified');
});

test('-o yaml: sequences at their key\'s indentation, timestamps quoted', () => {
  assert.equal(
    toYaml(svc),
    [
      'apiVersion: v1',
      'kind: Service',
      'metadata:',
      '  creationTimestamp: "2026-01-01T00:00:00Z"',
      '  name: web',
      'spec:',
      '  ports:',
      '  - port: 80',
      '    protocol: TCP',
      '  type: ClusterIP',
      'status: {}',
      '',
    ].join('\n'),
  );
});

test('-o json: four-space indentation', () => {
  assert.equal(toJson({ b: 1, a: [true] }), '{\n    "a": [\n        true\n    ],\n    "b": 1\n}\n');
});

test('one named object prints alone; anything else is a kind: List', () => {
  assert.equal(formatObjects('json', [svc], true), toJson(svc));
  const list = JSON.parse(formatObjects('json', [svc], false)) as { kind: string; items: unknown[] };
  assert.equal(list.kind, 'List');
  assert.equal(list.items.length, 1);
  assert.deepEqual(asList([]), { apiVersion: 'v1', items: [], kind: 'List', metadata: { resourceVersion: '' } });
  assert.match(formatObjects('yaml', [], false), /^apiVersion: v1\nitems: \[\]\nkind: List\n/);
});
