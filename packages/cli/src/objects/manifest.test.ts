import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identifyManifest, ManifestSyntaxError, parseManifests, type ManifestDoc } from './manifest.js';

const APP = `# a comment
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
---
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  ports:
  - port: 80
`;

test('multi-document YAML: empty documents skipped, each document with its number and first line', () => {
  const docs = parseManifests(APP, 'app.yaml');
  assert.equal(docs.length, 2);
  assert.deepEqual(
    docs.map((d) => [d.index, d.line, (d.value as { kind: string }).kind]),
    [
      [1, 2, 'Deployment'],
      [2, 10, 'Service'],
    ],
  );
  assert.equal(docs[0]!.source, 'app.yaml');
});

test('JSON, several values in a row, and kind: List items', () => {
  const text = '{"apiVersion": "v1", "kind": "List", "items": [{"kind": "Service"}, {"kind": "Pod"}]}\n{"kind": "Node"}';
  assert.deepEqual(
    parseManifests(text, 'x.json').map((d) => [d.index, d.line, (d.value as { kind: string }).kind]),
    [
      [1, 1, 'Service'],
      [2, 1, 'Pod'],
      [3, 2, 'Node'],
    ],
  );
});

test('a YAML syntax error names file, line and column and shows the line', () => {
  const text = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n   labels: {}\n';
  assert.throws(
    () => parseManifests(text, 'bad.yaml'),
    (e: unknown) =>
      e instanceof ManifestSyntaxError &&
      e.pos.line === 4 &&
      e.pos.col === 9 &&
      e.message.startsWith('error parsing bad.yaml:4:9: ') &&
      e.message.includes('  4 |   name: web'),
  );
  assert.throws(() => parseManifests('a: 1\na: 2\n', 'dup.yaml'), /dup\.yaml:2:1: Map keys must be unique/);
  assert.throws(() => parseManifests('a:\n\t- 1\n', 'tab.yaml'), /tab\.yaml:2:1: Tabs are not allowed/);
  // A good document before the broken one does not make the file usable.
  assert.throws(() => parseManifests('kind: Pod\n---\nkind: [\n', 'half.yaml'), ManifestSyntaxError);
});

test('a JSON syntax error names file, line and column (YAML would have read `"b": }` as null)', () => {
  assert.throws(
    () => parseManifests('{\n  "a": 1,\n  "b": }\n', 'bad.json'),
    (e: unknown) => e instanceof ManifestSyntaxError && e.message.startsWith('error parsing bad.json:3:8: invalid JSON: expected a value'),
  );
});

const doc = (value: unknown): ManifestDoc => ({ source: 'f.yaml', index: 2, line: 7, value });
const ns = { namespace: 'default', explicit: false };

test('documents resolve to resource, name and namespace (the default or -n when the manifest has none)', () => {
  const r = identifyManifest(doc({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } }), { namespace: 'shop', explicit: true });
  assert.ok(r.ok);
  assert.equal(r.value.resource, 'deployments');
  assert.equal(r.value.namespace, 'shop');
  assert.deepEqual(r.value.object['metadata'], { name: 'web', namespace: 'shop' });
  const node = identifyManifest(doc({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', namespace: 'ignored' } }), ns);
  assert.ok(node.ok);
  assert.equal(node.value.namespace, '');
});

test('unknown kinds, missing fields and namespace clashes are explained, naming file and document', () => {
  const msg = (v: unknown, n = ns): string => {
    const r = identifyManifest(doc(v), n);
    assert.ok(!r.ok);
    return r.message;
  };
  assert.equal(
    msg({ apiVersion: 'v1', kind: 'Foo', metadata: { name: 'x' } }).split(' (kemu serves')[0],
    'error: resource mapping not found for name: "x" namespace: "" from "f.yaml" (document 2, line 7): no matches for kind "Foo" in version "v1"',
  );
  assert.match(msg({ apiVersion: 'v1', kind: 'Deployment', metadata: { name: 'x' } }), /kemu serves Deployment in version "apps\/v1"/);
  assert.match(msg({ apiVersion: 'v1', metadata: { name: 'x' } }), /Object 'Kind' is missing/);
  assert.match(msg({ kind: 'Pod', metadata: { name: 'x' } }), /Object 'apiVersion' is missing/);
  assert.match(msg({ apiVersion: 'v1', kind: 'Pod', metadata: {} }), /resource name may not be empty/);
  assert.match(msg(['a']), /expected an object, got an array/);
  assert.equal(
    msg({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x', namespace: 'a' } }, { namespace: 'b', explicit: true }),
    'error: the namespace from the provided object "a" does not match the namespace "b". You must pass \'--namespace=a\' to perform this operation.',
  );
});
