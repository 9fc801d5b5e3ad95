import type { NodeId } from './types.js';

export const VoteResult = { Pending: 'pending', Lost: 'lost', Won: 'won' } as const;
export type VoteResult = (typeof VoteResult)[keyof typeof VoteResult];

/** A simple majority configuration: a decision needs floor(n/2)+1 of `voters`. */
export class MajorityConfig {
  readonly voters: readonly NodeId[];

  constructor(voters: Iterable<NodeId>) {
    this.voters = [...new Set(voters)].sort((a, b) => a - b);
  }

  quorum(): number {
    return Math.floor(this.voters.length / 2) + 1;
  }

  /**
   * The largest index acknowledged by a quorum, given each voter's acked index
   * (missing voters count as 0). An empty config commits everything (MAX_SAFE_INTEGER),
   * matching etcd so that joint configs compose.
   */
  committedIndex(acked: (id: NodeId) => number | undefined): number {
    const n = this.voters.length;
    if (n === 0) return Number.MAX_SAFE_INTEGER;
    const idx = this.voters.map((id) => acked(id) ?? 0).sort((a, b) => a - b);
    // With idx ascending, the entry at n - quorum is held by at least `quorum` voters.
    return idx[n - this.quorum()]!;
  }

  /** Whether the acknowledging set contains a quorum of voters. */
  hasQuorum(acks: ReadonlySet<NodeId>): boolean {
    let n = 0;
    for (const id of this.voters) if (acks.has(id)) n++;
    return n >= this.quorum();
  }

  /** Outcome of an election given the votes so far (missing voters are pending). */
  voteResult(votes: ReadonlyMap<NodeId, boolean>): VoteResult {
    if (this.voters.length === 0) return VoteResult.Won;
    let yes = 0;
    let missing = 0;
    for (const id of this.voters) {
      const v = votes.get(id);
      if (v === undefined) missing++;
      else if (v) yes++;
    }
    const q = this.quorum();
    if (yes >= q) return VoteResult.Won;
    if (yes + missing >= q) return VoteResult.Pending;
    return VoteResult.Lost;
  }
}
