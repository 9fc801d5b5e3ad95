import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MajorityConfig, VoteResult } from './quorum.js';

describe('MajorityConfig', () => {
  test('quorum size is floor(n/2)+1', () => {
    assert.equal(new MajorityConfig([1]).quorum(), 1);
    assert.equal(new MajorityConfig([1, 2]).quorum(), 2);
    assert.equal(new MajorityConfig([1, 2, 3]).quorum(), 2);
    assert.equal(new MajorityConfig([1, 2, 3, 4]).quorum(), 3);
    assert.equal(new MajorityConfig([1, 2, 3, 4, 5]).quorum(), 3);
  });

  test('committedIndex is the highest index acked by a quorum', () => {
    const acked = (m: Record<number, number>) => (id: number) => m[id];
    assert.equal(new MajorityConfig([1, 2, 3]).committedIndex(acked({ 1: 5, 2: 3, 3: 1 })), 3);
    assert.equal(new MajorityConfig([1, 2, 3]).committedIndex(acked({ 1: 5 })), 0);
    assert.equal(new MajorityConfig([1, 2, 3]).committedIndex(acked({ 1: 5, 3: 4 })), 4);
    assert.equal(new MajorityConfig([1, 2, 3, 4]).committedIndex(acked({ 1: 9, 2: 8, 3: 2, 4: 1 })), 2);
    assert.equal(new MajorityConfig([1, 2, 3, 4, 5]).committedIndex(acked({ 1: 9, 2: 8, 3: 7, 4: 1, 5: 1 })), 7);
    assert.equal(new MajorityConfig([7]).committedIndex(acked({ 7: 12 })), 12);
  });

  test('voteResult: won, lost, pending', () => {
    const c = new MajorityConfig([1, 2, 3, 4, 5]);
    const votes = (m: Record<number, boolean>) => new Map(Object.entries(m).map(([k, v]) => [Number(k), v]));
    assert.equal(c.voteResult(votes({})), VoteResult.Pending);
    assert.equal(c.voteResult(votes({ 1: true, 2: true })), VoteResult.Pending);
    assert.equal(c.voteResult(votes({ 1: true, 2: true, 3: true })), VoteResult.Won);
    assert.equal(c.voteResult(votes({ 1: true, 2: false, 3: false })), VoteResult.Pending);
    assert.equal(c.voteResult(votes({ 1: true, 2: false, 3: false, 4: false })), VoteResult.Lost);
    // Votes from non-members do not count.
    assert.equal(c.voteResult(votes({ 1: true, 2: true, 9: true })), VoteResult.Pending);
  });

  test('hasQuorum counts only voters', () => {
    const c = new MajorityConfig([1, 2, 3]);
    assert.equal(c.hasQuorum(new Set([1])), false);
    assert.equal(c.hasQuorum(new Set([1, 9])), false);
    assert.equal(c.hasQuorum(new Set([1, 3])), true);
  });

  test('duplicates in the voter list are ignored', () => {
    assert.deepEqual(new MajorityConfig([3, 1, 3, 2]).voters, [1, 2, 3]);
  });
});
