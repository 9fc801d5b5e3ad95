import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkOperations } from './check.js';
import { LincheckInputError } from './errors.js';
import { kvModel, type KvOperation } from './kv-model.js';
import type { Model, Operation } from './model.js';
import { cas, get, put } from './test-helpers.js';

/** A FIFO queue, to show the checker is not tied to the KV model. */
type QInput = { readonly op: 'enq'; readonly v: number } | { readonly op: 'deq' };
type QOutput = { readonly v: number | null } | Readonly<Record<string, never>>;
const queueModel: Model<readonly number[], QInput, QOutput> = {
  init: () => [],
  step(s, input, output) {
    if (input.op === 'enq') return { ok: true, next: [...s, input.v] };
    const head = s[0] ?? null;
    const got = 'v' in output ? output.v : undefined;
    return { ok: got === head, next: s.slice(1) };
  },
  equal: (a, b) => a.length === b.length && a.every((x, i) => x === b[i]),
  hash: (s) => s.join(','),
};
const q = (clientId: number, call: number, ret: number, input: QInput, output: QOutput): Operation<QInput, QOutput> => ({
  clientId,
  input,
  call,
  return: ret,
  output,
});

describe('checkOperations: generic behaviour', () => {
  test('an empty history is ok with no partitions', () => {
    assert.deepEqual(checkOperations(kvModel, []), { result: 'ok', partitions: 0 });
  });

  test('a model without partition checks the history as one part', () => {
    const h = [q(1, 0, 10, { op: 'enq', v: 1 }, {}), q(2, 20, 30, { op: 'deq' }, { v: 1 })];
    assert.deepEqual(checkOperations(queueModel, h), { result: 'ok', partitions: 1 });
  });

  test('queue: concurrent enqueues may be dequeued in either order, but FIFO holds after', () => {
    const enqs = [q(1, 0, 50, { op: 'enq', v: 1 }, {}), q(2, 10, 60, { op: 'enq', v: 2 }, {})];
    const twoThenOne = [...enqs, q(3, 70, 80, { op: 'deq' }, { v: 2 }), q(3, 90, 95, { op: 'deq' }, { v: 1 })];
    assert.equal(checkOperations(queueModel, twoThenOne).result, 'ok');
    const sequentialEnqs = [q(1, 0, 5, { op: 'enq', v: 1 }, {}), q(2, 10, 15, { op: 'enq', v: 2 }, {})];
    const reordered = [...sequentialEnqs, q(3, 70, 80, { op: 'deq' }, { v: 2 })];
    const r = checkOperations(queueModel, reordered);
    assert.equal(r.result, 'illegal');
    assert.equal(r.illegal?.partitionName, 'partition #0');
    assert.match(r.explanation ?? '', /"op":"deq"/);
  });

  test('the pending operations that were tried are reported', () => {
    const blocked = get(4, 50, 60, 'never');
    // The cas cannot succeed anywhere, so it is still pending when the search gives up.
    const slow = cas(3, 45, 200, 'q', 'z', true);
    const r = checkOperations(kvModel, [put(1, 0, 10, '1'), slow, blocked]);
    assert.equal(r.result, 'illegal');
    assert.equal(r.illegal?.blocked, blocked);
    assert.ok(r.illegal?.pending.includes(slow));
    assert.match(r.explanation ?? '', /concurrent operations tried before it:\n {2}- client 3: cas "x" if "q" then = "z"/);
  });

  test('the explanation lists only the tail of a long prefix', () => {
    const h: KvOperation[] = [];
    for (let i = 0; i < 50; i++) h.push(put(1, i * 10, i * 10 + 5, `v${i}`));
    h.push(get(2, 1000, 1001, 'v3'));
    const r = checkOperations(kvModel, h);
    assert.equal(r.illegal?.prefix.length, 50);
    assert.match(r.explanation ?? '', /\.\.\. 30 earlier operations\n {2}31\. client 1: put "x" = "v30"/);
  });

  test('a budget that has run out yields unknown, with an injected clock', () => {
    let now = 0;
    const clock = (): number => (now += 1000);
    const h = [put(1, 0, 10, '1'), get(2, 20, 30, '1')];
    const r = checkOperations(kvModel, h, { timeoutMs: 1, clock });
    assert.equal(r.result, 'unknown');
    assert.match(r.explanation ?? '', /time budget of 1 ms/);
    assert.equal(checkOperations(kvModel, h, { timeoutMs: 1e12, clock }).result, 'ok');
  });

  test('the budget is consulted during a long search, not only between partitions', () => {
    // Many concurrent writes and no way to place the final read: exhaustive search.
    const h: KvOperation[] = [];
    for (let i = 0; i < 16; i++) h.push(put(i, 0, 100, `v${i}`));
    for (let i = 0; i < 16; i++) h.push(get(100 + i, 1, 99, `v${i}`));
    h.push(get(200, 200, 210, 'nobody-wrote-this'));
    let calls = 0;
    const clock = (): number => (++calls > 3 ? 1e9 : 0);
    const r = checkOperations(kvModel, h, { timeoutMs: 10, clock });
    assert.equal(r.result, 'unknown');
    assert.ok(calls > 2, 'the clock was read inside the search');
  });

  test('malformed timestamps are input errors', () => {
    assert.throws(() => checkOperations(kvModel, [put(1, 10, 5, 'a')]), LincheckInputError);
    assert.throws(() => checkOperations(kvModel, [put(1, Number.NaN, 5, 'a')]), LincheckInputError);
    assert.throws(() => checkOperations(kvModel, [put(1, Infinity, Infinity, 'a')]), LincheckInputError);
    assert.throws(() => checkOperations(kvModel, [put(1, 0, Number.NaN, 'a')]), LincheckInputError);
  });

  test('the memo cache relies on equal, not on hash alone', () => {
    const collidingHash: typeof kvModel = { ...kvModel, hash: () => 'same' };
    const legal = [put(1, 0, 50, 'a'), put(2, 10, 60, 'b'), get(3, 70, 80, 'a'), get(3, 90, 95, 'a')];
    const illegal = [...legal, get(4, 100, 110, 'b')];
    assert.equal(checkOperations(collidingHash, legal).result, 'ok');
    assert.equal(checkOperations(collidingHash, illegal).result, 'illegal');
  });
});
