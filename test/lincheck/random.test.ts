import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkOperations } from './check.js';
import { generateKvHistory, mutateToNeverWritten, mutateToStale, type GenOptions } from './kv-history-gen.js';
import { kvModel, type KvOperation } from './kv-model.js';
import { Prng } from './prng.js';

const SEEDS = 300;

/**
 * Proving a history illegal is an exhaustive search, exponential in the writes with
 * unknown outcome per key that no read pins down; the mutation tests keep those few.
 */
function optionsFor(rng: Prng, ops = 120, unknownRates: readonly number[] = [0, 0.02]): GenOptions {
  return {
    clients: 2 + rng.int(7),
    ops: 20 + rng.int(ops - 20),
    keys: rng.chance(0.5) ? ['a'] : ['a', 'b', 'c'],
    unknownWriteRate: rng.pick(unknownRates),
  };
}

/** The reported prefix must itself be a legal, real-time-respecting sequence. */
function assertPrefixIsLegal(prefix: readonly KvOperation[]): void {
  let state = kvModel.init();
  prefix.forEach((o, i) => {
    const r = kvModel.step(state, o.input, o.output);
    assert.ok(r.ok, `prefix step ${i} is accepted by the model`);
    state = r.next;
    for (const later of prefix.slice(i + 1)) {
      assert.ok(!(later.return < o.call), `prefix step ${i} does not follow an operation that started after it ended`);
    }
  });
}

describe('randomized histories from a real sequential execution', () => {
  test('are always linearizable', () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const rng = new Prng(seed);
      const h = generateKvHistory(rng, optionsFor(rng, 250, [0, 0.05, 0.15]));
      const r = checkOperations(kvModel, h);
      assert.equal(r.result, 'ok', `seed ${seed}: ${r.explanation ?? ''}`);
    }
  });

  test('become illegal when one read returns a value never written', () => {
    let mutated = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const rng = new Prng(seed);
      const h = mutateToNeverWritten(rng, generateKvHistory(rng, optionsFor(rng)));
      if (h === null) continue;
      mutated++;
      const r = checkOperations(kvModel, h);
      assert.equal(r.result, 'illegal', `seed ${seed}`);
      assertPrefixIsLegal(r.illegal?.prefix ?? []);
    }
    assert.ok(mutated > SEEDS * 0.9, `most seeds produced a mutation (${mutated})`);
  });

  test('become illegal when one read returns a stale value', () => {
    let mutated = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const rng = new Prng(seed);
      const h = mutateToStale(rng, generateKvHistory(rng, optionsFor(rng)));
      if (h === null) continue;
      mutated++;
      const r = checkOperations(kvModel, h);
      assert.equal(r.result, 'illegal', `seed ${seed}`);
      assert.ok(r.illegal !== undefined && r.illegal.blocked !== null, `seed ${seed}: a blocked operation is named`);
      assertPrefixIsLegal(r.illegal.prefix);
    }
    assert.ok(mutated > SEEDS * 0.5, `most seeds produced a stale-read mutation (${mutated})`);
  });

  test('the read-only shortcut does not change verdicts', () => {
    const plain = { ...kvModel, readOnly: undefined };
    for (let seed = 1; seed <= 100; seed++) {
      const rng = new Prng(seed);
      const h = generateKvHistory(rng, optionsFor(rng, 60));
      for (const v of [h, mutateToStale(rng, h)]) {
        if (v !== null) assert.equal(checkOperations(kvModel, v).result, checkOperations(plain, v).result, `seed ${seed}`);
      }
    }
  });

  test('the generator replays exactly from a seed', () => {
    const a = generateKvHistory(new Prng(42), { clients: 5, ops: 100, keys: ['a'], unknownWriteRate: 0.05 });
    const b = generateKvHistory(new Prng(42), { clients: 5, ops: 100, keys: ['a'], unknownWriteRate: 0.05 });
    assert.deepEqual(a, b);
    assert.equal(a.length, 100);
  });
});
