/** How one request of the client ended. */
export type RequestOutcome =
  | { kind: 'ok'; latencyMs: number; /** `pod` of the echo JSON, when the body had one. */ backend: string | undefined }
  | { kind: 'failed'; /** `timeout`, an errno code (`ECONNREFUSED`), or `status <code>`. */ error: string }
  /**
   * The deadline passed while the client itself was not running (its timer fired well
   * late: a machine that stalled every process). Says nothing about the Service, so it is
   * counted apart from ok and failed.
   */
  | { kind: 'stalled' };

/** One line of the client's output per second. */
export interface SecondReport {
  /** Start of the wall-clock second the line covers (ISO 8601). */
  t: string;
  ok: number;
  failed: number;
  /** Requests whose deadline passed while the client itself was stalled: neither ok nor failed. */
  stalled: number;
  errors: Record<string, number>;
  /** Latency percentiles of the second's successful requests; null when there were none. */
  p50Ms: number | null;
  p99Ms: number | null;
  backends: Record<string, number>;
}

export interface Totals {
  ok: number;
  failed: number;
  stalled: number;
}

/**
 * Counts request outcomes per reporting window. A request belongs to the window in which
 * it ended. Pure: the driver decides when a window ends and passes its time.
 */
export class ClientStats {
  private ok = 0;
  private failed = 0;
  private stalled = 0;
  private errors: Record<string, number> = {};
  private backends: Record<string, number> = {};
  private latencies: number[] = [];
  private readonly total: Totals = { ok: 0, failed: 0, stalled: 0 };

  record(outcome: RequestOutcome): void {
    switch (outcome.kind) {
      case 'ok':
        this.ok++;
        this.total.ok++;
        this.latencies.push(outcome.latencyMs);
        if (outcome.backend !== undefined) this.backends[outcome.backend] = (this.backends[outcome.backend] ?? 0) + 1;
        return;
      case 'failed':
        this.failed++;
        this.total.failed++;
        this.errors[outcome.error] = (this.errors[outcome.error] ?? 0) + 1;
        return;
      case 'stalled':
        this.stalled++;
        this.total.stalled++;
        return;
    }
  }

  /** True when the current window has recorded anything. */
  get windowHasData(): boolean {
    return this.ok + this.failed + this.stalled > 0;
  }

  get totals(): Totals {
    return { ...this.total };
  }

  /** Ends the current window, labelled with the second starting at `secondStart`, and starts a new one. */
  flush(secondStart: Date): SecondReport {
    const sorted = this.latencies.sort((a, b) => a - b);
    const report: SecondReport = {
      t: secondStart.toISOString(),
      ok: this.ok,
      failed: this.failed,
      stalled: this.stalled,
      errors: this.errors,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      backends: this.backends,
    };
    this.ok = 0;
    this.failed = 0;
    this.stalled = 0;
    this.errors = {};
    this.backends = {};
    this.latencies = [];
    return report;
  }
}

/** Nearest-rank percentile of ascending `sorted`, rounded to 0.01 ms; null for no samples. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return Math.round(sorted[rank - 1]! * 100) / 100;
}
