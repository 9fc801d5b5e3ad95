import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkOperations } from './check.js';
import { LincheckInputError } from './errors.js';
import { KV_UNKNOWN, kvModel, type KvInput, type KvOutput } from './kv-model.js';
import { HistoryRecorder } from './recorder.js';

describe('HistoryRecorder', () => {
  test('records overlapping operations in observation order with a logical clock', () => {
    const rec = new HistoryRecorder<KvInput, KvOutput>();
    const a = rec.invoke(1, { op: 'put', key: 'x', value: '1' });
    const b = rec.invoke(2, { op: 'get', key: 'x' });
    rec.complete(b, { value: '1' });
    rec.complete(a, {});
    const h = rec.operations();
    assert.deepEqual(
      h.map((o) => [o.clientId, o.call, o.return]),
      [[2, 2, 3], [1, 1, 4]],
    );
    assert.equal(checkOperations(kvModel, h).result, 'ok');
  });

  test('indeterminate and abandoned operations get return Infinity', () => {
    const rec = new HistoryRecorder<KvInput, KvOutput>();
    const a = rec.invoke(1, { op: 'put', key: 'x', value: '1' });
    rec.indeterminate(a, KV_UNKNOWN);
    rec.invoke(2, { op: 'put', key: 'x', value: '2' });
    assert.throws(() => rec.operations(), LincheckInputError);
    rec.abandonInFlight(KV_UNKNOWN);
    assert.deepEqual(rec.operations().map((o) => o.return), [Infinity, Infinity]);
  });

  test('completing an operation twice is an error', () => {
    const rec = new HistoryRecorder<KvInput, KvOutput>();
    const a = rec.invoke(1, { op: 'get', key: 'x' });
    rec.complete(a, { value: null });
    assert.throws(() => rec.complete(a, { value: null }), LincheckInputError);
  });
});
