import { ConfigError, ErrCompacted, ErrSnapshotTemporarilyUnavailable, ProposalDroppedError } from './errors.js';
import { RaftLog } from './log.js';
import { ProgressTracker } from './progress-tracker.js';
import type { Progress } from './progress.js';
import { VoteResult } from './quorum.js';
import { ReadOnly } from './read-only.js';
import type { Storage } from './storage.js';
import {
  MessageType,
  NONE,
  entrySize,
  isEmptySnapshot,
  newMessage,
  voteRespMsgType,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type ProgressStatus,
  type ReadState,
  type Role,
  type Snapshot,
  type SoftState,
  type Status,
} from './types.js';

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
}

export interface Config {
  id: NodeId;
  /** Voter set, used only when storage holds no snapshot (a fresh or never-compacted log). */
  voters: NodeId[];
  /** Followers campaign after a randomized timeout in [electionTick, 2*electionTick) ticks. */
  electionTick: number;
  /** Leader heartbeat interval in ticks; must be < electionTick. */
  heartbeatTick: number;
  storage: Storage;
  /** Last index applied to the state machine before this restart (e.g. the snapshot index). */
  applied?: number;
  /** Default true. */
  preVote?: boolean;
  /** Default true. Also enables the leader lease that rejects disruptive votes. */
  checkQuorum?: boolean;
  /** Max total entry size per MsgApp (at least one entry is always sent). Default 1 MiB. */
  maxSizePerMsg?: number;
  /** Max MsgApp in flight to one follower in replicate state. Default 256. */
  maxInflightMsgs?: number;
  /** Max total size of committed entries per Ready. Default maxSizePerMsg. */
  maxCommittedSizePerReady?: number;
  /** Seeded source of randomness in [0, 1); the only randomness the core uses. */
  random: () => number;
  logger?: Logger;
}

type CampaignType = 'pre-election' | 'election' | 'transfer';

/** Context of MsgVote sent after MsgTimeoutNow: voters ignore their leader lease for it. */
const CAMPAIGN_TRANSFER = new TextEncoder().encode('CampaignTransfer');

function bytesEqual(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (a === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const silentLogger: Logger = { debug() {}, info() {}, warn() {} };

/**
 * The Raft protocol state machine for one node. Pure and deterministic: inputs are
 * step(message) and tick(); outputs accumulate in `msgs`, `readStates` and the log's
 * unstable / committed entries, which RawNode packages into a Ready.
 *
 * Role-specific behaviour lives in the step/tick function pairs swapped by the
 * become* methods; nothing else switches on the role.
 */
export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = NONE;
  lead: NodeId = NONE;
  role: Role = 'follower';
  readonly log: RaftLog;
  readonly trk: ProgressTracker;
  /** Outbox. `send` only appends here. */
  msgs: Message[] = [];
  readStates: ReadState[] = [];
  /** Voter the leader is handing leadership to (NONE if no transfer is in progress). */
  leadTransferee: NodeId = NONE;

  private readonly electionTimeout: number;
  private readonly heartbeatTimeout: number;
  private readonly checkQuorum: boolean;
  private readonly preVote: boolean;
  private readonly maxMsgSize: number;
  private readonly random: () => number;
  private readonly logger: Logger;

  /**
   * Ticks since the last election timeout reset. On followers: since we last heard from
   * the leader (the lease); on the leader: since the last check-quorum round.
   */
  private electionElapsed = 0;
  /** Leader only: ticks since the last heartbeat broadcast. */
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private readOnly = new ReadOnly();
  /** ReadIndex requests held until this leader commits an entry of its own term. */
  private pendingReadIndexMessages: Message[] = [];

  /**
   * What each role does with a message and a tick. Changing role swaps the pair
   * (see become*); nothing else branches on the role.
   */
  private readonly behaviours: Record<Role, { step: (m: Message) => void; tick: () => void }> = {
    follower: { step: (m) => this.stepFollower(m), tick: () => this.tickElection() },
    'pre-candidate': { step: (m) => this.stepPreCandidate(m), tick: () => this.tickElection() },
    candidate: { step: (m) => this.stepCandidate(m), tick: () => this.tickElection() },
    leader: { step: (m) => this.stepLeader(m), tick: () => this.tickHeartbeat() },
  };
  private behaviour = this.behaviours.follower;

  constructor(c: Config) {
    validateConfig(c);
    this.id = c.id;
    this.electionTimeout = c.electionTick;
    this.heartbeatTimeout = c.heartbeatTick;
    this.checkQuorum = c.checkQuorum ?? true;
    this.preVote = c.preVote ?? true;
    this.maxMsgSize = c.maxSizePerMsg ?? 1024 * 1024;
    this.random = c.random;
    this.logger = c.logger ?? silentLogger;
    this.log = new RaftLog(c.storage, c.maxCommittedSizePerReady ?? this.maxMsgSize);
    const { hardState, voters: storedVoters } = c.storage.initialState();
    const voters = storedVoters.length > 0 ? storedVoters : c.voters;
    if (voters.length === 0) throw new ConfigError('raft config: voters must not be empty');
    this.trk = new ProgressTracker(voters, c.maxInflightMsgs ?? 256);
    if (hardState.term !== 0 || hardState.vote !== NONE || hardState.commit !== 0) this.loadState(hardState);
    if (c.applied !== undefined && c.applied > 0) {
      if (c.applied > this.log.lastIndex()) {
        throw new ConfigError(`raft config: applied ${c.applied} is beyond the last log index ${this.log.lastIndex()}`);
      }
      // Anything applied was committed, even if the commit index update that preceded it
      // was not synced before a crash.
      this.log.committed = Math.max(this.log.committed, c.applied);
      this.log.appliedTo(c.applied);
    }
    this.becomeFollower(this.term, NONE);
    this.logger.info(
      `raft ${this.id}: newRaft [voters: ${this.trk.voters.voters.join(',')}, term: ${this.term}, commit: ${this.log.committed}, applied: ${this.log.applied}, lastindex: ${this.log.lastIndex()}, lastterm: ${this.log.lastTerm()}]`,
    );
  }

  softState(): SoftState {
    return { lead: this.lead, role: this.role };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  status(): Status {
    const s: Status = {
      id: this.id,
      term: this.term,
      vote: this.vote,
      commit: this.log.committed,
      applied: this.log.applied,
      lead: this.lead,
      role: this.role,
      leadTransferee: this.leadTransferee,
    };
    if (this.role === 'leader') {
      const progress = new Map<NodeId, ProgressStatus>();
      for (const [id, pr] of this.trk.progress) progress.set(id, { match: pr.match, next: pr.next, state: pr.state });
      s.progress = progress;
    }
    return s;
  }

  /** Whether this node may campaign (it is a voter). */
  promotable(): boolean {
    return this.trk.progress.has(this.id);
  }

  tick(): void {
    this.behaviour.tick();
  }

  // ---------------------------------------------------------------------------------
  // Outbox

  /**
   * Queues a message. Vote messages carry an explicit term; MsgProp and MsgReadIndex
   * are forwarded without a term (the receiver treats them as local); everything else
   * carries our current term.
   */
  private send(fields: Partial<Message> & { type: MessageType; to: NodeId }): void {
    const m = newMessage(fields);
    if (m.from === NONE) m.from = this.id;
    switch (m.type) {
      case MessageType.MsgVote:
      case MessageType.MsgVoteResp:
      case MessageType.MsgPreVote:
      case MessageType.MsgPreVoteResp:
        if (m.term === 0) throw new Error(`raft ${this.id}: term should be set when sending ${m.type}`);
        break;
      case MessageType.MsgProp:
      case MessageType.MsgReadIndex:
        m.term = 0;
        break;
      default:
        m.term = this.term;
    }
    this.msgs.push(m);
  }

  private sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  /**
   * Sends a MsgApp with new entries (or, if sendIfEmpty, an empty one to carry the
   * commit index / probe) unless the follower is throttled. Falls back to a snapshot if
   * the entries it needs were compacted. Returns whether a message was sent.
   */
  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.trk.progress.get(to)!;
    if (pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    let prevTerm: number;
    try {
      prevTerm = this.log.term(prevIndex);
    } catch (err) {
      if (err instanceof ErrCompacted) return this.maybeSendSnapshot(to, pr);
      throw err;
    }
    let ents: Entry[] = [];
    // A throttled replicate stream still sends empty appends so that a full window whose
    // messages were all lost gets acked or rejected and recovers.
    if (pr.state !== 'replicate' || !pr.inflights.full()) {
      try {
        ents = this.log.entries(pr.next, this.maxMsgSize);
      } catch (err) {
        if (err instanceof ErrCompacted) return this.maybeSendSnapshot(to, pr);
        throw err;
      }
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    this.send({ to, type: MessageType.MsgApp, index: prevIndex, logTerm: prevTerm, entries: ents, commit: this.log.committed });
    let bytes = 0;
    for (const e of ents) bytes += entrySize(e);
    pr.updateOnEntriesSend(ents.length, bytes);
    return true;
  }

  private maybeSendSnapshot(to: NodeId, pr: Progress): boolean {
    // Only ship a (large) snapshot to a follower we know is alive.
    if (!pr.recentActive) {
      this.logger.debug(`raft ${this.id}: ignore sending snapshot to ${to} since it is not recently active`);
      return false;
    }
    let snapshot;
    try {
      snapshot = this.log.snapshot();
    } catch (err) {
      if (err instanceof ErrSnapshotTemporarilyUnavailable) {
        this.logger.debug(`raft ${this.id}: failed to send snapshot to ${to} because snapshot is temporarily unavailable`);
        return false;
      }
      throw err;
    }
    if (isEmptySnapshot(snapshot)) throw new Error(`raft ${this.id}: need non-empty snapshot`);
    this.logger.debug(
      `raft ${this.id}: sent snapshot[index: ${snapshot.metadata.index}, term: ${snapshot.metadata.term}] to ${to} [${pr.toString()}]`,
    );
    pr.becomeSnapshot(snapshot.metadata.index);
    this.send({ to, type: MessageType.MsgSnap, snapshot });
    return true;
  }

  /** Heartbeats never advance a follower's commit past what it is known to hold. */
  private sendHeartbeat(to: NodeId, ctx: Uint8Array | undefined): void {
    const commit = Math.min(this.trk.progress.get(to)!.match, this.log.committed);
    const fields: Partial<Message> & { type: MessageType; to: NodeId } = { to, type: MessageType.MsgHeartbeat, commit };
    if (ctx !== undefined) fields.context = ctx;
    this.send(fields);
  }

  private bcastAppend(): void {
    for (const id of this.trk.progress.keys()) if (id !== this.id) this.sendAppend(id);
  }

  private bcastHeartbeat(ctx = this.readOnly.lastPendingRequestCtx()): void {
    for (const id of this.trk.progress.keys()) if (id !== this.id) this.sendHeartbeat(id, ctx);
  }

  // ---------------------------------------------------------------------------------
  // Role changes

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.trk.resetVotes();
    this.trk.resetProgress(this.id, this.log.lastIndex());
    this.readOnly = new ReadOnly();
    this.pendingReadIndexMessages = [];
  }

  /** See RawNode.forgetLeader. Invariant kept: term and vote are unchanged. */
  forgetLeader(): void {
    if (this.role !== 'follower' || this.lead === NONE) return;
    this.logger.info(`raft ${this.id}: forgetting leader ${this.lead} at term ${this.term}`);
    this.lead = NONE;
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.behaviour = this.behaviours.follower;
    this.reset(term);
    this.lead = lead;
    this.role = 'follower';
    this.logger.info(`raft ${this.id}: became follower at term ${this.term}`);
  }

  private becomeCandidate(): void {
    if (this.role === 'leader') throw new Error(`raft ${this.id}: invalid transition [leader -> candidate]`);
    this.behaviour = this.behaviours.candidate;
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
    this.logger.info(`raft ${this.id}: became candidate at term ${this.term}`);
  }

  /** Pre-candidates change neither term nor vote: a failed pre-vote disrupts nobody. */
  private becomePreCandidate(): void {
    if (this.role === 'leader') throw new Error(`raft ${this.id}: invalid transition [leader -> pre-candidate]`);
    this.behaviour = this.behaviours['pre-candidate'];
    this.trk.resetVotes();
    this.lead = NONE;
    this.role = 'pre-candidate';
    this.logger.info(`raft ${this.id}: became pre-candidate at term ${this.term}`);
  }

  private becomeLeader(): void {
    if (this.role === 'follower') throw new Error(`raft ${this.id}: invalid transition [follower -> leader]`);
    this.behaviour = this.behaviours.leader;
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    this.trk.progress.get(this.id)!.becomeReplicate();
    // An entry of the new term: committing it commits everything before it (§5.4.2)
    // and unblocks ReadIndex.
    this.appendEntry([new Uint8Array(0)]);
    this.logger.info(`raft ${this.id}: became leader at term ${this.term}`);
  }

  private resetRandomizedElectionTimeout(): void {
    const r = this.random();
    const jitter = Math.min(this.electionTimeout - 1, Math.max(0, Math.floor(r * this.electionTimeout)));
    this.randomizedElectionTimeout = this.electionTimeout + jitter;
  }

  private abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  // ---------------------------------------------------------------------------------
  // Ticks

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.step(newMessage({ type: MessageType.MsgHup, from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) this.step(newMessage({ type: MessageType.MsgCheckQuorum, from: this.id }));
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.leadTransferee !== NONE) this.abortLeaderTransfer();
    }
    // Check-quorum may have made us step down.
    if (this.behaviour !== this.behaviours.leader) return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.step(newMessage({ type: MessageType.MsgBeat, from: this.id }));
    }
  }

  // ---------------------------------------------------------------------------------
  // Elections

  private hup(t: CampaignType): void {
    if (!this.promotable()) {
      this.logger.warn(`raft ${this.id}: is unpromotable and can not campaign`);
      return;
    }
    this.logger.info(`raft ${this.id}: is starting a new election at term ${this.term}`);
    this.campaign(t);
  }

  private campaign(t: CampaignType): void {
    let term: number;
    let voteMsg: MessageType;
    if (t === 'pre-election') {
      this.becomePreCandidate();
      voteMsg = MessageType.MsgPreVote;
      // Pre-votes ask about the term we would move to, without moving there.
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      voteMsg = MessageType.MsgVote;
      term = this.term;
    }
    if (this.poll(this.id, voteRespMsgType(voteMsg), true) === VoteResult.Won) {
      // Single-voter cluster: we won on our own vote.
      if (t === 'pre-election') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    const lastIndex = this.log.lastIndex();
    const lastTerm = this.log.lastTerm();
    for (const id of this.trk.progress.keys()) {
      if (id === this.id) continue;
      const fields: Partial<Message> & { type: MessageType; to: NodeId } = {
        to: id,
        term,
        type: voteMsg,
        index: lastIndex,
        logTerm: lastTerm,
      };
      if (t === 'transfer') fields.context = CAMPAIGN_TRANSFER;
      this.send(fields);
    }
  }

  private poll(id: NodeId, t: MessageType, granted: boolean): VoteResult {
    const { granted: g, rejected: r, result } = this.trk.recordVote(id, granted);
    this.logger.debug(
      `raft ${this.id}: received ${t} ${granted ? '' : 'rejection '}from ${id} at term ${this.term} [${g} granted, ${r} rejected]`,
    );
    return result;
  }

  // ---------------------------------------------------------------------------------
  // Step

  /**
   * Entry point for every message. Handles term bookkeeping and votes (common to all
   * roles), then hands the message to the current role's step function.
   * Throws ProposalDroppedError for a MsgProp that cannot be accepted.
   */
  step(m: Message): void {
    if (m.term === 0) {
      // Local message (or a forwarded MsgProp / MsgReadIndex).
    } else if (m.term > this.term) {
      if (m.type === MessageType.MsgVote || m.type === MessageType.MsgPreVote) {
        const force = bytesEqual(m.context, CAMPAIGN_TRANSFER);
        const inLease = this.checkQuorum && this.lead !== NONE && this.electionElapsed < this.electionTimeout;
        if (!force && inLease) {
          // Leader lease: we heard from a live leader within the election timeout, so a
          // node campaigning now is disruptive (e.g. it was partitioned). Ignore it.
          this.logger.info(
            `raft ${this.id}: [term: ${this.term}] ignored ${m.type} from ${m.from} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}: lease is not expired (remaining ticks: ${this.electionTimeout - this.electionElapsed})`,
          );
          return;
        }
      }
      if (m.type === MessageType.MsgPreVote) {
        // Never change our term in response to a pre-vote.
      } else if (m.type === MessageType.MsgPreVoteResp && !m.reject) {
        // A granted pre-vote carries the term we asked about, not the voter's term.
      } else if (m.type === MessageType.MsgApp || m.type === MessageType.MsgHeartbeat || m.type === MessageType.MsgSnap) {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if ((this.checkQuorum || this.preVote) && (m.type === MessageType.MsgHeartbeat || m.type === MessageType.MsgApp)) {
        // A stale leader (e.g. healed from a partition) would never learn of the newer
        // term otherwise, since our (pre)votes cannot raise its term: tell it.
        this.send({ to: m.from, type: MessageType.MsgAppResp });
      } else if (m.type === MessageType.MsgPreVote) {
        this.send({ to: m.from, term: this.term, type: MessageType.MsgPreVoteResp, reject: true });
      }
      return;
    }

    if (m.type === MessageType.MsgVote || m.type === MessageType.MsgPreVote) {
      this.handleVoteRequest(m);
      return;
    }
    this.behaviour.step(m);
  }

  private handleVoteRequest(m: Message): void {
    // We can vote if we already voted for this node (a retransmission), if we have not
    // voted and know no leader in this term, or for a pre-vote of a future term.
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.lead === NONE) ||
      (m.type === MessageType.MsgPreVote && m.term > this.term);
    const respType = voteRespMsgType(m.type);
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      this.logger.info(`raft ${this.id}: [term: ${this.term}] cast ${m.type} for ${m.from} at term ${m.term}`);
      // Grants carry the requested term so a pre-candidate can count them.
      this.send({ to: m.from, term: m.term, type: respType });
      if (m.type === MessageType.MsgVote) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.logger.info(`raft ${this.id}: [term: ${this.term}] rejected ${m.type} from ${m.from} at term ${this.term}`);
      this.send({ to: m.from, term: this.term, type: respType, reject: true });
    }
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case MessageType.MsgHup:
        this.logger.debug(`raft ${this.id}: ignoring MsgHup because already leader`);
        return;
      case MessageType.MsgBeat:
        this.bcastHeartbeat();
        return;
      case MessageType.MsgCheckQuorum:
        if (!this.trk.quorumActive()) {
          this.logger.warn(`raft ${this.id}: stepped down to follower since quorum is not active`);
          this.becomeFollower(this.term, NONE);
          return;
        }
        for (const [id, pr] of this.trk.progress) if (id !== this.id) pr.recentActive = false;
        return;
      case MessageType.MsgProp:
        if (m.entries.length === 0) throw new Error(`raft ${this.id}: stepped empty MsgProp`);
        if (this.leadTransferee !== NONE) {
          throw new ProposalDroppedError(
            `raft ${this.id}: proposal dropped: leadership is being transferred to ${this.leadTransferee}`,
          );
        }
        this.appendEntry(m.entries.map((e) => e.data));
        this.bcastAppend();
        return;
      case MessageType.MsgReadIndex:
        this.handleReadIndexAsLeader(m);
        return;
      default:
        break;
    }

    const pr = this.trk.progress.get(m.from);
    if (pr === undefined) {
      this.logger.debug(`raft ${this.id}: no progress available for ${m.from}`);
      return;
    }
    switch (m.type) {
      case MessageType.MsgAppResp:
        this.handleAppendResponse(m, pr);
        return;
      case MessageType.MsgHeartbeatResp:
        this.handleHeartbeatResponse(m, pr);
        return;
      case MessageType.MsgSnapStatus:
        if (pr.state !== 'snapshot') return;
        if (m.reject) {
          // Failed: forget the snapshot and probe from match again.
          pr.pendingSnapshot = 0;
        }
        pr.becomeProbe();
        // Success: wait for the follower's MsgAppResp. Failure: wait a heartbeat
        // interval before retrying.
        pr.msgAppFlowPaused = true;
        return;
      case MessageType.MsgUnreachable:
        // Optimistic streaming to an unreachable node only loses messages.
        if (pr.state === 'replicate') pr.becomeProbe();
        return;
      case MessageType.MsgTransferLeader:
        this.handleTransferLeader(m, pr);
        return;
      default:
        return;
    }
  }

  private handleAppendResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      let nextProbeIdx = m.rejectHint;
      if (m.logTerm > 0) {
        // Skip every entry of ours whose term exceeds the follower's term at the hint:
        // they cannot match.
        nextProbeIdx = this.log.findConflictByTerm(m.rejectHint, m.logTerm).index;
      }
      if (pr.maybeDecrTo(m.index, nextProbeIdx)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const oldPaused = pr.isPaused();
    if (!(pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === 'probe'))) return;
    switch (pr.state) {
      case 'probe':
        pr.becomeReplicate();
        break;
      case 'snapshot':
        // The follower caught up (through the snapshot or otherwise) to where our log
        // can serve it entries.
        if (pr.match + 1 >= this.log.firstIndex()) {
          pr.becomeProbe();
          pr.becomeReplicate();
        }
        break;
      case 'replicate':
        pr.inflights.freeLE(m.index);
        break;
    }
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    } else if (oldPaused) {
      this.sendAppend(m.from);
    }
    // The window may have opened for several messages; fill it (without empty ones).
    while (this.maybeSendAppend(m.from, false)) {
      /* keep sending */
    }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.logger.info(`raft ${this.id}: sent MsgTimeoutNow to ${m.from} after received MsgAppResp`);
      this.send({ to: m.from, type: MessageType.MsgTimeoutNow });
    }
  }

  private handleHeartbeatResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    pr.msgAppFlowPaused = false;
    if (pr.match < this.log.lastIndex() || pr.state === 'probe') this.sendAppend(m.from);
    if (m.context === undefined || m.context.length === 0) return;
    const acks = this.readOnly.recvAck(m.from, m.context);
    if (acks === undefined || !this.trk.voters.hasQuorum(acks)) return;
    for (const rs of this.readOnly.advance(m.context)) this.respondToReadIndex(rs.req, rs.index);
  }

  private handleTransferLeader(m: Message, pr: Progress): void {
    const transferee = m.from;
    if (this.leadTransferee !== NONE) {
      if (this.leadTransferee === transferee) {
        this.logger.info(`raft ${this.id}: transfer leadership to ${transferee} is in progress, ignores request`);
        return;
      }
      this.abortLeaderTransfer();
    }
    if (transferee === this.id) {
      this.logger.debug(`raft ${this.id}: is already leader, ignored transferring leadership to self`);
      return;
    }
    // The transfer must finish within one election timeout (see tickHeartbeat).
    this.electionElapsed = 0;
    this.leadTransferee = transferee;
    this.logger.info(`raft ${this.id}: starts to transfer leadership to ${transferee}`);
    if (pr.match === this.log.lastIndex()) {
      this.send({ to: transferee, type: MessageType.MsgTimeoutNow });
    } else {
      this.sendAppend(transferee);
    }
  }

  private handleReadIndexAsLeader(m: Message): void {
    if (m.entries.length !== 1) return;
    if (this.trk.isSingleton()) {
      this.respondToReadIndex(m, this.log.committed);
      return;
    }
    // Our commit index is only known to be current once an entry of our term commits.
    if (!this.committedEntryInCurrentTerm()) {
      this.pendingReadIndexMessages.push(m);
      return;
    }
    this.startReadIndex(m);
  }

  /** ReadOnlySafe: remember the commit index, then confirm leadership with a heartbeat round. */
  private startReadIndex(m: Message): void {
    const ctx = m.entries[0]!.data;
    this.readOnly.addRequest(this.log.committed, m);
    this.readOnly.recvAck(this.id, ctx);
    this.bcastHeartbeat(ctx);
  }

  private releasePendingReadIndexMessages(): void {
    if (this.pendingReadIndexMessages.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const msgs = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of msgs) this.startReadIndex(m);
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.log.termOrZero(this.log.committed) === this.term;
  }

  private respondToReadIndex(req: Message, index: number): void {
    if (req.from === NONE || req.from === this.id) {
      this.readStates.push({ index, requestCtx: req.entries[0]!.data });
      return;
    }
    this.send({ to: req.from, type: MessageType.MsgReadIndexResp, index, entries: req.entries });
  }

  /** Shared by pre-candidates and candidates; differs only in the vote response type. */
  private stepCampaigning(m: Message, myVoteRespType: MessageType, onWin: () => void): void {
    switch (m.type) {
      case MessageType.MsgProp:
        throw new ProposalDroppedError(`raft ${this.id}: proposal dropped: no leader at term ${this.term}`);
      case MessageType.MsgApp:
        this.becomeFollower(m.term, m.from);
        this.handleAppendEntries(m);
        return;
      case MessageType.MsgHeartbeat:
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case MessageType.MsgSnap:
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case MessageType.MsgHup:
        this.hup(this.preVote ? 'pre-election' : 'election');
        return;
      default:
        break;
    }
    if (m.type !== myVoteRespType) return;
    switch (this.poll(m.from, m.type, !m.reject)) {
      case VoteResult.Won:
        onWin();
        return;
      case VoteResult.Lost:
        this.becomeFollower(this.term, NONE);
        return;
      case VoteResult.Pending:
        return;
    }
  }

  private stepPreCandidate(m: Message): void {
    this.stepCampaigning(m, MessageType.MsgPreVoteResp, () => this.campaign('election'));
  }

  private stepCandidate(m: Message): void {
    this.stepCampaigning(m, MessageType.MsgVoteResp, () => {
      this.becomeLeader();
      this.bcastAppend();
    });
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case MessageType.MsgHup:
        this.hup(this.preVote ? 'pre-election' : 'election');
        return;
      case MessageType.MsgProp:
        if (this.lead === NONE) {
          throw new ProposalDroppedError(`raft ${this.id}: proposal dropped: no leader at term ${this.term}`);
        }
        this.send({ ...m, to: this.lead });
        return;
      case MessageType.MsgApp:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        return;
      case MessageType.MsgHeartbeat:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case MessageType.MsgSnap:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case MessageType.MsgTransferLeader:
        if (this.lead === NONE) {
          this.logger.info(`raft ${this.id}: no leader at term ${this.term}; dropping leader transfer msg`);
          return;
        }
        this.send({ ...m, to: this.lead, term: 0 });
        return;
      case MessageType.MsgTimeoutNow:
        this.logger.info(`raft ${this.id}: [term ${this.term}] received MsgTimeoutNow from ${m.from} and starts an election`);
        // Campaign immediately, bypassing pre-vote and the voters' leases.
        this.hup('transfer');
        return;
      case MessageType.MsgReadIndex:
        if (this.lead === NONE) {
          this.logger.info(`raft ${this.id}: no leader at term ${this.term}; dropping index reading msg`);
          return;
        }
        this.send({ ...m, to: this.lead });
        return;
      case MessageType.MsgReadIndexResp:
        if (m.entries.length !== 1) return;
        this.readStates.push({ index: m.index, requestCtx: m.entries[0]!.data });
        return;
      default:
        return;
    }
  }

  // ---------------------------------------------------------------------------------
  // Follower handlers

  private handleAppendEntries(m: Message): void {
    if (m.index < this.log.committed) {
      // Everything up to our commit index is known to match.
      this.send({ to: m.from, type: MessageType.MsgAppResp, index: this.log.committed });
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.send({ to: m.from, type: MessageType.MsgAppResp, index: lastNew });
      return;
    }
    // Reject, hinting the largest index <= m.index whose term is <= m.logTerm, so the
    // leader can skip a whole conflicting term per round trip.
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    this.logger.debug(
      `raft ${this.id}: [logterm: ${this.log.termOrZero(m.index)}, index: ${m.index}] rejected MsgApp [logterm: ${m.logTerm}, index: ${m.index}] from ${m.from}`,
    );
    this.send({
      to: m.from,
      type: MessageType.MsgAppResp,
      index: m.index,
      reject: true,
      rejectHint: hint.index,
      logTerm: hint.term,
    });
  }

  private handleHeartbeat(m: Message): void {
    this.log.commitTo(m.commit);
    const fields: Partial<Message> & { type: MessageType; to: NodeId } = { to: m.from, type: MessageType.MsgHeartbeatResp };
    if (m.context !== undefined) fields.context = m.context;
    this.send(fields);
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot;
    if (s === undefined) return;
    if (this.restore(s)) {
      this.logger.info(
        `raft ${this.id}: [commit: ${this.log.committed}] restored snapshot [index: ${s.metadata.index}, term: ${s.metadata.term}]`,
      );
      this.send({ to: m.from, type: MessageType.MsgAppResp, index: this.log.lastIndex() });
    } else {
      this.logger.info(
        `raft ${this.id}: [commit: ${this.log.committed}] ignored snapshot [index: ${s.metadata.index}, term: ${s.metadata.term}]`,
      );
      this.send({ to: m.from, type: MessageType.MsgAppResp, index: this.log.committed });
    }
  }

  /** Installs the snapshot unless it is stale or our log already contains its last entry. */
  private restore(s: Snapshot): boolean {
    if (s.metadata.index <= this.log.committed) return false;
    if (this.log.matchTerm(s.metadata.index, s.metadata.term)) {
      // We already have the entry: just fast-forward the commit index.
      this.log.commitTo(s.metadata.index);
      return false;
    }
    this.log.restore(s);
    return true;
  }

  // ---------------------------------------------------------------------------------
  // Leader log handling

  private appendEntry(datas: Uint8Array[]): void {
    const li = this.log.lastIndex();
    const ents: Entry[] = datas.map((data, i) => ({ term: this.term, index: li + 1 + i, data }));
    const last = this.log.append(ents);
    // The leader's own (unstable) entries count towards the quorum: the driver persists
    // them before sending the messages of the same Ready, and an entry can only commit
    // once a follower acked a message sent after that persist.
    this.trk.progress.get(this.id)!.maybeUpdate(last);
    this.maybeCommit();
  }

  private maybeCommit(): boolean {
    return this.log.maybeCommit(this.trk.committed(), this.term);
  }

  private loadState(hs: HardState): void {
    if (hs.commit > this.log.lastIndex()) {
      throw new Error(`raft ${this.id}: state.commit ${hs.commit} is out of range [${this.log.committed}, ${this.log.lastIndex()}]`);
    }
    // A commit index older than the snapshot (an unsynced commit update lost in a crash)
    // is harmless: the snapshot's index is committed by definition.
    this.log.committed = Math.max(hs.commit, this.log.committed);
    this.term = hs.term;
    this.vote = hs.vote;
  }
}

function validateConfig(c: Config): void {
  if (!Number.isInteger(c.id) || c.id <= 0) throw new ConfigError(`raft config: id must be a positive integer, got ${c.id}`);
  if (!(c.heartbeatTick > 0)) throw new ConfigError('raft config: heartbeatTick must be greater than 0');
  if (!(c.electionTick > c.heartbeatTick)) throw new ConfigError('raft config: electionTick must be greater than heartbeatTick');
  if (c.maxInflightMsgs !== undefined && !(c.maxInflightMsgs > 0)) {
    throw new ConfigError('raft config: maxInflightMsgs must be greater than 0');
  }
  if (c.maxSizePerMsg !== undefined && !(c.maxSizePerMsg > 0)) {
    throw new ConfigError('raft config: maxSizePerMsg must be greater than 0');
  }
  if (typeof c.random !== 'function') throw new ConfigError('raft config: random is required');
}
