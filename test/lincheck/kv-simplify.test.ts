import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkOperations } from './check.js';
import { generateKvHistory, mutateToStale } from './kv-history-gen.js';
import { kvModel } from './kv-model.js';
import { simplifyKvHistory } from './kv-simplify.js';
import { Prng } from './prng.js';
import { cas, get, put } from './test-helpers.js';

describe('simplifyKvHistory', () => {
  test('an unknown write whose value is read gets the first observer\'s return', () => {
    const w = put(1, 0, Infinity, 'a');
    const out = simplifyKvHistory([w, get(2, 10, 20, 'a'), get(3, 5, 15, 'a')]);
    assert.equal(out[0]?.return, 15);
    assert.equal(out[0]?.call, 0);
  });

  test('an unknown write nobody can observe is dropped', () => {
    const w = put(1, 0, Infinity, 'a');
    const rest = [put(2, 10, 20, 'b'), get(3, 30, 40, 'b')];
    assert.deepEqual(simplifyKvHistory([w, ...rest]), rest);
  });

  test('an unobserved unknown write is kept when a failed cas may depend on it', () => {
    // The cas can only have failed because the unknown write took effect first.
    const h = [put(1, 0, 5, 'u'), put(1, 10, Infinity, 'v'), cas(2, 20, 30, 'u', 'w', false)];
    assert.equal(simplifyKvHistory(h).length, 3);
    assert.equal(checkOperations(kvModel, h).result, 'ok');
  });

  test('values written twice are left alone', () => {
    const h = [put(1, 0, Infinity, 'a'), put(2, 1, 2, 'a'), get(3, 10, 20, 'a')];
    assert.deepEqual(simplifyKvHistory(h), h);
  });

  test('does not change the verdict on random histories (checked without it)', () => {
    const plain = { ...kvModel, simplify: undefined };
    for (let seed = 1; seed <= 150; seed++) {
      const rng = new Prng(seed);
      const opt = { clients: 2 + rng.int(4), ops: 10 + rng.int(40), keys: ['a'], unknownWriteRate: 0.15 };
      const h = generateKvHistory(rng, opt);
      const variants = [h, mutateToStale(rng, h)].filter((v) => v !== null);
      for (const v of variants) {
        assert.equal(checkOperations(kvModel, v).result, checkOperations(plain, v).result, `seed ${seed}`);
      }
    }
  });
});
