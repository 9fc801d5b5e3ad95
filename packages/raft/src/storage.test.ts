import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrCompacted, ErrSnapOutOfDate, ErrUnavailable } from './errors.js';
import { MemoryStorage } from './storage.js';
import type { Entry } from './types.js';

const e = (index: number, term: number): Entry => ({ index, term, data: new Uint8Array(index) });

describe('MemoryStorage', () => {
  test('append truncates a conflicting suffix and refuses gaps', () => {
    const s = new MemoryStorage();
    s.append([e(1, 1), e(2, 1), e(3, 1)]);
    s.append([e(2, 2)]);
    assert.equal(s.lastIndex(), 2);
    assert.equal(s.term(2), 2);
    assert.throws(() => s.append([e(5, 2)]), ErrUnavailable);
  });

  test('entries honour bounds and the size limit (at least one entry)', () => {
    const s = new MemoryStorage();
    s.append([e(1, 1), e(2, 1), e(3, 1)]);
    assert.equal(s.entries(1, 4, Number.MAX_SAFE_INTEGER).length, 3);
    assert.equal(s.entries(1, 4, 0).length, 1);
    assert.throws(() => s.entries(0, 2, 100), ErrCompacted);
    assert.throws(() => s.entries(1, 5, 100), ErrUnavailable);
  });

  test('snapshot, compact and applySnapshot move the first index', () => {
    const s = new MemoryStorage();
    s.append([e(1, 1), e(2, 1), e(3, 2), e(4, 2)]);
    const snap = s.createSnapshot(3, [1, 2, 3], new Uint8Array([7]));
    assert.deepEqual(snap.metadata, { index: 3, term: 2, voters: [1, 2, 3] });
    assert.throws(() => s.createSnapshot(2, [1], new Uint8Array(0)), ErrSnapOutOfDate);
    s.compact(3);
    assert.equal(s.firstIndex(), 4);
    assert.equal(s.term(3), 2);
    assert.throws(() => s.term(2), ErrCompacted);
    assert.throws(() => s.compact(3), ErrCompacted);
    assert.deepEqual(s.initialState().voters, [1, 2, 3]);
    // Appending entries at or below the compaction point is a no-op for them.
    s.append([e(3, 2), e(4, 2), e(5, 2)]);
    assert.equal(s.lastIndex(), 5);
    s.applySnapshot({ metadata: { index: 10, term: 4, voters: [1, 2, 3] }, data: new Uint8Array(0) });
    assert.equal(s.firstIndex(), 11);
    assert.equal(s.lastIndex(), 10);
    assert.equal(s.term(10), 4);
    assert.throws(
      () => s.applySnapshot({ metadata: { index: 9, term: 4, voters: [1] }, data: new Uint8Array(0) }),
      ErrSnapOutOfDate,
    );
  });
});
