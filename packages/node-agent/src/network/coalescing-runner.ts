// Merges bursts of requests into rounds of one async job.

interface Waiter<R> {
  resolve(value: R): void;
  reject(err: unknown): void;
}

/**
 * Invariants: rounds never overlap; every request() is served by the first round that
 * starts after it (so a round sees all state its callers changed before asking); all
 * requests made while a round runs share the next round; the first round after an idle
 * period waits one setImmediate so synchronous bursts of calls share it.
 */
export class CoalescingRunner<R> {
  private waiting: Waiter<R>[] = [];
  private active = false;

  constructor(private readonly round: () => Promise<R>) {}

  request(): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.active) {
        this.active = true;
        setImmediate(() => void this.loop());
      }
    });
  }

  private async loop(): Promise<void> {
    while (this.waiting.length > 0) {
      const waiters = this.waiting;
      this.waiting = [];
      try {
        const result = await this.round();
        for (const w of waiters) w.resolve(result);
      } catch (err) {
        for (const w of waiters) w.reject(err);
      }
    }
    this.active = false;
  }
}
