/**
 * Flow control window for one follower in StateReplicate: the last index of each
 * MsgApp sent but not yet acknowledged, in send order (a ring buffer).
 *
 * Invariant: indexes are strictly increasing from oldest to newest.
 */
export class Inflights {
  private start = 0;
  private count = 0;
  private bytes = 0;
  private readonly buffer: { index: number; bytes: number }[] = [];

  /** `size` is the max number of messages in flight; `maxBytes` (0 = unlimited) their total size. */
  constructor(
    readonly size: number,
    readonly maxBytes = 0,
  ) {
    if (size <= 0) throw new Error(`raft inflights: size must be positive, got ${size}`);
  }

  /** Records a MsgApp whose last entry is `index`. Caller must check full() first. */
  add(index: number, bytes: number): void {
    if (this.full()) throw new Error('raft inflights: cannot add into a full inflights');
    const next = (this.start + this.count) % this.size;
    this.buffer[next] = { index, bytes };
    this.count++;
    this.bytes += bytes;
  }

  /** Frees every in-flight message whose last index is <= `to`. */
  freeLE(to: number): void {
    while (this.count > 0) {
      const head = this.buffer[this.start]!;
      if (head.index > to) break;
      this.bytes -= head.bytes;
      this.start = (this.start + 1) % this.size;
      this.count--;
    }
    if (this.count === 0) this.start = 0;
  }

  full(): boolean {
    return this.count === this.size || (this.maxBytes !== 0 && this.bytes >= this.maxBytes);
  }

  get length(): number {
    return this.count;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
    this.bytes = 0;
  }
}
