import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lookupResource, objectRef, parseTargets, qualifiedSingular, resolveResource, TargetError, UnknownKindError } from './kinds.js';

test('kinds resolve by plural, singular, kind, short name and group-qualified name, case-insensitively', () => {
  const cases: Array<[string, string]> = [
    ['pods', 'pods'],
    ['pod', 'pods'],
    ['po', 'pods'],
    ['Pod', 'pods'],
    ['svc', 'services'],
    ['Service', 'services'],
    ['deploy', 'deployments'],
    ['deployment', 'deployments'],
    ['deployments.apps', 'deployments'],
    ['deployments.v1.apps', 'deployments'],
    ['rs', 'replicasets'],
    ['ep', 'endpoints'],
    ['endpoints', 'endpoints'],
    ['eps', 'endpointslices'],
    ['EndpointSlice', 'endpointslices'],
    ['endpointslices.discovery.k8s.io', 'endpointslices'],
    ['no', 'nodes'],
    ['ns', 'namespaces'],
    ['lease', 'leases'],
    ['leases.coordination.k8s.io', 'leases'],
  ];
  for (const [text, want] of cases) assert.equal(lookupResource(text), want, text);
});

test('an unknown kind or a wrong group is refused with kubectl\'s message', () => {
  assert.equal(lookupResource('foo'), undefined);
  assert.equal(lookupResource('deployments.core'), undefined);
  assert.equal(lookupResource('pods.apps'), undefined);
  assert.throws(() => resolveResource('foo'), (e: unknown) => e instanceof UnknownKindError && e.message === 'the server doesn\'t have a resource type "foo"');
});

test('objects are named kind.group/name, the core group without a suffix', () => {
  assert.equal(objectRef('deployments', 'hello'), 'deployment.apps/hello');
  assert.equal(objectRef('services', 'hello'), 'service/hello');
  assert.equal(objectRef('endpoints', 'hello'), 'endpoints/hello');
  assert.equal(qualifiedSingular('endpointslices'), 'endpointslice.discovery.k8s.io');
  assert.equal(qualifiedSingular('leases'), 'lease.coordination.k8s.io');
});

test('positional arguments: KIND NAME..., KIND/NAME..., and KIND,KIND', () => {
  assert.deepEqual(parseTargets(['po', 'a', 'b']), [{ resource: 'pods', names: ['a', 'b'] }]);
  assert.deepEqual(parseTargets(['deploy/a', 'svc/b', 'deployment/c']), [
    { resource: 'deployments', names: ['a', 'c'] },
    { resource: 'services', names: ['b'] },
  ]);
  assert.deepEqual(parseTargets(['svc,deploy,svc']), [
    { resource: 'services', names: [] },
    { resource: 'deployments', names: [] },
  ]);
});

test('mixed or incomplete argument forms are usage errors', () => {
  assert.throws(() => parseTargets([]), /you must specify the type of resource to get/);
  assert.throws(() => parseTargets([], 'delete'), /to delete/);
  assert.throws(() => parseTargets(['pods', 'svc/x']), TargetError);
  assert.throws(() => parseTargets(['pods/']), /resource\/name form/);
  assert.throws(() => parseTargets(['pods/a', 'b']), /resource\/name form/);
  assert.throws(() => parseTargets(['svc,po', 'x']), TargetError);
  assert.throws(() => parseTargets(['bogus/x']), UnknownKindError);
});
