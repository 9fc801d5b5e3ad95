/**
 * A token bucket over an injected clock (client-go's flowcontrol.TokenBucketRateLimiter
 * with the node controller's burst of 1): `rate` tokens per second accrue up to `burst`.
 * A rate of 0 never grants a token.
 *
 * Invariant: 0 <= tokens <= burst.
 */
export class TokenBucket {
  readonly burst: number;
  private tokens: number;
  private last: number;

  constructor(
    readonly rate: number,
    now: number,
    options: { burst?: number; full?: boolean } = {},
  ) {
    this.burst = options.burst ?? 1;
    this.tokens = options.full === false || rate <= 0 ? 0 : this.burst;
    this.last = now;
  }

  /** Takes one token if one is available at `now`. */
  tryTake(now: number): boolean {
    this.refill(now);
    // A tolerance keeps floating-point refills from missing the token they were timed for.
    if (this.tokens < 1 - 1e-9) return false;
    this.tokens = Math.max(0, this.tokens - 1);
    return true;
  }

  /** Whether a token is available at `now` (without taking it). */
  available(now: number): boolean {
    this.refill(now);
    return this.tokens >= 1 - 1e-9;
  }

  /** When the next token will be available (`now` if one is), or undefined for rate 0. */
  nextAt(now: number): number | undefined {
    if (this.rate <= 0) return undefined;
    this.refill(now);
    if (this.tokens >= 1 - 1e-9) return now;
    return now + Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }

  private refill(now: number): void {
    if (now > this.last && this.rate > 0) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    }
    this.last = Math.max(this.last, now);
  }
}
