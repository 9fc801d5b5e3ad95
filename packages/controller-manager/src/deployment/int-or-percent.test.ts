import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IntOrPercentError, resolveFenceposts, scaledValue } from './int-or-percent.js';

test('percentages: surge rounds up, unavailable rounds down', () => {
  assert.deepEqual(resolveFenceposts('25%', '25%', 10), { surge: 3, unavailable: 2 });
  assert.deepEqual(resolveFenceposts('25%', '25%', 4), { surge: 1, unavailable: 1 });
  assert.deepEqual(resolveFenceposts(undefined, undefined, 3), { surge: 1, unavailable: 0 });
});

test('integers are taken as they are', () => {
  assert.deepEqual(resolveFenceposts(1, 0, 3), { surge: 1, unavailable: 0 });
  assert.deepEqual(resolveFenceposts(0, 2, 3), { surge: 0, unavailable: 2 });
});

test('both zero: one pod may be unavailable so the rollout can progress', () => {
  assert.deepEqual(resolveFenceposts(0, 0, 3), { surge: 0, unavailable: 1 });
  assert.deepEqual(resolveFenceposts('10%', '10%', 1), { surge: 1, unavailable: 0 });
  assert.deepEqual(resolveFenceposts('0%', '10%', 5), { surge: 0, unavailable: 1 });
});

test('anything but an integer or N% is rejected with the field named', () => {
  assert.throws(() => scaledValue('3', 10, true, 'spec.strategy.rollingUpdate.maxSurge', '25%'), (e: unknown) => e instanceof IntOrPercentError && /maxSurge/.test(e.message));
  assert.throws(() => resolveFenceposts('abc', 1, 3), IntOrPercentError);
});
