import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BoundedFrequencyRunner, type Scheduler } from './bounded-frequency-runner.js';

/** A manual clock: timers fire only when the test advances time. */
class FakeScheduler implements Scheduler<number> {
  time = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.time;
  }
  setTimer(ms: number, fn: () => void): number {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, fn });
    return id;
  }
  clearTimer(handle: number): void {
    this.timers.delete(handle);
  }
  get pending(): number[] {
    return [...this.timers.values()].map((t) => t.at).sort((a, b) => a - b);
  }
  /** Moves time forward to `to`, firing due timers in order. */
  advanceTo(to: number): void {
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= to && (next === undefined || e[1].at < next[1].at)) next = e;
      if (next === undefined) break;
      this.timers.delete(next[0]);
      this.time = next[1].at;
      next[1].fn();
    }
    this.time = to;
  }
}

function setup(opts: { min?: number; max?: number; burst?: number } = {}) {
  const sched = new FakeScheduler();
  const runs: number[] = [];
  const runner = new BoundedFrequencyRunner(() => void runs.push(sched.now()), {
    scheduler: sched,
    minIntervalMs: opts.min ?? 1000,
    maxIntervalMs: opts.max ?? 60_000,
    burst: opts.burst ?? 2,
  });
  return { sched, runs, runner };
}

describe('BoundedFrequencyRunner', () => {
  test('runs at once while the burst lasts, then at most one run per minInterval, merging requests', () => {
    const { sched, runs, runner } = setup({ min: 1000, burst: 2 });
    runner.run();
    runner.run();
    assert.deepEqual(runs, [0, 0], 'burst of 2');
    runner.run();
    runner.run();
    runner.run();
    assert.deepEqual(runs, [0, 0], 'rate limited');
    sched.advanceTo(999);
    assert.deepEqual(runs, [0, 0]);
    sched.advanceTo(1000);
    assert.deepEqual(runs, [0, 0, 1000], 'three requests merged into one run');
    sched.advanceTo(5000);
    assert.deepEqual(runs, [0, 0, 1000], 'no periodic run before maxInterval');
  });

  test('tokens refill one per minInterval up to the burst', () => {
    const { sched, runs, runner } = setup({ min: 1000, burst: 3 });
    runner.run();
    runner.run();
    runner.run();
    sched.advanceTo(10_000);
    runner.run();
    runner.run();
    runner.run();
    runner.run();
    assert.deepEqual(runs, [0, 0, 0, 10_000, 10_000, 10_000]);
    sched.advanceTo(11_000);
    assert.deepEqual(runs.slice(6), [11_000]);
  });

  test('runs at least every maxInterval after the first request, and not before it', () => {
    const { sched, runs, runner } = setup({ min: 1000, max: 5000 });
    sched.advanceTo(20_000);
    assert.deepEqual(runs, [], 'nothing before the first run(): caches may not be synced');
    runner.run();
    sched.advanceTo(31_000);
    assert.deepEqual(runs, [20_000, 25_000, 30_000]);
    runner.run();
    sched.advanceTo(36_000);
    assert.deepEqual(runs.slice(3), [31_000, 36_000], 'a run postpones the periodic one');
  });

  test('retryAfter runs again by the deadline; earlier deadlines win; a run satisfies it', () => {
    const { sched, runs, runner } = setup({ min: 100, max: 60_000, burst: 1 });
    runner.run();
    runner.retryAfter(5000);
    runner.retryAfter(3000);
    runner.retryAfter(4000);
    sched.advanceTo(10_000);
    assert.deepEqual(runs, [0, 3000]);
    runner.retryAfter(2000);
    runner.run();
    sched.advanceTo(20_000);
    assert.deepEqual(runs, [0, 3000, 10_000], 'the run at 10000 served the retry');
  });

  test('retryAfter called from inside the sync function', () => {
    const sched = new FakeScheduler();
    const runs: number[] = [];
    const runner: BoundedFrequencyRunner<number> = new BoundedFrequencyRunner(
      () => {
        runs.push(sched.now());
        if (runs.length < 3) runner.retryAfter(500);
      },
      { scheduler: sched, minIntervalMs: 100, maxIntervalMs: 60_000, burst: 1 },
    );
    runner.run();
    sched.advanceTo(5000);
    assert.deepEqual(runs, [0, 500, 1000]);
  });

  test('an async sync never overlaps itself; a request during a run causes one more run after it', async () => {
    const sched = new FakeScheduler();
    let inFlight = 0;
    let maxInFlight = 0;
    const releases: (() => void)[] = [];
    let runs = 0;
    const runner = new BoundedFrequencyRunner(
      async () => {
        runs++;
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise<void>((resolve) => releases.push(resolve));
        inFlight--;
      },
      { scheduler: sched, minIntervalMs: 0, maxIntervalMs: 60_000, burst: 1 },
    );
    runner.run();
    assert.equal(runner.busy, true);
    runner.run();
    runner.run();
    assert.equal(runs, 1);
    releases.shift()?.();
    await new Promise((r) => setImmediate(r));
    assert.equal(runs, 2, 'merged requests made exactly one more run');
    releases.shift()?.();
    await new Promise((r) => setImmediate(r));
    assert.equal(runs, 2);
    assert.equal(maxInFlight, 1);
    assert.equal(runner.busy, false);
  });

  test('errors go to onError and the runner keeps going', () => {
    const sched = new FakeScheduler();
    const errors: unknown[] = [];
    let n = 0;
    const runner = new BoundedFrequencyRunner(
      () => {
        n++;
        throw new Error(`boom ${n}`);
      },
      { scheduler: sched, minIntervalMs: 0, maxIntervalMs: 1000, burst: 1, onError: (e) => errors.push(e) },
    );
    runner.run();
    sched.advanceTo(1000);
    assert.equal(n, 2);
    assert.deepEqual(
      errors.map((e) => (e as Error).message),
      ['boom 1', 'boom 2'],
    );
  });

  test('stop cancels timers and ignores later requests', () => {
    const { sched, runs, runner } = setup({ min: 1000, max: 2000, burst: 1 });
    runner.run();
    runner.run();
    runner.stop();
    assert.deepEqual(sched.pending, []);
    runner.run();
    runner.retryAfter(10);
    sched.advanceTo(10_000);
    assert.deepEqual(runs, [0]);
  });

  test('keeps a single timer', () => {
    const { sched, runner } = setup({ min: 1000, max: 60_000, burst: 1 });
    runner.run();
    runner.run();
    runner.retryAfter(500);
    runner.retryAfter(700);
    assert.deepEqual(sched.pending, [500]);
  });

  test('rejects invalid intervals', () => {
    const sched = new FakeScheduler();
    assert.throws(() => new BoundedFrequencyRunner(() => undefined, { scheduler: sched, minIntervalMs: 10, maxIntervalMs: 5, burst: 1 }), RangeError);
    assert.throws(() => new BoundedFrequencyRunner(() => undefined, { scheduler: sched, minIntervalMs: 1, maxIntervalMs: 5, burst: 0 }), RangeError);
  });
});
