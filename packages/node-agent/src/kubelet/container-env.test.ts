import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod, core } from '@kemu/api';
import { containerEnv, expandVars, fieldRefValue } from './container-env.js';

test("$(VAR) expansion follows Kubernetes' expansion rules", () => {
  const vars = new Map([
    ['VAR_A', 'A'],
    ['VAR_B', 'B'],
    ['VAR_EMPTY', ''],
  ]);
  const cases: [string, string][] = [
    ['$(VAR_A)', 'A'],
    ['___$(VAR_B)___', '___B___'],
    ['$(VAR_A)-1', 'A-1'],
    ['$(VAR_A)$(VAR_B)', 'AB'],
    ['$$(VAR_B)_$(VAR_A)', '$(VAR_B)_A'],
    ['$(VAR_DNE)', '$(VAR_DNE)'],
    ['$(VAR_EMPTY)x', 'x'],
    ['$(VAR_A', '$(VAR_A'],
    ['$VAR_A', '$VAR_A'],
    ['$$$$$$(BIG_MONEY)', '$$$(BIG_MONEY)'],
    ['f000-$$VAR_A', 'f000-$VAR_A'],
    ['$$', '$'],
    ['$', '$'],
    ['$()', '$()'],
    ['no vars', 'no vars'],
  ];
  for (const [input, want] of cases) assert.equal(expandVars(input, [vars]), want, input);
  assert.equal(expandVars('$(X)', [new Map(), new Map([['X', 'second']])]), 'second', 'later contexts are searched too');
  assert.equal(expandVars('$(X)', [new Map([['X', 'first']]), new Map([['X', 'second']])]), 'first');
});

const pod: Pod = {
  metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', labels: { app: 'web' }, annotations: { note: 'hi' } },
  spec: { nodeName: 'node-3', containers: [] },
};
const base = { PATH: '/usr/bin:/bin', HOME: '/root' };

function env(container: core.Container, services = new Map<string, string>()): Map<string, string> {
  const r = containerEnv({ pod, container, nodeName: 'node-3', podIP: '127.77.3.5', hostIP: '127.77.3.1', services, base });
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r.env;
}

test('a container sees PATH and HOME, the pod variables, the Service variables and its own env', () => {
  const e = env({ name: 'c', env: [{ name: 'GREETING', value: 'hello' }] }, new Map([['WEB_SERVICE_HOST', '127.96.0.9']]));
  assert.deepEqual(Object.fromEntries(e), {
    PATH: '/usr/bin:/bin',
    HOME: '/root',
    POD_NAME: 'web-1',
    POD_NAMESPACE: 'shop',
    POD_IP: '127.77.3.5',
    NODE_NAME: 'node-3',
    WEB_SERVICE_HOST: '127.96.0.9',
    GREETING: 'hello',
  });
});

test('env values expand earlier entries and Service variables, not later entries; env overrides a Service variable', () => {
  const services = new Map([
    ['WEB_SERVICE_HOST', '127.96.0.9'],
    ['WEB_SERVICE_PORT', '80'],
  ]);
  const e = env(
    {
      name: 'c',
      env: [
        { name: 'URL', value: 'http://$(WEB_SERVICE_HOST):$(WEB_SERVICE_PORT)/$(LATER)' },
        { name: 'LATER', value: 'x' },
        { name: 'WEB_SERVICE_PORT', value: '8080' },
        { name: 'SELF', value: 'ip=$(POD_IP)' },
        { name: 'PATH', value: '/opt/bin' },
      ],
    },
    services,
  );
  assert.equal(e.get('URL'), 'http://127.96.0.9:80/$(LATER)');
  assert.equal(e.get('WEB_SERVICE_PORT'), '8080');
  assert.equal(e.get('SELF'), 'ip=127.77.3.5');
  assert.equal(e.get('PATH'), '/opt/bin', 'the container overrides the agent environment');
});

test('valueFrom.fieldRef reads the pod; an unknown field path stops the container with a clear message', () => {
  const refs = (fieldPath: string): core.EnvVar => ({ name: 'V', valueFrom: { fieldRef: { fieldPath } } });
  assert.equal(env({ name: 'c', env: [refs('metadata.uid')] }).get('V'), 'u-1');
  assert.equal(env({ name: 'c', env: [refs("metadata.labels['app']")] }).get('V'), 'web');
  assert.equal(env({ name: 'c', env: [refs('status.podIP')] }).get('V'), '127.77.3.5');
  const bad = containerEnv({ pod, container: { name: 'c', env: [refs('spec.nope')] }, nodeName: 'n', podIP: '', hostIP: '', services: new Map(), base });
  assert.deepEqual(bad, { ok: false, message: 'env V: unsupported fieldRef fieldPath "spec.nope"' });
});

test('downward API fields', () => {
  const ctx = { podIP: '127.77.3.5', hostIP: '127.77.3.1' };
  const want: Record<string, string> = {
    'metadata.name': 'web-1',
    'metadata.namespace': 'shop',
    'metadata.uid': 'u-1',
    'spec.nodeName': 'node-3',
    'spec.serviceAccountName': '',
    'status.podIP': '127.77.3.5',
    'status.hostIP': '127.77.3.1',
    "metadata.labels['app']": 'web',
    "metadata.labels['missing']": '',
    "metadata.annotations['note']": 'hi',
  };
  for (const [path, value] of Object.entries(want)) assert.deepEqual(fieldRefValue(pod, path, ctx), { ok: true, value }, path);
});
