import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { core } from '@kemu/api';
import { canonicalJson, fnv32a, podTemplateHash, safeEncode, templatesEqual } from './pod-template-hash.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

test('fnv32a matches the published FNV-1a test vectors', () => {
  assert.equal(fnv32a(enc('')), 0x811c9dc5);
  assert.equal(fnv32a(enc('a')), 0xe40c292c);
  assert.equal(fnv32a(enc('foobar')), 0xbf9cf968);
});

test('safeEncode maps each character into the vowel-free alphabet', () => {
  assert.equal(safeEncode('0123456789'), safeEncode('0123456789'));
  assert.match(safeEncode('4294967295'), /^[bcdfghjklmnpqrstvwxz2456789]{10}$/);
  // '0' is char 48, 48 % 27 = 21 -> '4'.
  assert.equal(safeEncode('0'), '4');
});

const template = (image: string, labels: Record<string, string> = { app: 'web' }): core.PodTemplateSpec => ({
  metadata: { labels },
  spec: { containers: [{ name: 'c', image, ports: [{ containerPort: 80, protocol: 'TCP' }] }] },
});

test('the hash is stable: same input, same output, pinned value', () => {
  const h = podTemplateHash(template('nginx:1.25'));
  assert.equal(podTemplateHash(template('nginx:1.25')), h);
  assert.equal(h, safeEncode(String(fnv32a(enc(canonicalJson(template('nginx:1.25')))))));
  // Pinned so an accidental change of the encoding (which would rename every ReplicaSet) fails here.
  assert.equal(h, 'c77744db5');
});

test('key order, empty fields and the hash label do not change the hash; content does', () => {
  const a = template('nginx:1.25');
  const reordered: core.PodTemplateSpec = {
    spec: { nodeSelector: {}, tolerations: [], containers: [{ ports: [{ protocol: 'TCP', containerPort: 80 }], image: 'nginx:1.25', name: 'c' }] },
    metadata: { annotations: {}, labels: { app: 'web', 'pod-template-hash': 'whatever' } },
  };
  assert.equal(podTemplateHash(reordered), podTemplateHash(a));
  assert.equal(templatesEqual(reordered, a), true);
  assert.notEqual(podTemplateHash(template('nginx:1.26')), podTemplateHash(a));
  assert.notEqual(podTemplateHash(template('nginx:1.25', { app: 'web', v: '2' })), podTemplateHash(a));
  assert.equal(templatesEqual(template('nginx:1.26'), a), false);
});

test('the collision count changes the hash; 0 means none', () => {
  const t = template('nginx');
  assert.equal(podTemplateHash(t, 0), podTemplateHash(t));
  assert.notEqual(podTemplateHash(t, 1), podTemplateHash(t));
  assert.notEqual(podTemplateHash(t, 2), podTemplateHash(t, 1));
});
