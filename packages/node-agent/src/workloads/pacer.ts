/**
 * Request pacing for the client: starts are due every 1/rate seconds from `startMs`, at
 * most `maxInFlight` run at once and `maxRequests` start in all. Pure: the driver passes
 * a monotonic `nowMs` and the number in flight, and starts exactly what `take` returns.
 */
export class Pacer {
  private readonly intervalMs: number;
  private nextMs: number;
  private startedCount = 0;

  constructor(
    rate: number,
    private readonly maxInFlight: number,
    private readonly maxRequests: number,
    startMs: number,
  ) {
    this.intervalMs = 1000 / rate;
    this.nextMs = startMs;
  }

  /** Requests to start now. */
  take(nowMs: number, inFlight: number): number {
    // A schedule held back for over a second (by the in-flight cap or a stalled event loop)
    // resumes from now instead of bursting to catch up.
    if (nowMs - this.nextMs > 1000) this.nextMs = nowMs;
    let n = 0;
    while (this.nextMs <= nowMs && inFlight + n < this.maxInFlight && this.startedCount + n < this.maxRequests) {
      n++;
      this.nextMs += this.intervalMs;
    }
    this.startedCount += n;
    return n;
  }

  get started(): number {
    return this.startedCount;
  }

  /** Every allowed request has started. */
  get exhausted(): boolean {
    return this.startedCount >= this.maxRequests;
  }

  /**
   * When the driver should call `take` again: undefined if exhausted, or if a start is
   * already due but the cap holds it (call again when a request ends).
   */
  wakeAt(nowMs: number): number | undefined {
    if (this.exhausted || this.nextMs <= nowMs) return undefined;
    return this.nextMs;
  }
}
