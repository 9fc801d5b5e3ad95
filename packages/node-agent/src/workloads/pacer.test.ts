import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Pacer } from './pacer.js';

/** Drives a pacer over a fake clock, starting what it allows; returns start times. */
function run(p: Pacer, untilMs: number, stepMs: number, inFlight: () => number = () => 0): number[] {
  const starts: number[] = [];
  for (let now = 0; now <= untilMs; now += stepMs) {
    for (let n = p.take(now, inFlight()); n > 0; n--) starts.push(now);
  }
  return starts;
}

describe('Pacer', () => {
  test('spreads starts evenly at the rate: 20/s is one every 50 ms', () => {
    const p = new Pacer(20, 40, 1000, 0);
    const starts = run(p, 999, 1);
    assert.equal(starts.length, 20);
    assert.deepEqual(starts.slice(0, 4), [0, 50, 100, 150]);
    assert.equal(p.wakeAt(999), 1000);
  });

  test('a late wake-up starts what fell due, not more', () => {
    const p = new Pacer(10, 20, 1000, 0);
    assert.equal(p.take(0, 0), 1);
    assert.equal(p.take(350, 0), 3);
    assert.equal(p.take(350, 0), 0);
    assert.equal(p.wakeAt(350), 400);
  });

  test('never exceeds the in-flight cap; a held start waits for a request to end', () => {
    const p = new Pacer(100, 3, 1000, 0);
    let inFlight = 0;
    assert.equal(p.take(0, inFlight), 1);
    inFlight = 3;
    assert.equal(p.take(50, inFlight), 0);
    assert.equal(p.wakeAt(50), undefined, 'due but capped: wait for an end, not a timer');
    assert.equal(p.take(50, 1), 2, 'two slots free, several due');
  });

  test('after being held back over a second it resumes from now instead of bursting', () => {
    const p = new Pacer(10, 1, 1000, 0);
    assert.equal(p.take(0, 0), 1);
    assert.equal(p.take(5000, 1), 0);
    assert.equal(p.take(5000, 0), 1);
    assert.equal(p.wakeAt(5000), 5100);
  });

  test('stops at maxRequests', () => {
    const p = new Pacer(1000, 10_000, 7, 0);
    assert.equal(run(p, 1000, 1).length, 7);
    assert.equal(p.started, 7);
    assert.ok(p.exhausted);
    assert.equal(p.wakeAt(1000), undefined);
  });

  test('fractional rates: 0.5/s is one every 2 s', () => {
    const p = new Pacer(0.5, 1, 1000, 0);
    assert.deepEqual(run(p, 6000, 100), [0, 2000, 4000, 6000]);
  });
});
