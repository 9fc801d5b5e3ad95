import { MemoryStorage, MessageType, RawNode, ProposalDroppedError, type Entry, type Message, type NodeId, type Ready, type SoftState, type Snapshot } from '@kemu/raft';
import type { Logger } from '@kemu/common';
import { Wal, Snapshotter, SnapshotMarkerMissingError, type HardState } from './wal/index.js';

/** What the driver applies committed entries to. Synchronous: apply order is log order. */
export interface StateMachine {
  /** Applies one committed entry with non-empty data. */
  apply(entry: Entry): void;
  /** Serializes the state as of the last applied entry. */
  snapshot(): Uint8Array;
  /** Replaces the whole state with a snapshot's. */
  restore(data: Uint8Array): void;
}

export interface RaftNodeOptions {
  id: NodeId;
  voters: NodeId[];
  walDir: string;
  snapDir: string;
  /** Opaque bytes stored at WAL creation (member and cluster identity), checked on restart. */
  metadata: Uint8Array;
  tickMs: number;
  electionTicks: number;
  heartbeatTicks: number;
  /** Take a snapshot after this many applied entries. */
  snapshotCount: number;
  /** Entries kept in memory behind a snapshot so slow followers catch up from the log. */
  catchUpEntries: number;
  stateMachine: StateMachine;
  log: Logger;
  random: () => number;
  /** Sends the messages of a Ready to peers (after they are persisted). */
  send(messages: Message[]): void;
  onSoftState?(s: SoftState): void;
  onFatal(err: Error): void;
  /** Seconds one synced WAL write (write + fdatasync) took. */
  observeFsync?(seconds: number): void;
}

export interface NodeStats {
  term: number;
  lead: NodeId;
  role: SoftState['role'];
  commit: number;
  applied: number;
  snapshotIndex: number;
  firstIndex: number;
  lastIndex: number;
}

/** A Ready slower than this is logged: it delays every client request behind it. */
const SLOW_READY_MS = 100;

/** How long a leader holds a commit-only MsgApp hoping to merge it into the next one. */
const COMMIT_HOLD_MS = 5;

export class NodeStoppedError extends Error {
  override readonly name = 'NodeStoppedError';
}

interface PendingRead {
  resolve(index: number): void;
  reject(err: Error): void;
}

/**
 * The driver around the pure Raft core. It owns the clock (a tick every tickMs), the disk
 * (WAL + snapshot files) and the network (via `send`), and handles each Ready in the order
 * the core requires: persist (snapshot, hard state, entries; fsync when mustSync), send,
 * apply, advance.
 *
 * Invariant: at most one Ready is in flight; inputs (ticks, messages, proposals) that
 * arrive while it is persisted are stepped into the core and handled by the next Ready.
 * Invariant: nothing is sent and nothing is applied before it is durable on this member.
 */
export class RaftNode {
  private readonly node: RawNode;
  private readonly storage: MemoryStorage;
  private ticker: NodeJS.Timeout | undefined;
  private loopScheduled = false;
  private loopRunning = false;
  private stopped = false;
  private soft: SoftState = { lead: 0, role: 'follower' };
  private term = 0;
  private vote = 0;
  private commit = 0;
  private appliedIndex: number;
  private snapshotIndex: number;
  private readonly appliedWaiters: Array<{ index: number; resolve: () => void }> = [];
  private readonly held = new Map<NodeId, Message>();
  private heldTimer: NodeJS.Timeout | undefined;
  private readonly leaderWaiters = new Set<() => void>();
  // ReadIndex batching: reads that arrive while a request is in flight share the next one.
  private readCtxSeq = 0;
  private readInFlight: { ctx: string; waiters: PendingRead[]; timer: NodeJS.Timeout } | undefined;
  private readQueue: PendingRead[] = [];

  private constructor(
    private readonly opts: RaftNodeOptions,
    private readonly wal: Wal,
    private readonly snapshotter: Snapshotter,
    storage: MemoryStorage,
    applied: number,
    hardState: HardState,
  ) {
    this.storage = storage;
    this.appliedIndex = applied;
    this.snapshotIndex = applied;
    this.term = hardState.term;
    this.vote = hardState.vote;
    this.commit = hardState.commit;
    this.node = new RawNode({
      id: opts.id,
      voters: opts.voters,
      electionTick: opts.electionTicks,
      heartbeatTick: opts.heartbeatTicks,
      storage,
      applied,
      preVote: true,
      checkQuorum: true,
      maxSizePerMsg: 1024 * 1024,
      maxInflightMsgs: 256,
      maxCommittedSizePerReady: 16 * 1024 * 1024,
      random: opts.random,
      logger: {
        debug: (m) => opts.log.debug(m),
        info: (m) => opts.log.info(m),
        warn: (m) => opts.log.warn(m),
      },
    });
  }

  /** Opens the member's WAL and newest snapshot (or creates both), restoring the state machine. */
  static async open(opts: RaftNodeOptions): Promise<RaftNode> {
    const storage = new MemoryStorage();
    const snapshotter = new Snapshotter(opts.snapDir);
    if (!(await Wal.exists(opts.walDir))) {
      const wal = await Wal.create(opts.walDir, opts.metadata);
      opts.log.info({ id: opts.id, voters: opts.voters }, 'starting a new member');
      return new RaftNode(opts, wal, snapshotter, storage, 0, { term: 0, vote: 0, commit: 0 });
    }
    // A crash between saving a snapshot file and its WAL marker leaves a snapshot the
    // WAL does not know: fall back to the newest snapshot that has a marker.
    let snap = await snapshotter.loadNewest();
    let opened: Awaited<ReturnType<typeof Wal.open>>;
    for (;;) {
      try {
        opened = await Wal.open(opts.walDir, snap ? { index: snap.index, term: snap.term } : undefined);
        break;
      } catch (err) {
        if (!(err instanceof SnapshotMarkerMissingError) || !snap) throw err;
        const unusable = snap.index;
        opts.log.warn({ index: unusable }, 'snapshot has no WAL marker; using an older one');
        snap = await snapshotter.loadNewest((ref) => ref.index < unusable);
      }
    }
    let applied = 0;
    if (snap) {
      const snapshot: Snapshot = { metadata: { index: snap.index, term: snap.term, voters: opts.voters }, data: snap.data };
      storage.applySnapshot(snapshot);
      opts.stateMachine.restore(snap.data);
      applied = snap.index;
    }
    if (Buffer.compare(Buffer.from(opened.metadata), Buffer.from(opts.metadata)) !== 0) {
      await opened.wal.close();
      throw new Error(`the WAL in ${opts.walDir} belongs to another member or cluster`);
    }
    storage.setHardState(opened.hardState);
    storage.append(opened.entries);
    opts.log.info(
      { snapshotIndex: applied, entries: opened.entries.length, hardState: opened.hardState },
      'restarting member from its WAL',
    );
    return new RaftNode(opts, opened.wal, snapshotter, storage, applied, opened.hardState);
  }

  start(): void {
    this.ticker = setInterval(() => {
      this.node.tick();
      this.schedule();
    }, this.opts.tickMs);
    this.schedule();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    if (this.heldTimer) clearTimeout(this.heldTimer);
    const err = new NodeStoppedError('raft node stopped');
    this.failReads(err);
    while (this.loopRunning) await new Promise((r) => setTimeout(r, 5));
    await this.wal.close();
  }

  // ---- inputs ---------------------------------------------------------------------

  step(messages: Message[]): void {
    if (this.stopped) return;
    for (const m of messages) {
      try {
        this.node.step(m);
      } catch (err) {
        this.opts.log.debug({ err: (err as Error).message, type: m.type, from: m.from }, 'dropped raft message');
      }
    }
    this.schedule();
  }

  /** Proposes data; false when there is no leader to take it (the caller waits and retries). */
  propose(data: Uint8Array): boolean {
    if (this.stopped) throw new NodeStoppedError('raft node stopped');
    try {
      this.node.propose(data);
    } catch (err) {
      if (err instanceof ProposalDroppedError) return false;
      throw err;
    }
    this.schedule();
    return true;
  }

  reportUnreachable(id: NodeId): void {
    if (this.stopped) return;
    this.node.reportUnreachable(id);
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    if (this.stopped) return;
    this.node.reportSnapshot(id, ok);
    this.schedule();
  }

  /**
   * The leader's process looks dead (its connections closed). Forget it and, after a short
   * delay that differs per survivor (so they do not split the vote), campaign if still
   * leaderless.
   * With pre-vote this cannot disrupt a leader that is in fact alive.
   */
  leaderLost(id: NodeId): void {
    if (this.stopped) return;
    const before = this.node.status();
    if (before.role !== 'follower' || before.lead !== id) return;
    this.node.forgetLeader();
    this.opts.log.info({ leader: id }, 'leader connection lost; forgot the leader');
    // Survivors take turns by ID so they rarely split the vote: the first campaigns at
    // once, the next a couple of ticks later if still leaderless, and so on.
    const rank = this.opts.voters.filter((v) => v !== id).sort((a, b) => a - b).indexOf(this.opts.id);
    const delay = (rank * 2 + this.opts.random() / 2) * this.opts.tickMs;
    setTimeout(() => {
      const s = this.node.status();
      if (this.stopped || s.role !== 'follower' || s.lead !== 0) {
        this.opts.log.debug({ role: s.role, lead: s.lead }, 'not campaigning after leader loss');
        return;
      }
      this.opts.log.debug('campaigning after leader loss');
      this.node.campaign();
      this.schedule();
    }, delay).unref();
    this.schedule();
  }

  transferLeader(to: NodeId): void {
    this.node.transferLeader(to);
    this.schedule();
  }

  /**
   * Linearizable read barrier: resolves with a commit index that is at least the commit
   * index at the time of the call, as confirmed by a quorum (Raft's ReadIndex), once this
   * member has applied up to it.
   */
  async readBarrier(timeoutMs: number): Promise<number> {
    const index = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ReadTimeoutError('read index timed out')), timeoutMs);
      this.readQueue.push({
        resolve: (i) => {
          clearTimeout(timer);
          resolve(i);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.issueRead();
    });
    await this.waitApplied(index);
    return index;
  }

  private issueRead(): void {
    if (this.readInFlight || this.readQueue.length === 0 || this.stopped) return;
    const ctx = `${this.opts.id}:${++this.readCtxSeq}`;
    const waiters = this.readQueue;
    this.readQueue = [];
    // A ReadIndex request can be lost (leader change, dropped message): retry it.
    const timer = setTimeout(() => {
      if (this.readInFlight?.ctx !== ctx) return;
      this.readInFlight = undefined;
      this.readQueue.unshift(...waiters);
      this.issueRead();
    }, this.opts.tickMs * this.opts.electionTicks);
    this.readInFlight = { ctx, waiters, timer };
    this.node.readIndex(Buffer.from(ctx));
    this.schedule();
  }

  private failReads(err: Error): void {
    if (this.readInFlight) {
      clearTimeout(this.readInFlight.timer);
      for (const w of this.readInFlight.waiters) w.reject(err);
      this.readInFlight = undefined;
    }
    for (const w of this.readQueue) w.reject(err);
    this.readQueue = [];
  }

  waitApplied(index: number): Promise<void> {
    if (this.appliedIndex >= index) return Promise.resolve();
    return new Promise((resolve) => {
      this.appliedWaiters.push({ index, resolve });
    });
  }

  /** Resolves when a leader is known, or false after timeoutMs. */
  waitLeader(timeoutMs: number): Promise<boolean> {
    // Ask the core, not the last Ready's soft state: forgetLeader() changes the leader
    // before a Ready reports it, and a stale "yes" here made proposers spin.
    if (this.node.status().lead !== 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.leaderWaiters.delete(onLeader);
        resolve(ok);
      };
      const onLeader = (): void => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.leaderWaiters.add(onLeader);
    });
  }

  stats(): NodeStats {
    return {
      term: this.term,
      lead: this.soft.lead,
      role: this.soft.role,
      commit: this.commit,
      applied: this.appliedIndex,
      snapshotIndex: this.snapshotIndex,
      firstIndex: this.storage.firstIndex(),
      lastIndex: this.storage.lastIndex(),
    };
  }

  get id(): NodeId {
    return this.opts.id;
  }

  /** The current term as last persisted (what response headers report). */
  get currentTerm(): number {
    return this.term;
  }

  // ---- the Ready loop -------------------------------------------------------------

  private schedule(): void {
    if (this.loopScheduled || this.stopped) return;
    this.loopScheduled = true;
    setImmediate(() => {
      this.loopScheduled = false;
      void this.loop();
    });
  }

  private async loop(): Promise<void> {
    if (this.loopRunning) return;
    this.loopRunning = true;
    try {
      while (!this.stopped && this.node.hasReady()) {
        const rd = this.node.ready();
        const start = performance.now();
        await this.handleReady(rd);
        this.node.advance(rd);
        await this.maybeSnapshot();
        const ms = performance.now() - start;
        if (ms > SLOW_READY_MS) {
          this.opts.log.warn(
            { ms: Math.round(ms), entries: rd.entries.length, committed: rd.committedEntries.length, messages: rd.messages.length, snapshot: !!rd.snapshot },
            'handling a Ready took too long',
          );
        }
      }
    } catch (err) {
      // A member that cannot persist must stop rather than acknowledge what is not durable.
      this.stopped = true;
      if (this.ticker) clearInterval(this.ticker);
      this.opts.onFatal(err as Error);
    } finally {
      this.loopRunning = false;
    }
  }

  private async handleReady(rd: Ready): Promise<void> {
    // A leader may send before its own write completes (Raft thesis 10.2.1, as etcd does):
    // nothing is applied or acknowledged before this Ready's persist finishes, and the
    // commit index it advertises only leaves in a later Ready. A changed term or vote is
    // always persisted before anything is sent, so no vote is ever given twice.
    const sendFirst =
      this.soft.role === 'leader' &&
      rd.snapshot === undefined &&
      (rd.hardState === undefined || (rd.hardState.term === this.term && rd.hardState.vote === this.vote));
    if (sendFirst && rd.messages.length > 0) this.sendLeaderMessages(rd.messages);
    // 1. persist
    if (rd.snapshot) {
      await this.snapshotter.save({ index: rd.snapshot.metadata.index, term: rd.snapshot.metadata.term, data: rd.snapshot.data });
      await this.wal.saveSnapshotMarker({ index: rd.snapshot.metadata.index, term: rd.snapshot.metadata.term });
      this.storage.applySnapshot(rd.snapshot);
      this.opts.stateMachine.restore(rd.snapshot.data);
      this.appliedIndex = rd.snapshot.metadata.index;
      this.snapshotIndex = rd.snapshot.metadata.index;
      this.opts.log.info({ index: rd.snapshot.metadata.index, term: rd.snapshot.metadata.term }, 'applied snapshot from leader');
    }
    if (rd.hardState || rd.entries.length > 0) {
      const start = performance.now();
      await this.wal.save(rd.hardState, rd.entries, rd.mustSync);
      if (rd.mustSync) this.opts.observeFsync?.((performance.now() - start) / 1000);
    }
    if (rd.hardState) {
      this.storage.setHardState(rd.hardState);
      this.term = rd.hardState.term;
      this.vote = rd.hardState.vote;
      this.commit = rd.hardState.commit;
    }
    if (rd.entries.length > 0) this.storage.append(rd.entries);
    // 2. send
    if (!sendFirst && rd.messages.length > 0) this.opts.send(this.withHeld(rd.messages));
    // 3. apply
    for (const e of rd.committedEntries) {
      if (e.index <= this.appliedIndex) continue;
      if (e.data.length > 0) this.opts.stateMachine.apply(e);
      this.appliedIndex = e.index;
    }
    this.releaseAppliedWaiters();
    if (rd.softState) this.changeSoftState(rd.softState);
    for (const rs of rd.readStates) {
      const ctx = Buffer.from(rs.requestCtx).toString();
      if (this.readInFlight?.ctx === ctx) {
        const { waiters, timer } = this.readInFlight;
        clearTimeout(timer);
        this.readInFlight = undefined;
        for (const w of waiters) w.resolve(rs.index);
      }
    }
    this.issueRead();
  }

  private releaseAppliedWaiters(): void {
    if (this.appliedWaiters.length === 0) return;
    let kept = 0;
    for (const w of this.appliedWaiters) {
      if (w.index <= this.appliedIndex) w.resolve();
      else this.appliedWaiters[kept++] = w;
    }
    this.appliedWaiters.length = kept;
  }

  private changeSoftState(s: SoftState): void {
    const previous = this.soft;
    this.soft = s;
    if (s.lead !== previous.lead) {
      this.opts.log.info({ lead: s.lead, role: s.role, term: this.term }, s.lead === 0 ? 'lost leader' : 'leader elected');
      if (s.lead !== 0) for (const w of [...this.leaderWaiters]) w();
      // Reads in flight were addressed to the old leader: send them again.
      if (this.readInFlight) {
        const { waiters, timer } = this.readInFlight;
        clearTimeout(timer);
        this.readInFlight = undefined;
        this.readQueue.unshift(...waiters);
      }
    }
    this.opts.onSoftState?.(s);
  }

  /**
   * A leader's MsgApp without entries only tells a follower the new commit index. Hold it
   * briefly: if another MsgApp to that follower follows (the next write's entries, which
   * carry the commit index too), the held one is dropped, halving the peer messages of
   * back-to-back writes. Otherwise it goes out after COMMIT_HOLD_MS. Delaying or dropping
   * a Raft message is always safe; followers just learn the commit index a little later.
   */
  private sendLeaderMessages(messages: Message[]): void {
    const now: Message[] = [];
    for (const m of messages) {
      if (m.type === MessageType.MsgApp && m.entries.length === 0) {
        this.held.set(m.to, m);
        continue;
      }
      if (m.type === MessageType.MsgApp) this.held.delete(m.to);
      now.push(m);
    }
    if (now.length > 0) this.opts.send(now);
    if (this.held.size > 0 && !this.heldTimer) {
      this.heldTimer = setTimeout(() => {
        this.heldTimer = undefined;
        if (this.held.size > 0 && !this.stopped) this.opts.send(this.withHeld([]));
      }, COMMIT_HOLD_MS);
    }
  }

  /** Held messages go out (first) whenever this member sends anything else as non-leader. */
  private withHeld(messages: Message[]): Message[] {
    if (this.held.size === 0) return messages;
    const held = [...this.held.values()];
    this.held.clear();
    return [...held, ...messages];
  }

  private async maybeSnapshot(): Promise<void> {
    if (this.appliedIndex - this.snapshotIndex < this.opts.snapshotCount) return;
    const index = this.appliedIndex;
    const data = this.opts.stateMachine.snapshot();
    const snap = this.storage.createSnapshot(index, this.opts.voters, data);
    await this.snapshotter.save({ index, term: snap.metadata.term, data });
    await this.wal.saveSnapshotMarker({ index, term: snap.metadata.term });
    this.snapshotIndex = index;
    const compactTo = index - this.opts.catchUpEntries;
    if (compactTo > this.storage.firstIndex()) this.storage.compact(compactTo);
    await this.wal.releaseTo(index);
    await this.snapshotter.prune(3);
    this.opts.log.info({ index, term: snap.metadata.term, bytes: data.length }, 'saved snapshot');
  }
}

export class ReadTimeoutError extends Error {
  override readonly name = 'ReadTimeoutError';
}
