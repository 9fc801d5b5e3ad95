import { ErrStepLocalMsg, ErrStepPeerNotFound } from './errors.js';
import { Raft, type Config } from './raft.js';
import {
  MessageType,
  hardStateEqual,
  isLocalMsg,
  isResponseMsg,
  newMessage,
  type HardState,
  type Message,
  type NodeId,
  type Ready,
  type SoftState,
  type Status,
} from './types.js';

/**
 * The driver-facing wrapper around the Raft state machine.
 *
 * DRIVER CONTRACT. The driver owns the clock, the network and the disk. It calls tick()
 * every tick interval, step() for every message received from a peer, and the request
 * methods (propose, readIndex, transferLeader, ...). Whenever hasReady() is true it
 * takes rd = ready() and handles it in exactly this order:
 *
 *   1. Persist. If rd.snapshot is set, persist it (MemoryStorage.applySnapshot) and
 *      restore the state machine from it. Append rd.entries (MemoryStorage.append; it
 *      truncates a conflicting suffix). Persist rd.hardState if set
 *      (MemoryStorage.setHardState). If rd.mustSync, fsync before going on; a snapshot
 *      must always be durable before step 2.
 *   2. Send rd.messages. Persisting first is what makes them safe: a vote or an
 *      append acknowledgement must never be sent for state that could be forgotten in
 *      a crash. Lost, duplicated or reordered messages are tolerated. For a MsgSnap
 *      the driver reports the outcome with reportSnapshot(to, ok); for a peer that
 *      cannot be reached it may call reportUnreachable(to).
 *   3. Apply rd.committedEntries to the state machine, in order (entries with empty
 *      data are the leader's no-op entries). Serve rd.readStates once the state
 *      machine has applied at least readState.index.
 *   4. Call advance(rd).
 *
 * ready() must not be called again before advance() of the previous Ready. step, tick
 * and the request methods may be called in between; their effects show up in the next
 * Ready.
 *
 * A leader may send a Ready's messages before (or while) persisting its entries, as etcd
 * does (Raft thesis 10.2.1): the core counts the leader's own entries as matched when it
 * appends them, but nothing is applied, and no commit index derived from them leaves,
 * until a later Ready, which the driver only takes after this one's persist finished. A
 * Ready whose hard state changes term or vote must still be persisted before sending.
 *
 * On restart, build MemoryStorage from what was persisted (snapshot, entries, hard
 * state) and pass `applied` = the index the restored state machine reflects.
 * Unsynced data (from a Ready with mustSync === false) may be lost in a crash: that is
 * only ever a commit index regression, which is safe.
 */
export class RawNode {
  private readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  private readyOutstanding = false;

  constructor(config: Config) {
    this.raft = new Raft(config);
    this.prevSoftState = this.raft.softState();
    this.prevHardState = this.raft.hardState();
  }

  /** Advances the logical clock by one tick (elections, heartbeats, check-quorum). */
  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (pre-vote first if enabled). */
  campaign(): void {
    this.raft.step(newMessage({ type: MessageType.MsgHup, from: this.raft.id }));
  }

  /**
   * Proposes data to be appended. A follower forwards it to its leader (it may still be
   * lost in transit). Throws ProposalDroppedError if there is no known leader or the
   * leader is transferring leadership.
   */
  propose(data: Uint8Array): void {
    this.raft.step(
      newMessage({ type: MessageType.MsgProp, from: this.raft.id, entries: [{ term: 0, index: 0, data }] }),
    );
  }

  /**
   * Steps a message received from a peer. Throws ErrStepLocalMsg for local-only types,
   * ErrStepPeerNotFound for a response from a non-member, ProposalDroppedError for a
   * forwarded proposal that cannot be accepted.
   */
  step(m: Message): void {
    if (isLocalMsg(m.type)) throw new ErrStepLocalMsg(`raft: cannot step local message ${m.type} from ${m.from}`);
    if (isResponseMsg(m.type) && !this.raft.trk.progress.has(m.from)) {
      throw new ErrStepPeerNotFound(`raft: cannot step ${m.type}: peer ${m.from} not found`);
    }
    this.raft.step(m);
  }

  /**
   * Requests a linearizable read. The answer appears in a later Ready's readStates with
   * the same requestCtx (use a unique ctx per request); it may be lost (no leader,
   * leader change), so callers time out and retry.
   */
  readIndex(requestCtx: Uint8Array): void {
    this.raft.step(newMessage({ type: MessageType.MsgReadIndex, entries: [{ term: 0, index: 0, data: requestCtx }] }));
  }

  /** Asks the leader (directly or via forwarding) to hand leadership to `to`. */
  /**
   * A follower drops its leader without campaigning, e.g. because the driver saw the
   * leader's connections close (its process died). A leaderless follower grants pre-votes
   * at once instead of honouring the leader lease, so when a quorum of followers forget a
   * dead leader, one of them can be elected without waiting out the election timeout.
   * Harmless if the leader is alive: its next heartbeat restores it. No-op on candidates
   * and leaders.
   */
  forgetLeader(): void {
    this.raft.forgetLeader();
  }

  transferLeader(to: NodeId): void {
    this.raft.step(newMessage({ type: MessageType.MsgTransferLeader, from: to }));
  }

  reportUnreachable(id: NodeId): void {
    this.raft.step(newMessage({ type: MessageType.MsgUnreachable, from: id }));
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    this.raft.step(newMessage({ type: MessageType.MsgSnapStatus, from: id, reject: !ok }));
  }

  hasReady(): boolean {
    const r = this.raft;
    if (!softStateEqual(r.softState(), this.prevSoftState)) return true;
    if (!hardStateEqual(r.hardState(), this.prevHardState)) return true;
    if (r.log.hasNextUnstableSnapshot()) return true;
    if (r.msgs.length > 0) return true;
    if (r.log.hasNextUnstableEnts() || r.log.hasNextCommittedEnts()) return true;
    return r.readStates.length > 0;
  }

  /** Everything to persist, send and apply now. Call advance(rd) when done. */
  ready(): Ready {
    if (this.readyOutstanding) throw new Error('raft: ready() called before advance() of the previous Ready');
    const r = this.raft;
    const rd: Ready = {
      readStates: r.readStates,
      entries: [...r.log.nextUnstableEnts()],
      committedEntries: r.log.nextCommittedEnts(),
      messages: r.msgs,
      mustSync: false,
    };
    const ss = r.softState();
    if (!softStateEqual(ss, this.prevSoftState)) {
      rd.softState = ss;
      this.prevSoftState = ss;
    }
    const hs = r.hardState();
    if (!hardStateEqual(hs, this.prevHardState)) rd.hardState = hs;
    const snap = r.log.unstable.snapshot;
    if (snap !== undefined) rd.snapshot = snap;
    // etcd's rule: term, vote or new entries must be durable; a commit index is not.
    rd.mustSync = hs.term !== this.prevHardState.term || hs.vote !== this.prevHardState.vote || rd.entries.length > 0;
    this.prevHardState = hs;
    r.msgs = [];
    r.readStates = [];
    this.readyOutstanding = true;
    return rd;
  }

  /** The driver finished persisting, sending and applying `rd`. */
  advance(rd: Ready): void {
    const r = this.raft;
    const lastCommitted = rd.committedEntries[rd.committedEntries.length - 1];
    const applied = lastCommitted?.index ?? rd.snapshot?.metadata.index ?? 0;
    if (applied > 0) r.log.appliedTo(applied);
    const lastEntry = rd.entries[rd.entries.length - 1];
    if (lastEntry !== undefined) r.log.stableTo(lastEntry.index, lastEntry.term);
    if (rd.snapshot !== undefined) r.log.stableSnapTo(rd.snapshot.metadata.index);
    this.readyOutstanding = false;
  }

  status(): Status {
    return this.raft.status();
  }
}

function softStateEqual(a: SoftState, b: SoftState): boolean {
  return a.lead === b.lead && a.role === b.role;
}
