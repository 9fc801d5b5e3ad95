import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Expectations } from './expectations.js';

function fakeClock(): { now(): number; advance(ms: number): void } {
  let t = 1_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

test('creations are satisfied only once every create is observed', () => {
  const e = new Expectations(fakeClock());
  assert.equal(e.satisfied('ns/rs'), true);
  e.expectCreations('ns/rs', 3);
  assert.equal(e.satisfied('ns/rs'), false);
  e.creationObserved('ns/rs');
  e.creationObserved('ns/rs');
  assert.equal(e.satisfied('ns/rs'), false);
  e.creationObserved('ns/rs');
  assert.equal(e.satisfied('ns/rs'), true);
  // Extra observations (e.g. a pod created by someone else) never go negative.
  e.creationObserved('ns/rs');
  e.expectCreations('ns/rs', 1);
  assert.equal(e.satisfied('ns/rs'), false);
});

test('deletions are tracked by uid, so observing the same pod twice counts once', () => {
  const e = new Expectations(fakeClock());
  e.expectDeletions('ns/rs', ['a', 'b']);
  e.deletionObserved('ns/rs', 'a');
  e.deletionObserved('ns/rs', 'a');
  assert.equal(e.satisfied('ns/rs'), false);
  assert.deepEqual(e.pending('ns/rs'), { adds: 0, deletes: 1 });
  e.deletionObserved('ns/rs', 'b');
  assert.equal(e.satisfied('ns/rs'), true);
});

test('keys are independent and forget clears one', () => {
  const e = new Expectations(fakeClock());
  e.expectCreations('ns/a', 1);
  assert.equal(e.satisfied('ns/b'), true);
  e.forget('ns/a');
  assert.equal(e.satisfied('ns/a'), true);
});

test('unmet expectations expire after the TTL, and new ones then start afresh', () => {
  const clock = fakeClock();
  const e = new Expectations(clock, 10_000);
  e.expectCreations('ns/rs', 2);
  clock.advance(10_000);
  assert.equal(e.satisfied('ns/rs'), false);
  clock.advance(1);
  assert.equal(e.satisfied('ns/rs'), true);
  e.expectCreations('ns/rs', 1);
  assert.deepEqual(e.pending('ns/rs'), { adds: 1, deletes: 0 });
});
