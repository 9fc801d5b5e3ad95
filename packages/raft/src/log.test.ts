import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrCompacted } from './errors.js';
import { RaftLog } from './log.js';
import { MemoryStorage } from './storage.js';
import type { Entry } from './types.js';

const enc = new TextEncoder();
const e = (index: number, term: number, data = ''): Entry => ({ index, term, data: enc.encode(data) });
const terms = (ents: Entry[]) => ents.map((x) => `${x.term}/${x.index}`);

/** A log whose storage holds entries 1..n with the given terms. */
function logWith(termsByIndex: number[]): RaftLog {
  const s = new MemoryStorage();
  s.append(termsByIndex.map((t, i) => e(i + 1, t)));
  return new RaftLog(s);
}

describe('RaftLog', () => {
  test('maybeAppend appends on match and rejects on mismatch', () => {
    const l = logWith([1, 2, 3]);
    assert.equal(l.maybeAppend(3, 3, 3, [e(4, 4)]), 4);
    assert.equal(l.lastIndex(), 4);
    assert.equal(l.committed, 3);
    assert.equal(l.maybeAppend(3, 2, 4, [e(4, 4)]), undefined, 'term mismatch at prev index');
    assert.equal(l.maybeAppend(6, 4, 4, []), undefined, 'prev index beyond our log');
  });

  test('maybeAppend truncates a conflicting suffix, keeps matching entries', () => {
    const l = logWith([1, 1, 2, 2]);
    // Entries 2..3 match; 4 conflicts and is replaced.
    assert.equal(l.maybeAppend(1, 1, 0, [e(2, 1), e(3, 2), e(4, 3), e(5, 3)]), 5);
    assert.deepEqual(terms(l.allEntries()), ['1/1', '1/2', '2/3', '3/4', '3/5']);
    // A stale, shorter append that matches does not truncate.
    assert.equal(l.maybeAppend(1, 1, 0, [e(2, 1)]), 2);
    assert.equal(l.lastIndex(), 5);
  });

  test('maybeAppend commits at most up to the last new entry', () => {
    const l = logWith([1, 1, 1]);
    l.maybeAppend(1, 1, 10, [e(2, 1)]);
    assert.equal(l.committed, 2);
  });

  test('never truncates committed entries', () => {
    const l = logWith([1, 1, 1]);
    l.commitTo(3);
    assert.throws(() => l.maybeAppend(1, 1, 3, [e(2, 2)]));
  });

  test('isUpToDate compares last term, then last index', () => {
    const l = logWith([1, 2, 2]);
    assert.equal(l.isUpToDate(3, 2), true);
    assert.equal(l.isUpToDate(2, 2), false);
    assert.equal(l.isUpToDate(1, 3), true);
    assert.equal(l.isUpToDate(9, 1), false);
  });

  test('findConflictByTerm skips entries with larger terms', () => {
    const l = logWith([1, 1, 3, 3, 5]);
    assert.deepEqual(l.findConflictByTerm(5, 4), { index: 4, term: 3 });
    assert.deepEqual(l.findConflictByTerm(5, 2), { index: 2, term: 1 });
    assert.deepEqual(l.findConflictByTerm(5, 5), { index: 5, term: 5 });
    assert.deepEqual(l.findConflictByTerm(5, 0), { index: 0, term: 0 });
  });

  test('maybeCommit only commits entries of the given term', () => {
    const l = logWith([1, 1, 2]);
    assert.equal(l.maybeCommit(2, 2), false, 'entry 2 is from term 1');
    assert.equal(l.committed, 0);
    assert.equal(l.maybeCommit(3, 2), true);
    assert.equal(l.committed, 3);
    assert.equal(l.maybeCommit(2, 1), false, 'never moves backwards');
  });

  test('entries across stable and unstable parts, size limited', () => {
    const l = logWith([1, 1]);
    l.append([e(3, 1, 'x'), e(4, 1, 'y')]);
    assert.deepEqual(terms(l.entries(2, Number.MAX_SAFE_INTEGER)), ['1/2', '1/3', '1/4']);
    assert.deepEqual(terms(l.entries(2, 1)), ['1/2'], 'at least one entry');
    assert.deepEqual(terms(l.entries(2, 16 * 2 + 1)), ['1/2', '1/3']);
    assert.deepEqual(l.entries(5, 100), []);
  });

  test('compacted ranges throw ErrCompacted; the compaction point keeps its term', () => {
    const s = new MemoryStorage();
    s.append([e(1, 1), e(2, 1), e(3, 2), e(4, 2)]);
    s.createSnapshot(2, [1], new Uint8Array(0));
    s.compact(2);
    const l = new RaftLog(s);
    assert.equal(l.firstIndex(), 3);
    assert.equal(l.committed, 2);
    assert.equal(l.term(2), 1);
    assert.throws(() => l.term(1), ErrCompacted);
    assert.throws(() => l.entries(2, 100), ErrCompacted);
    assert.equal(l.termOrZero(1), 0);
  });

  test('committed entries are handed out once applied advances; none while a snapshot is pending', () => {
    const l = logWith([1, 1, 1]);
    l.commitTo(2);
    assert.deepEqual(terms(l.nextCommittedEnts()), ['1/1', '1/2']);
    l.appliedTo(2);
    assert.equal(l.hasNextCommittedEnts(), false);
    l.restore({ metadata: { index: 10, term: 3, voters: [1] }, data: new Uint8Array(0) });
    assert.equal(l.committed, 10);
    assert.equal(l.lastIndex(), 10);
    assert.equal(l.hasNextCommittedEnts(), false);
    assert.deepEqual(l.nextCommittedEnts(), []);
  });
});
