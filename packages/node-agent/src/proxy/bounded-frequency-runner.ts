// Runs the proxy's sync function often enough and never too often: requests are merged,
// a token bucket (capacity `burst`, one token per minInterval) bounds the rate, and a
// periodic run happens at least every maxInterval. Modelled on kube-proxy's
// BoundedFrequencyRunner; time comes from an injected scheduler.

/** Timers and the clock, injected so tests drive time by hand. */
export interface Scheduler<H = unknown> {
  now(): number;
  setTimer(ms: number, fn: () => void): H;
  clearTimer(handle: H): void;
}

export interface BoundedFrequencyRunnerOptions<H = unknown> {
  scheduler: Scheduler<H>;
  /** Minimum spacing of runs once the burst is used up (ms); a token is refilled every minInterval. */
  minIntervalMs: number;
  /** A run happens at least this often (ms) once the first run() was requested. */
  maxIntervalMs: number;
  /** Runs allowed back to back before minInterval applies (>= 1). */
  burst: number;
  /**
   * Receives what the sync function throws or rejects with; the runner keeps going.
   * Without it the error is rethrown from a microtask (an uncaught exception).
   */
  onError?: (err: unknown) => void;
}

/**
 * Invariants: the sync function never runs concurrently with itself (an async one is
 * awaited); a run() request is never lost: it is served by a run that starts after it;
 * at most `burst` runs start within any minInterval window, plus one per minInterval.
 * Periodic (maxInterval) runs only start after the first run() so nothing syncs before
 * the driver says its caches are ready.
 */
export class BoundedFrequencyRunner<H = unknown> {
  private readonly scheduler: Scheduler<H>;
  private readonly minIntervalMs: number;
  private readonly maxIntervalMs: number;
  private readonly burst: number;
  private readonly onError: (err: unknown) => void;
  private tokens: number;
  private tokensAt: number;
  private timer: { handle: H; at: number } | undefined;
  private running = false;
  /** A run() arrived while running: run again when done. */
  private rerun = false;
  /** Earliest time a retryAfter() asked for a run by. */
  private retryAt: number | undefined;
  private started = false;
  private stopped = false;
  private lastRunAt: number | undefined;

  constructor(
    /** The sync; its result is ignored unless it is a promise, which is awaited before the next run. */
    private readonly fn: () => unknown,
    opts: BoundedFrequencyRunnerOptions<H>,
  ) {
    if (opts.maxIntervalMs < opts.minIntervalMs) throw new RangeError('BoundedFrequencyRunner: maxIntervalMs must be >= minIntervalMs');
    if (opts.burst < 1 || !Number.isInteger(opts.burst)) throw new RangeError('BoundedFrequencyRunner: burst must be an integer >= 1');
    this.scheduler = opts.scheduler;
    this.minIntervalMs = opts.minIntervalMs;
    this.maxIntervalMs = opts.maxIntervalMs;
    this.burst = opts.burst;
    this.onError =
      opts.onError ??
      ((err) =>
        queueMicrotask(() => {
          throw err;
        }));
    this.tokens = opts.burst;
    this.tokensAt = this.scheduler.now();
  }

  /** Asks for a run as soon as the rate limit allows; requests before that run are merged into it. */
  run(): void {
    if (this.stopped) return;
    this.started = true;
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.tryRun();
  }

  /** Ensures a run starts no later than ms from now (rate limit permitting), e.g. after a failed sync. */
  retryAfter(ms: number): void {
    if (this.stopped) return;
    this.started = true;
    const at = this.scheduler.now() + Math.max(0, ms);
    if (this.retryAt === undefined || at < this.retryAt) this.retryAt = at;
    if (!this.running) this.armAt(at);
  }

  /** Cancels timers; an in-flight run finishes but nothing starts afterwards. */
  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  /** Whether the sync function is executing now. */
  get busy(): boolean {
    return this.running;
  }

  /** When the last run started (scheduler time), if any. */
  get lastRun(): number | undefined {
    return this.lastRunAt;
  }

  private refill(now: number): void {
    if (this.minIntervalMs <= 0) {
      this.tokens = this.burst;
    } else {
      this.tokens = Math.min(this.burst, this.tokens + (now - this.tokensAt) / this.minIntervalMs);
    }
    this.tokensAt = now;
  }

  private tryRun(): void {
    const now = this.scheduler.now();
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.execute(now);
      return;
    }
    this.armAt(now + Math.ceil((1 - this.tokens) * this.minIntervalMs));
  }

  private execute(now: number): void {
    this.clearTimer();
    this.running = true;
    this.rerun = false;
    this.retryAt = undefined;
    this.lastRunAt = now;
    let result: unknown;
    try {
      result = this.fn();
    } catch (err) {
      this.onError(err);
      this.finish();
      return;
    }
    if (isThenable(result)) {
      result.then(
        () => this.finish(),
        (err: unknown) => {
          this.onError(err);
          this.finish();
        },
      );
    } else {
      this.finish();
    }
  }

  private finish(): void {
    this.running = false;
    if (this.stopped) return;
    const now = this.scheduler.now();
    this.armAt(now + this.maxIntervalMs, true);
    if (this.retryAt !== undefined) this.armAt(this.retryAt);
    if (this.rerun) this.tryRun();
  }

  private onTimer(): void {
    this.timer = undefined;
    if (this.stopped || this.running || !this.started) return;
    this.tryRun();
  }

  /** Keeps one timer, at the earliest time asked for (or exactly `at` when replace is set). */
  private armAt(at: number, replace = false): void {
    if (this.timer !== undefined && !replace && this.timer.at <= at) return;
    this.clearTimer();
    const now = this.scheduler.now();
    this.timer = { handle: this.scheduler.setTimer(Math.max(0, at - now), () => this.onTimer()), at };
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    this.scheduler.clearTimer(this.timer.handle);
    this.timer = undefined;
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}
