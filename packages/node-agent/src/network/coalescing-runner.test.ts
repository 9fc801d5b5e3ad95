import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoalescingRunner } from './coalescing-runner.js';

test('requests made in one tick share one round', async () => {
  let rounds = 0;
  const runner = new CoalescingRunner(async () => ++rounds);
  const results = await Promise.all([runner.request(), runner.request(), runner.request()]);
  assert.deepEqual(results, [1, 1, 1]);
  assert.equal(rounds, 1);
});

test('a request made while a round runs is served by the next round, which sees its state', async () => {
  let state = 'a';
  const seen: string[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const runner = new CoalescingRunner(async () => {
    seen.push(state);
    if (seen.length === 1) await gate;
    return seen.length;
  });
  const first = runner.request();
  await new Promise((r) => setImmediate(r));
  state = 'b';
  const second = runner.request();
  const third = runner.request();
  release();
  assert.deepEqual(await Promise.all([first, second, third]), [1, 2, 2]);
  assert.deepEqual(seen, ['a', 'b']);
});

test('a failing round rejects only its own requests', async () => {
  let n = 0;
  const runner = new CoalescingRunner(async () => {
    n++;
    if (n === 1) throw new Error('boom');
    return n;
  });
  const failing = [runner.request(), runner.request()];
  await assert.rejects(failing[0] ?? Promise.resolve(), /boom/);
  await assert.rejects(failing[1] ?? Promise.resolve(), /boom/);
  assert.equal(await runner.request(), 2);
});
