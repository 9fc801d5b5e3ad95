import { Inflights } from './inflights.js';
import type { ProgressStateType } from './types.js';

/**
 * The leader's view of one follower.
 *
 * - probe: we don't know the follower's last index; send one MsgApp per heartbeat
 *   interval (msgAppFlowPaused after each) until an ack tells us `match`.
 * - replicate: optimistic streaming; `next` advances on send, bounded by `inflights`.
 * - snapshot: a snapshot at `pendingSnapshot` is on its way; send nothing until the
 *   follower acks or the driver reports the snapshot status.
 *
 * Invariant: match < next.
 */
export class Progress {
  match = 0;
  next: number;
  state: ProgressStateType = 'probe';
  /** Snapshot index in flight (state 'snapshot' only). */
  pendingSnapshot = 0;
  /** Heard from this follower since the last check-quorum round. */
  recentActive = false;
  /** Stop sending MsgApp until something (an ack, a heartbeat response) unpauses it. */
  msgAppFlowPaused = false;
  readonly inflights: Inflights;

  constructor(next: number, maxInflight: number, maxInflightBytes = 0) {
    this.next = next;
    this.inflights = new Inflights(maxInflight, maxInflightBytes);
  }

  private resetState(state: ProgressStateType): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      // The snapshot (if it arrived) covers pendingSnapshot; probe just past it.
      const pending = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState('probe');
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  /** Accounts for a MsgApp carrying `entries` entries starting at `this.next`. */
  updateOnEntriesSend(entries: number, bytes: number): void {
    switch (this.state) {
      case 'replicate':
        if (entries > 0) {
          const last = this.next + entries - 1;
          this.next = last + 1;
          this.inflights.add(last, bytes);
        }
        this.msgAppFlowPaused = this.inflights.full();
        break;
      case 'probe':
        // Every MsgApp in probe is a probe: wait for its answer (or a heartbeat response).
        this.msgAppFlowPaused = true;
        break;
      case 'snapshot':
        throw new Error('raft progress: sending entries in snapshot state');
    }
  }

  /** The follower acked index n. Returns whether match moved. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.msgAppFlowPaused = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /**
   * The follower rejected a MsgApp whose previous index was `rejected`, hinting its
   * log matches at most up to `matchHint`. Returns false for stale rejections.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    // In probe only the rejection of the latest probe (next-1) is meaningful.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  /** Whether sending MsgApp to this follower is currently throttled. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
      case 'replicate':
        return this.msgAppFlowPaused;
      case 'snapshot':
        return true;
    }
  }

  toString(): string {
    let s = `${this.state} match=${this.match} next=${this.next}`;
    if (this.state === 'snapshot') s += ` pendingSnap=${this.pendingSnapshot}`;
    if (!this.recentActive) s += ' inactive';
    if (this.inflights.length > 0) s += ` inflight=${this.inflights.length}`;
    if (this.inflights.full()) s += '[full]';
    if (this.msgAppFlowPaused) s += ' paused';
    return s;
  }
}
