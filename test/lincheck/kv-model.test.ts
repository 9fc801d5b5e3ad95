import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkOperations } from './check.js';
import { LincheckInputError } from './errors.js';
import { dropUnknownReads, KV_UNKNOWN, kvModel, type KvOperation } from './kv-model.js';
import { cas, del, get, kvOp, put } from './test-helpers.js';

const check = (h: KvOperation[]) => checkOperations(kvModel, h);
const verdict = (h: KvOperation[]) => check(h).result;

describe('kv model: reads and writes', () => {
  test('sequential put then get of the written value is ok', () => {
    assert.equal(verdict([put(1, 0, 10, '1'), get(2, 20, 30, '1')]), 'ok');
  });

  test('a key never written reads as absent', () => {
    assert.equal(verdict([get(1, 0, 10, null)]), 'ok');
    assert.equal(verdict([get(1, 0, 10, 'ghost')]), 'illegal');
  });

  test('stale read after a completed write is illegal, and the explanation says where', () => {
    const stale = get(3, 40, 50, '1');
    const r = check([put(1, 0, 10, '1'), put(2, 20, 30, '2'), stale]);
    assert.equal(r.result, 'illegal');
    assert.equal(r.illegal?.blocked, stale);
    assert.equal(r.illegal?.partitionName, 'key "x"');
    assert.equal(r.illegal?.prefix.length, 2);
    assert.equal(r.illegal?.stateAfterPrefix, '"x" = "2"');
    assert.match(r.explanation ?? '', /key "x"/);
    assert.match(r.explanation ?? '', /longest linearizable prefix: 2 of 3/);
    assert.match(r.explanation ?? '', /cannot place: client 3: get "x" -> "1"/);
  });

  test('the same read overlapping the second write is ok', () => {
    assert.equal(verdict([put(1, 0, 10, '1'), put(2, 20, 45, '2'), get(3, 40, 50, '1')]), 'ok');
  });

  test('a read that sees a value and a later read that sees the older value is illegal', () => {
    const h = [put(1, 0, 10, '1'), put(2, 20, 100, '2'), get(3, 30, 40, '2'), get(4, 50, 60, '1')];
    assert.equal(verdict(h), 'illegal');
  });

  test('old value then new value during a slow write is ok', () => {
    const h = [put(1, 0, 10, '1'), put(2, 20, 100, '2'), get(3, 30, 40, '1'), get(4, 50, 60, '2')];
    assert.equal(verdict(h), 'ok');
  });

  test('a lost write (acknowledged, then not visible) is illegal', () => {
    assert.equal(verdict([put(1, 0, 10, '1'), get(2, 20, 30, null)]), 'illegal');
    assert.equal(verdict([put(1, 0, 10, '1'), put(1, 20, 30, '2'), get(2, 40, 50, '1')]), 'illegal');
  });

  test('overlapping writes may take effect in either order', () => {
    const writes = (): KvOperation[] => [put(1, 0, 50, 'a'), put(2, 10, 60, 'b')];
    assert.equal(verdict([...writes(), get(3, 70, 80, 'a')]), 'ok');
    assert.equal(verdict([...writes(), get(3, 70, 80, 'b')]), 'ok');
    // ... but once both are done the value is settled: it cannot flip back.
    assert.equal(verdict([...writes(), get(3, 70, 80, 'b'), get(4, 90, 95, 'a')]), 'illegal');
  });

  test('operations that touch at one timestamp count as concurrent', () => {
    assert.equal(verdict([put(1, 0, 10, '1'), get(2, 10, 20, null)]), 'ok');
    assert.equal(verdict([put(1, 0, 10, '1'), get(2, 11, 20, null)]), 'illegal');
  });

  test('delete makes the key absent; the old value cannot come back', () => {
    assert.equal(verdict([put(1, 0, 10, '1'), del(1, 20, 30), get(2, 40, 50, null)]), 'ok');
    assert.equal(verdict([put(1, 0, 10, '1'), del(1, 20, 30), get(2, 40, 50, '1')]), 'illegal');
  });
});

describe('kv model: compare-and-swap', () => {
  test('a chain of successful cas and a failed cas on a mismatch is ok', () => {
    const h = [
      cas(1, 0, 10, null, 'a', true),
      cas(2, 20, 30, 'a', 'b', true),
      cas(3, 40, 50, 'a', 'c', false),
      get(1, 60, 70, 'b'),
    ];
    assert.equal(verdict(h), 'ok');
  });

  test('cas that claims success although the value did not match is illegal', () => {
    assert.equal(verdict([put(1, 0, 10, 'a'), cas(2, 20, 30, 'z', 'b', true)]), 'illegal');
    assert.equal(verdict([put(1, 0, 10, 'a'), cas(2, 20, 30, null, 'b', true)]), 'illegal');
  });

  test('cas that claims failure although the value matched is illegal', () => {
    assert.equal(verdict([put(1, 0, 10, 'a'), cas(2, 20, 30, 'a', 'b', false)]), 'illegal');
  });

  test('a failed cas does not write', () => {
    assert.equal(verdict([put(1, 0, 10, 'a'), cas(2, 20, 30, 'z', 'b', false), get(3, 40, 50, 'b')]), 'illegal');
  });

  test('of two concurrent create-if-absent cas only one may win', () => {
    const oneWins = [cas(1, 0, 50, null, 'a', true), cas(2, 10, 60, null, 'b', false), get(3, 70, 80, 'a')];
    assert.equal(verdict(oneWins), 'ok');
    const bothWin = [cas(1, 0, 50, null, 'a', true), cas(2, 10, 60, null, 'b', true)];
    assert.equal(verdict(bothWin), 'illegal');
  });
});

describe('kv model: writes with unknown outcome', () => {
  test('an unknown write that did happen, seen later', () => {
    assert.equal(verdict([put(1, 0, Infinity, '1'), get(2, 10, 20, null), get(2, 30, 40, '1')]), 'ok');
  });

  test('an unknown write that never happened', () => {
    assert.equal(verdict([put(1, 0, Infinity, '1'), get(2, 10, 20, null), get(2, 30, 40, null)]), 'ok');
  });

  test('an unknown write cannot take effect before it was called', () => {
    assert.equal(verdict([get(2, 0, 5, '1'), put(1, 10, Infinity, '1')]), 'illegal');
  });

  test('an unknown write takes effect at one point only: seen, then not seen, is illegal', () => {
    const h = [put(1, 0, Infinity, '1'), get(2, 10, 20, '1'), get(2, 30, 40, null)];
    assert.equal(verdict(h), 'illegal');
  });

  test('an unknown write observed only much later, after many other operations', () => {
    const h: KvOperation[] = [put(1, 0, Infinity, 'late'), put(2, 5, 8, 'w-1')];
    let t = 10;
    for (let i = 0; i < 200; i++) {
      h.push(put(2, t, t + 3, `w${i}`), get(3, t + 4, t + 6, `w${i}`));
      t += 10;
    }
    h.push(get(3, t, t + 5, 'late'));
    assert.equal(verdict(h), 'ok');
    // Once 'late' has been read, the last completed put cannot be read again.
    h.push(get(3, t + 10, t + 15, 'w199'));
    assert.equal(verdict(h), 'illegal');
  });

  test('an unknown cas applies only where its comparison holds', () => {
    const base = [cas(1, 0, Infinity, null, 'a', 'unknown'), put(2, 10, 20, 'b'), get(2, 30, 40, 'b')];
    // After 'b' was written the cas (expects absent) can no longer apply ...
    assert.equal(verdict([...base, get(3, 50, 60, 'a')]), 'illegal');
    // ... unless the key is deleted first.
    assert.equal(verdict([...base, del(2, 42, 45), get(3, 50, 60, 'a')]), 'ok');
  });

  test('an unknown outcome with a known return must still take effect once', () => {
    const h = [kvOp(1, 0, 10, { op: 'put', key: 'x', value: '1' }, KV_UNKNOWN), get(2, 20, 30, null)];
    assert.equal(verdict(h), 'illegal');
  });

  test('dropUnknownReads removes only reads with unknown outcome', () => {
    const unknownRead = kvOp(1, 0, Infinity, { op: 'get', key: 'x' }, KV_UNKNOWN);
    const unknownWrite = put(1, 0, Infinity, '1');
    const read = get(2, 10, 20, null);
    assert.deepEqual(dropUnknownReads([unknownRead, unknownWrite, read]), [unknownWrite, read]);
  });
});

describe('kv model: partitions and input errors', () => {
  test('keys are checked independently and the illegal key is named', () => {
    const h = [
      put(1, 0, 10, '1', 'a'),
      put(2, 0, 10, '1', 'b'),
      get(1, 20, 30, '1', 'a'),
      get(2, 20, 30, null, 'b'),
      get(3, 20, 30, null, 'c'),
    ];
    const r = check(h);
    assert.equal(r.result, 'illegal');
    assert.equal(r.partitions, 3);
    assert.equal(r.illegal?.partitionName, 'key "b"');
    assert.match(r.explanation ?? '', /not linearizable: key "b"/);
  });

  test('a value written to one key is not visible under another', () => {
    assert.equal(verdict([put(1, 0, 10, '1', 'a'), get(2, 20, 30, '1', 'b')]), 'illegal');
  });

  test('an output that does not fit its input is an input error', () => {
    const bad = kvOp(1, 0, 10, { op: 'get', key: 'x' }, {});
    assert.throws(() => check([bad]), LincheckInputError);
    const badCas = kvOp(1, 0, 10, { op: 'cas', key: 'x', expectValue: null, value: 'a' }, { value: 'a' });
    assert.throws(() => check([badCas]), LincheckInputError);
  });

  test('describe renders operations for explanations', () => {
    assert.equal(kvModel.describe?.({ op: 'cas', key: 'k', expectValue: null, value: 'v' }, { ok: true }),
      'cas "k" if absent then = "v" -> succeeded');
    assert.equal(kvModel.describe?.({ op: 'put', key: 'k', value: 'v' }, KV_UNKNOWN), 'put "k" = "v" -> outcome unknown');
    assert.equal(kvModel.describe?.({ op: 'get', key: 'k' }, { value: null }), 'get "k" -> absent');
  });
});
