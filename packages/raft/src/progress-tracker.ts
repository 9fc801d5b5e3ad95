import { Progress } from './progress.js';
import { MajorityConfig, VoteResult } from './quorum.js';
import type { NodeId } from './types.js';

/** Per-voter progress and election votes, over a fixed majority configuration. */
export class ProgressTracker {
  readonly voters: MajorityConfig;
  /** Iterates in ascending id order (deterministic message order). */
  readonly progress = new Map<NodeId, Progress>();
  readonly votes = new Map<NodeId, boolean>();

  constructor(
    voters: Iterable<NodeId>,
    readonly maxInflight: number,
    readonly maxInflightBytes = 0,
  ) {
    this.voters = new MajorityConfig(voters);
    for (const id of this.voters.voters) this.progress.set(id, new Progress(1, maxInflight, maxInflightBytes));
  }

  /** Replaces every progress with a fresh one (next = lastIndex+1). */
  resetProgress(self: NodeId, lastIndex: number): void {
    for (const id of this.voters.voters) {
      const pr = new Progress(lastIndex + 1, this.maxInflight, this.maxInflightBytes);
      if (id === self) {
        pr.match = lastIndex;
        // The leader is always active.
        pr.recentActive = true;
      }
      this.progress.set(id, pr);
    }
  }

  /** Largest index replicated on a quorum of voters. */
  committed(): number {
    return this.voters.committedIndex((id) => this.progress.get(id)?.match);
  }

  isSingleton(): boolean {
    return this.voters.voters.length === 1;
  }

  /** Whether a quorum of voters was recently active (check-quorum). */
  quorumActive(): boolean {
    const active = new Map<NodeId, boolean>();
    for (const [id, pr] of this.progress) active.set(id, pr.recentActive);
    return this.voters.voteResult(active) === VoteResult.Won;
  }

  resetVotes(): void {
    this.votes.clear();
  }

  /** Records a vote (first one wins) and returns the tally. */
  recordVote(id: NodeId, granted: boolean): { granted: number; rejected: number; result: VoteResult } {
    if (!this.votes.has(id)) this.votes.set(id, granted);
    let g = 0;
    let r = 0;
    for (const id of this.voters.voters) {
      const v = this.votes.get(id);
      if (v === true) g++;
      else if (v === false) r++;
    }
    return { granted: g, rejected: r, result: this.voters.voteResult(this.votes) };
  }
}
