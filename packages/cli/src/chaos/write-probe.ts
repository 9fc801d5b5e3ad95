// A steady trickle of small writes through the apiserver (a Lease update every interval),
// so a report can say whether and when the control plane took writes again.
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeClient } from '@kemu/api';
import type { WriteAttempt } from './writes.js';

export interface WriteProbeOptions {
  /** A client of its own, with a short per-call deadline (a write that hangs is a failure). */
  client: KubeClient;
  namespace: string;
  lease: string;
  intervalMs: number;
  clock?: () => number;
}

/**
 * One write at a time, started every `intervalMs` (later when the previous one is slow:
 * never two in flight, so a stalled control plane shows as a gap, not a pile-up).
 */
export class WriteProbe {
  readonly attempts: WriteAttempt[] = [];
  private running = false;
  private loop: Promise<void> | undefined;
  private seq = 0;
  private readonly clock: () => number;

  constructor(private readonly o: WriteProbeOptions) {
    this.clock = o.clock ?? Date.now;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const start = this.clock();
      this.seq++;
      try {
        await this.o.client.patch('leases', this.o.namespace, this.o.lease, { spec: { holderIdentity: `kemu-chaos-write-probe-${this.seq}` } });
        this.attempts.push({ start, end: this.clock(), ok: true });
      } catch (err) {
        const e = err as { status?: { reason?: string }; message?: string };
        this.attempts.push({ start, end: this.clock(), ok: false, error: e.status?.reason || e.message || 'error' });
      }
      const wait = start + this.o.intervalMs - this.clock();
      if (wait > 0 && this.running) await sleep(wait);
    }
  }
}
