import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Progress } from './progress.js';

describe('Progress', () => {
  test('probe pauses after each send until an ack', () => {
    const pr = new Progress(5, 4);
    assert.equal(pr.isPaused(), false);
    pr.updateOnEntriesSend(2, 20);
    assert.equal(pr.isPaused(), true);
    assert.equal(pr.next, 5, 'probe does not advance next optimistically');
    assert.equal(pr.maybeUpdate(6), true);
    assert.equal(pr.isPaused(), false);
    assert.equal(pr.match, 6);
    assert.equal(pr.next, 7);
  });

  test('replicate advances next optimistically and pauses when the window is full', () => {
    const pr = new Progress(1, 2);
    pr.becomeReplicate();
    pr.updateOnEntriesSend(3, 30);
    assert.equal(pr.next, 4);
    assert.equal(pr.isPaused(), false);
    pr.updateOnEntriesSend(1, 10);
    assert.equal(pr.next, 5);
    assert.equal(pr.isPaused(), true);
    pr.maybeUpdate(3);
    pr.inflights.freeLE(3);
    assert.equal(pr.inflights.length, 1);
  });

  test('maybeUpdate ignores stale acks', () => {
    const pr = new Progress(1, 4);
    assert.equal(pr.maybeUpdate(5), true);
    assert.equal(pr.maybeUpdate(3), false);
    assert.equal(pr.match, 5);
    assert.equal(pr.next, 6);
  });

  test('maybeDecrTo in replicate falls back to match+1; stale rejections ignored', () => {
    const pr = new Progress(1, 4);
    pr.maybeUpdate(5);
    pr.becomeReplicate();
    pr.updateOnEntriesSend(5, 50); // next = 11
    assert.equal(pr.maybeDecrTo(4, 4), false, 'rejection at or below match is stale');
    assert.equal(pr.maybeDecrTo(8, 6), true);
    assert.equal(pr.next, 6);
  });

  test('maybeDecrTo in probe uses the hint, only for the latest probe', () => {
    const pr = new Progress(10, 4);
    assert.equal(pr.maybeDecrTo(5, 2), false, 'not the probe we sent (next-1 = 9)');
    pr.updateOnEntriesSend(1, 10);
    assert.equal(pr.isPaused(), true);
    assert.equal(pr.maybeDecrTo(9, 3), true);
    assert.equal(pr.next, 4);
    assert.equal(pr.isPaused(), false);
    // The hint never takes next below match+1, nor above the rejected index.
    pr.maybeUpdate(2);
    pr.next = 6;
    assert.equal(pr.maybeDecrTo(5, 0), true);
    assert.equal(pr.next, 3);
  });

  test('snapshot state is paused; becomeProbe resumes past the snapshot', () => {
    const pr = new Progress(3, 4);
    pr.maybeUpdate(2);
    pr.becomeSnapshot(20);
    assert.equal(pr.isPaused(), true);
    assert.equal(pr.pendingSnapshot, 20);
    pr.becomeProbe();
    assert.equal(pr.state, 'probe');
    assert.equal(pr.next, 21);
    // A failed snapshot: pendingSnapshot cleared first, probing restarts at match+1.
    pr.becomeSnapshot(20);
    pr.pendingSnapshot = 0;
    pr.becomeProbe();
    assert.equal(pr.next, 3);
  });
});
