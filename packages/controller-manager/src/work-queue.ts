/**
 * A keyed work queue, after client-go's workqueue: a key added while queued is queued
 * once; a key added while being processed is processed again afterwards (never by two
 * workers at once); a failed key is retried with exponential backoff. Watch handlers
 * only add keys; workers reconcile the key's current state from the informer caches.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiting: (() => void)[] = [];
  private running = false;
  private active = 0;

  constructor(
    private readonly handle: (key: string) => Promise<void>,
    private readonly onError: (key: string, err: unknown) => void,
    private readonly workers = 1,
    private readonly baseDelayMs = 50,
    private readonly maxDelayMs = 5_000,
  ) {}

  add(key: string): void {
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.waiting.shift()?.();
  }

  addAfter(key: string, delayMs: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.add(key);
    }, delayMs);
    this.timers.add(t);
  }

  get length(): number {
    return this.queue.length;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (let i = 0; i < this.workers; i++) void this.worker();
  }

  /** Stops taking keys and waits for the ones being processed. */
  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const w of this.waiting.splice(0)) w();
    while (this.active > 0) await new Promise((r) => setTimeout(r, 10));
  }

  private async worker(): Promise<void> {
    while (this.running) {
      const key = this.queue.shift();
      if (key === undefined) {
        await new Promise<void>((r) => this.waiting.push(r));
        continue;
      }
      this.queued.delete(key);
      this.processing.add(key);
      this.active++;
      try {
        await this.handle(key);
        this.failures.delete(key);
      } catch (err) {
        const n = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, n);
        this.onError(key, err);
        if (this.running) this.addAfter(key, Math.min(this.baseDelayMs * 2 ** (n - 1), this.maxDelayMs));
      } finally {
        this.active--;
        this.processing.delete(key);
        if (this.dirty.delete(key)) this.add(key);
      }
    }
  }
}
