import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UnstableLog } from './log-unstable.js';
import type { Entry, Snapshot } from './types.js';

const e = (index: number, term: number): Entry => ({ index, term, data: new Uint8Array(0) });
const snap = (index: number, term: number): Snapshot => ({
  metadata: { index, term, voters: [1] },
  data: new Uint8Array(0),
});
const ids = (u: UnstableLog) => u.entries.map((x) => `${x.term}/${x.index}`);

describe('UnstableLog', () => {
  test('indexes and terms come from entries, then the snapshot', () => {
    const u = new UnstableLog(5);
    assert.equal(u.maybeFirstIndex(), undefined);
    assert.equal(u.maybeLastIndex(), undefined);
    u.truncateAndAppend([e(5, 1), e(6, 1)]);
    assert.equal(u.maybeLastIndex(), 6);
    assert.equal(u.maybeTerm(6), 1);
    assert.equal(u.maybeTerm(4), undefined);
    u.restore(snap(9, 2));
    assert.equal(u.maybeFirstIndex(), 10);
    assert.equal(u.maybeLastIndex(), 9);
    assert.equal(u.maybeTerm(9), 2);
    assert.equal(u.maybeTerm(8), undefined);
    assert.deepEqual(u.entries, []);
  });

  test('truncateAndAppend: append, replace all, truncate a suffix', () => {
    const u = new UnstableLog(5);
    u.truncateAndAppend([e(5, 1), e(6, 1), e(7, 1)]);
    u.truncateAndAppend([e(8, 1)]);
    assert.deepEqual(ids(u), ['1/5', '1/6', '1/7', '1/8']);
    u.truncateAndAppend([e(7, 2)]);
    assert.deepEqual(ids(u), ['1/5', '1/6', '2/7']);
    u.truncateAndAppend([e(4, 3)]);
    assert.equal(u.offset, 4);
    assert.deepEqual(ids(u), ['3/4']);
  });

  test('stableTo drops entries only if the term still matches', () => {
    const u = new UnstableLog(5);
    u.truncateAndAppend([e(5, 1), e(6, 1), e(7, 1)]);
    u.stableTo(6, 2); // entry 6 was replaced by another term meanwhile: ignore
    assert.deepEqual(ids(u), ['1/5', '1/6', '1/7']);
    u.stableTo(6, 1);
    assert.equal(u.offset, 7);
    assert.deepEqual(ids(u), ['1/7']);
    u.stableTo(9, 1); // beyond: ignore
    assert.deepEqual(ids(u), ['1/7']);
  });

  test('stableSnapTo clears the matching snapshot only', () => {
    const u = new UnstableLog(1);
    u.restore(snap(5, 1));
    u.stableSnapTo(4);
    assert.notEqual(u.snapshot, undefined);
    u.stableSnapTo(5);
    assert.equal(u.snapshot, undefined);
  });

  test('slice checks bounds', () => {
    const u = new UnstableLog(5);
    u.truncateAndAppend([e(5, 1), e(6, 1)]);
    assert.deepEqual(u.slice(5, 7).map((x) => x.index), [5, 6]);
    assert.throws(() => u.slice(4, 6));
    assert.throws(() => u.slice(5, 8));
  });
});
