import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isApiError } from '@kemu/api';
import { deleteParams, listParams, writeParams } from './query.js';

test('list and watch parameters', () => {
  const p = listParams(new URLSearchParams('labelSelector=app%3Dweb&limit=50&continue=abc&watch=1&allowWatchBookmarks=true&timeoutSeconds=30&includeObject=Object'));
  assert.deepEqual(p, {
    labelSelector: 'app=web', fieldSelector: '', resourceVersion: '', limit: 50, continue: 'abc', watch: true, allowWatchBookmarks: true,
    sendInitialEvents: undefined, timeoutSeconds: 30, includeObject: 'Object',
  });
  assert.throws(() => listParams(new URLSearchParams('limit=ten')), (e) => isApiError(e) && e.code === 400);
  assert.throws(() => listParams(new URLSearchParams('watch=maybe')), (e) => isApiError(e) && e.code === 400);
});

test('write parameters: fieldValidation (any case) and dryRun', () => {
  assert.deepEqual(writeParams(new URLSearchParams('')), { dryRun: false, fieldValidation: 'Warn' });
  assert.deepEqual(writeParams(new URLSearchParams('fieldValidation=strict&dryRun=All')), { dryRun: true, fieldValidation: 'Strict' });
  assert.throws(() => writeParams(new URLSearchParams('fieldValidation=Loud')), (e) => isApiError(e) && e.code === 400);
  assert.throws(() => writeParams(new URLSearchParams('dryRun=Some')), (e) => isApiError(e) && e.code === 400);
});

test('delete options from the body win over the query', () => {
  const body = { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground', preconditions: { uid: 'u1' }, gracePeriodSeconds: 0 };
  assert.deepEqual(deleteParams(new URLSearchParams('propagationPolicy=Orphan&gracePeriodSeconds=5'), body), {
    gracePeriodSeconds: 0, propagationPolicy: 'Foreground', uid: 'u1', resourceVersion: '', dryRun: false,
  });
  assert.equal(deleteParams(new URLSearchParams('orphanDependents=true'), undefined).propagationPolicy, 'Orphan');
  assert.equal(deleteParams(new URLSearchParams(''), undefined).gracePeriodSeconds, -1);
  assert.throws(() => deleteParams(new URLSearchParams('propagationPolicy=Sideways'), undefined), (e) => isApiError(e) && e.code === 400);
});
