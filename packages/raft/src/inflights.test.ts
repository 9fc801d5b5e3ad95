import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Inflights } from './inflights.js';

describe('Inflights', () => {
  test('fills up to size, then refuses', () => {
    const f = new Inflights(3);
    f.add(1, 10);
    f.add(2, 10);
    assert.equal(f.full(), false);
    f.add(3, 10);
    assert.equal(f.full(), true);
    assert.throws(() => f.add(4, 10));
  });

  test('freeLE frees every message up to an index, across the ring wrap', () => {
    const f = new Inflights(4);
    for (let i = 1; i <= 4; i++) f.add(i * 10, 1);
    f.freeLE(25);
    assert.equal(f.length, 2);
    f.add(50, 1);
    f.add(60, 1); // wraps around the ring
    assert.equal(f.full(), true);
    f.freeLE(45);
    assert.equal(f.length, 2);
    f.freeLE(5); // stale ack: nothing to free
    assert.equal(f.length, 2);
    f.freeLE(60);
    assert.equal(f.length, 0);
    assert.equal(f.totalBytes, 0);
  });

  test('byte budget makes the window full early', () => {
    const f = new Inflights(10, 100);
    f.add(1, 60);
    assert.equal(f.full(), false);
    f.add(2, 40);
    assert.equal(f.full(), true);
    f.freeLE(1);
    assert.equal(f.full(), false);
    assert.equal(f.totalBytes, 40);
  });

  test('reset empties the window', () => {
    const f = new Inflights(2);
    f.add(1, 1);
    f.add(2, 1);
    f.reset();
    assert.equal(f.length, 0);
    assert.equal(f.full(), false);
  });
});
