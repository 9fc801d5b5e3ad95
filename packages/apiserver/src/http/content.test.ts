import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isApiError } from '@kemu/api';
import { bodyFormat, negotiate, patchFormat } from './content.js';

const KUBECTL_GET = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

test('kubectl get asks for a Table; plain JSON otherwise', () => {
  assert.deepEqual(negotiate(KUBECTL_GET, true), { kind: 'table', apiVersion: 'meta.k8s.io/v1' });
  assert.deepEqual(negotiate('application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json', true), { kind: 'table', apiVersion: 'meta.k8s.io/v1beta1' });
  assert.deepEqual(negotiate(KUBECTL_GET, false), { kind: 'json' }, 'no Table where Kubernetes has none');
  assert.deepEqual(negotiate(undefined, true), { kind: 'json' });
  assert.deepEqual(negotiate('application/vnd.kubernetes.protobuf, */*', true), { kind: 'json' });
  assert.deepEqual(negotiate('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json', false), { kind: 'json' });
});

test('an Accept kemu cannot answer is 406', () => {
  assert.throws(() => negotiate('application/vnd.kubernetes.protobuf', true), (e) => isApiError(e) && e.code === 406);
  assert.throws(() => negotiate('application/json;as=Table;v=v2;g=meta.k8s.io', true), (e) => isApiError(e) && e.code === 406);
});

test('body and patch media types', () => {
  assert.equal(bodyFormat(undefined), 'json');
  assert.equal(bodyFormat('application/json; charset=utf-8'), 'json');
  assert.equal(bodyFormat('application/yaml'), 'yaml');
  assert.equal(bodyFormat('application/vnd.kubernetes.protobuf'), 'protobuf');
  assert.throws(() => bodyFormat('text/plain'), (e) => isApiError(e) && e.code === 415);
  assert.equal(patchFormat('application/strategic-merge-patch+json'), 'strategic-merge-patch');
  assert.equal(patchFormat('application/merge-patch+json'), 'merge-patch');
  assert.equal(patchFormat('application/json-patch+json'), 'json-patch');
  assert.throws(() => patchFormat('application/apply-patch+yaml'), (e) => isApiError(e) && e.code === 415 && /json-patch\+json/.test(e.message));
});
