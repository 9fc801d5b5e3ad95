import { describeMessage } from '../describe.js';
import { ErrCompacted, ErrSnapOutOfDate, ErrUnavailable, ProposalDroppedError } from '../errors.js';
import { RawNode } from '../raw-node.js';
import { MemoryStorage } from '../storage.js';
import { MessageType, type Entry, type HardState, type Message, type NodeId, type Ready } from '../types.js';
import { Rng } from '../rng.js';
import { NO_FAULTS, SimNetwork, type NetworkFaults } from './sim-network.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface SimOptions {
  seed: number;
  nodes: number;
  /** Ticks of chaos before the liveness phase. */
  steps: number;
  electionTick?: number;
  heartbeatTick?: number;
  faults?: NetworkFaults;
  /** Max ticks allowed for the liveness phase. */
  livenessTicks?: number;
}

/** A safety or liveness violation, carrying the seed and the tail of the trace. */
export class SimulationFailure extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SimulationFailure';
  }
}

/** Rolling FNV-1a over (index, data): the state machine's content in one number. */
function mix(hash: number, e: Entry): number {
  let h = hash ^ e.index;
  h = Math.imul(h, 16777619) >>> 0;
  for (const b of e.data) h = Math.imul(h ^ b, 16777619) >>> 0;
  return h;
}

function key(data: Uint8Array): string {
  return dec.decode(data);
}

interface SimNode {
  id: NodeId;
  /** The "disk": survives crashes. Entries are always synced (mustSync when non-empty). */
  storage: MemoryStorage;
  /** Hard state as of the last fsync; what a crash falls back to. */
  syncedHardState: HardState;
  /** undefined while crashed. */
  rn: RawNode | undefined;
  /** State machine. */
  appliedIndex: number;
  hash: number;
  /** Highest commit index of this incarnation already checked against the registry. */
  seenCommit: number;
}

interface CommittedEntry {
  term: number;
  data: string;
  /** Upper bound of the term in which the commit decision was made. */
  commitTerm: number;
}

/**
 * A seeded cluster simulation: random faults, crashes and proposals, with the Raft
 * safety properties checked after every step and liveness checked at the end.
 */
export class Simulation {
  private readonly rng: Rng;
  private readonly net: SimNetwork;
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly ids: NodeId[];
  private readonly electionTick: number;
  private readonly heartbeatTick: number;
  private now = 0;
  private proposals = 0;

  // Global registries for the invariants.
  /** term -> the only node ever seen as leader in it. */
  private readonly leaders = new Map<number, NodeId>();
  /** "index/term" -> data and the term of the preceding entry (log matching). */
  private readonly entryAt = new Map<string, { data: string; prevTerm: number }>();
  private readonly committed = new Map<number, CommittedEntry>();
  private maxCommitted = 0;
  /** index -> data applied there (state machine safety). */
  private readonly appliedAt = new Map<number, string>();
  /** index -> state machine hash after applying it. */
  private readonly hashAt = new Map<number, number>();
  /** read ctx -> the highest commit index anywhere when the read was issued. */
  private readonly reads = new Map<string, number>();

  private readonly trace: string[] = [];
  private traceNext = 0;
  private static readonly TRACE = 400;

  constructor(private readonly opts: SimOptions) {
    this.rng = new Rng(opts.seed);
    this.electionTick = opts.electionTick ?? 10;
    this.heartbeatTick = opts.heartbeatTick ?? 1;
    this.net = new SimNetwork(this.rng.fork(), opts.faults ?? defaultFaults);
    this.ids = Array.from({ length: opts.nodes }, (_, i) => i + 1);
    for (const id of this.ids) {
      const storage = new MemoryStorage();
      const node: SimNode = {
        id,
        storage,
        syncedHardState: { term: 0, vote: 0, commit: 0 },
        rn: undefined,
        appliedIndex: 0,
        hash: 0,
        seenCommit: 0,
      };
      this.nodes.set(id, node);
      this.start(node);
    }
  }

  /** Runs chaos then liveness; throws SimulationFailure with the trace on violation. */
  run(): void {
    try {
      for (let i = 0; i < this.opts.steps; i++) this.chaosStep();
      this.liveness();
    } catch (err) {
      if (err instanceof SimulationFailure) throw err;
      this.fail(`unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`, err);
    }
  }

  // -------------------------------------------------------------------------------
  // Node lifecycle

  private start(n: SimNode): void {
    const snap = n.storage.snapshot();
    const applied = snap.metadata.index;
    if (applied > 0) {
      const sm = JSON.parse(dec.decode(snap.data)) as { hash: number };
      n.hash = sm.hash;
    } else {
      n.hash = 0;
    }
    n.appliedIndex = applied;
    const random = this.rng.fork();
    n.rn = new RawNode({
      id: n.id,
      voters: this.ids,
      electionTick: this.electionTick,
      heartbeatTick: this.heartbeatTick,
      storage: n.storage,
      applied,
      maxSizePerMsg: 64,
      maxInflightMsgs: 4,
      random: () => random.next(),
    });
    n.seenCommit = n.rn.status().commit;
  }

  private crash(n: SimNode): void {
    this.log(`crash ${n.id}`);
    n.rn = undefined;
    // Whatever was written without an fsync may be lost: only commit-only hard state
    // updates are ever unsynced.
    n.storage.setHardState(n.syncedHardState);
  }

  private live(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.rn !== undefined);
  }

  // -------------------------------------------------------------------------------
  // Steps

  private chaosStep(): void {
    this.now++;
    const r = this.rng;
    if (r.chance(0.02)) {
      const groups: NodeId[][] = [[], []];
      for (const id of this.ids) groups[r.int(2)]!.push(id);
      this.net.partition(groups);
      this.log(`partition [${groups[0]!.join(',')}] [${groups[1]!.join(',')}]`);
    }
    if (r.chance(0.03)) {
      this.net.heal();
      this.log('heal');
    }
    for (const n of this.nodes.values()) {
      if (n.rn === undefined) {
        if (r.chance(0.05)) {
          this.log(`restart ${n.id}`);
          this.start(n);
        }
      } else if (r.chance(0.004)) {
        this.crash(n);
      }
    }
    const live = this.live();
    if (live.length > 0) {
      if (r.chance(0.3)) this.propose(r.pick(live));
      if (r.chance(0.03)) this.compact(r.pick(live));
      if (r.chance(0.02)) this.readIndex(r.pick(live));
      if (r.chance(0.005)) {
        const n = r.pick(live);
        const to = r.pick(this.ids);
        this.log(`transfer-leader via ${n.id} to ${to}`);
        n.rn!.transferLeader(to);
      }
    }
    for (const n of this.live()) if (r.chance(0.97)) n.rn!.tick();
    this.settle();
    this.checkInvariants();
  }

  private propose(n: SimNode): string | undefined {
    const data = `s${this.opts.seed}-p${++this.proposals}`;
    try {
      n.rn!.propose(enc.encode(data));
      this.log(`propose ${data} at ${n.id}`);
      return data;
    } catch (err) {
      if (!(err instanceof ProposalDroppedError)) throw err;
      this.log(`propose ${data} at ${n.id}: dropped`);
      return undefined;
    }
  }

  private readIndex(n: SimNode): void {
    const ctx = `r${this.now}-${n.id}`;
    this.reads.set(ctx, this.maxCommitted);
    this.log(`read-index ${ctx} at ${n.id} (max committed ${this.maxCommitted})`);
    n.rn!.readIndex(enc.encode(ctx));
  }

  /** Snapshot the state machine at its applied index and drop some log prefix. */
  private compact(n: SimNode): void {
    const snapIndex = n.storage.snapshot().metadata.index;
    if (n.appliedIndex <= snapIndex) return;
    try {
      n.storage.createSnapshot(n.appliedIndex, this.ids, enc.encode(JSON.stringify({ hash: n.hash })));
    } catch (err) {
      if (err instanceof ErrSnapOutOfDate) return;
      throw err;
    }
    const to = Math.max(n.appliedIndex - this.rng.int(4), n.storage.firstIndex());
    if (to >= n.storage.firstIndex()) n.storage.compact(to);
    this.log(`compact ${n.id} snapshot=${n.appliedIndex} compact=${to}`);
  }

  /** Deliver due messages and process Readies until quiet (bounded). */
  private settle(): void {
    for (let round = 0; round < 50; round++) {
      let busy = false;
      for (const n of this.live()) {
        while (n.rn !== undefined && n.rn.hasReady()) {
          this.handleReady(n);
          busy = true;
        }
      }
      for (const { sender, m, lost } of this.net.takeDue(this.now)) {
        busy = true;
        this.deliver(sender, m, lost);
      }
      if (!busy) return;
    }
  }

  private deliver(sender: NodeId, m: Message, lost: boolean): void {
    const to = this.nodes.get(m.to)!;
    const src = this.nodes.get(sender)!;
    if (lost || to.rn === undefined) {
      // A real transport notices a failed snapshot stream and reports it.
      if (m.type === MessageType.MsgSnap) src.rn?.reportSnapshot(m.to, false);
      return;
    }
    this.logMsg(m);
    try {
      to.rn.step(m);
    } catch (err) {
      if (!(err instanceof ProposalDroppedError)) throw err;
    }
    if (m.type === MessageType.MsgSnap) src.rn?.reportSnapshot(m.to, true);
  }

  /** The driver contract: persist, send, apply, advance. */
  private handleReady(n: SimNode): void {
    const rn = n.rn!;
    const rd: Ready = rn.ready();
    // 1. Persist.
    if (rd.snapshot !== undefined) {
      n.storage.applySnapshot(rd.snapshot);
      const sm = JSON.parse(dec.decode(rd.snapshot.data)) as { hash: number };
      const idx = rd.snapshot.metadata.index;
      this.checkHash(n, idx, sm.hash);
      n.appliedIndex = idx;
      n.hash = sm.hash;
      this.log(`${n.id} restored snapshot ${idx}/${rd.snapshot.metadata.term}`);
    }
    for (const e of rd.entries) this.checkEntry(n, e, rd.entries);
    n.storage.append(rd.entries);
    if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
    if (rd.mustSync || rd.snapshot !== undefined) n.syncedHardState = n.storage.initialState().hardState;
    if (rd.softState?.role === 'leader') {
      const st = rn.status();
      this.log(`${n.id} became leader at term ${st.term}`);
    }
    // 2. Send.
    for (const m of rd.messages) {
      if (!this.net.send(n.id, m, this.now) && m.type === MessageType.MsgSnap) rn.reportSnapshot(m.to, false);
    }
    // 3. Apply.
    for (const e of rd.committedEntries) this.apply(n, e);
    for (const rs of rd.readStates) this.checkRead(n, rs.index, key(rs.requestCtx));
    // 4. Advance.
    rn.advance(rd);
  }

  private apply(n: SimNode, e: Entry): void {
    if (e.index !== n.appliedIndex + 1) {
      this.fail(`node ${n.id} applied index ${e.index} after ${n.appliedIndex}`);
    }
    const data = key(e.data);
    const prev = this.appliedAt.get(e.index);
    if (prev === undefined) this.appliedAt.set(e.index, data);
    else if (prev !== data) {
      this.fail(`state machine safety: node ${n.id} applied ${JSON.stringify(data)} at ${e.index}, another node ${JSON.stringify(prev)}`);
    }
    n.appliedIndex = e.index;
    n.hash = mix(n.hash, e);
    this.checkHash(n, e.index, n.hash);
  }

  private checkHash(n: SimNode, index: number, hash: number): void {
    const h = this.hashAt.get(index);
    if (h === undefined) this.hashAt.set(index, hash);
    else if (h !== hash) this.fail(`state machine safety: node ${n.id} state at ${index} differs (hash ${hash} vs ${h})`);
  }

  private checkRead(n: SimNode, index: number, ctx: string): void {
    const atRequest = this.reads.get(ctx);
    this.log(`${n.id} read-state ${ctx} index=${index}`);
    if (atRequest === undefined) this.fail(`read state for unknown ctx ${ctx}`);
    // Linearizability: every write committed before the read began must be visible.
    if (index < atRequest) this.fail(`read ${ctx} index ${index} < commit index ${atRequest} at request time`);
  }

  /**
   * Log matching, checked as each entry enters any log: an (index, term) pair names
   * exactly one entry, with exactly one predecessor term. By induction, any two logs
   * sharing an (index, term) are identical up to it.
   */
  private checkEntry(n: SimNode, e: Entry, batch: Entry[]): void {
    const pos = e.index - (batch[0]?.index ?? e.index);
    let prevTerm: number;
    if (pos > 0) prevTerm = batch[pos - 1]!.term;
    else {
      try {
        prevTerm = e.index === 1 ? 0 : n.storage.term(e.index - 1);
      } catch (err) {
        if (err instanceof ErrCompacted || err instanceof ErrUnavailable) return;
        throw err;
      }
    }
    const k = `${e.index}/${e.term}`;
    const data = key(e.data);
    const known = this.entryAt.get(k);
    if (known === undefined) this.entryAt.set(k, { data, prevTerm });
    else if (known.data !== data || known.prevTerm !== prevTerm) {
      this.fail(
        `log matching: node ${n.id} has ${k} ${JSON.stringify(data)} after term ${prevTerm}; elsewhere ${JSON.stringify(known.data)} after term ${known.prevTerm}`,
      );
    }
  }

  // -------------------------------------------------------------------------------
  // Invariants

  private checkInvariants(): void {
    for (const n of this.live()) {
      const st = n.rn!.status();
      // Election safety.
      if (st.role === 'leader') {
        const other = this.leaders.get(st.term);
        if (other === undefined) this.leaders.set(st.term, n.id);
        else if (other !== n.id) this.fail(`election safety: nodes ${other} and ${n.id} both leader in term ${st.term}`);
      }
      if (st.applied > st.commit) this.fail(`node ${n.id}: applied ${st.applied} > committed ${st.commit}`);
      if (n.appliedIndex !== st.applied) this.fail(`node ${n.id}: state machine at ${n.appliedIndex}, raft applied ${st.applied}`);
      this.recordCommitted(n, st.commit, st.term, st.role === 'leader');
    }
    // Leader completeness: leaders hold every entry committed in an earlier term.
    for (const n of this.live()) {
      const st = n.rn!.status();
      if (st.role !== 'leader') continue;
      const first = n.storage.firstIndex();
      const last = n.storage.lastIndex();
      for (let i = Math.max(first, 1); i <= this.maxCommitted; i++) {
        const c = this.committed.get(i);
        if (c === undefined || c.commitTerm >= st.term) continue;
        if (i > last) this.fail(`leader completeness: leader ${n.id} (term ${st.term}) lacks committed index ${i}`);
        const t = n.storage.term(i);
        if (t !== c.term) {
          this.fail(`leader completeness: leader ${n.id} (term ${st.term}) has ${i}/${t}, committed ${i}/${c.term}`);
        }
      }
    }
  }

  private recordCommitted(n: SimNode, commit: number, term: number, isLeader: boolean): void {
    if (commit < n.seenCommit) n.seenCommit = commit;
    if (commit > n.storage.lastIndex()) this.fail(`node ${n.id}: commit ${commit} beyond its log ${n.storage.lastIndex()}`);
    for (let i = n.seenCommit + 1; i <= commit; i++) {
      let t: number;
      let data: string;
      try {
        t = n.storage.term(i);
        data = i < n.storage.firstIndex() ? '' : key(n.storage.entries(i, i + 1, Number.MAX_SAFE_INTEGER)[0]!.data);
      } catch (err) {
        if (err instanceof ErrCompacted) continue;
        throw err;
      }
      if (i < n.storage.firstIndex()) continue;
      const c = this.committed.get(i);
      if (c === undefined) this.committed.set(i, { term: t, data, commitTerm: term });
      else {
        if (c.term !== t || c.data !== data) {
          this.fail(`committed entry mismatch at ${i}: node ${n.id} has ${t} ${JSON.stringify(data)}, registry ${c.term} ${JSON.stringify(c.data)}`);
        }
        if (isLeader || term < c.commitTerm) c.commitTerm = Math.min(c.commitTerm, term);
      }
    }
    n.seenCommit = commit;
    this.maxCommitted = Math.max(this.maxCommitted, commit);
  }

  // -------------------------------------------------------------------------------
  // Liveness

  private liveness(): void {
    this.log('--- liveness: heal, restart all, reliable network');
    this.net.heal();
    this.net.faults = NO_FAULTS;
    for (const n of this.nodes.values()) if (n.rn === undefined) this.start(n);
    const limit = this.opts.livenessTicks ?? 30 * this.electionTick;
    const data = `s${this.opts.seed}-final`;
    let proposed = false;
    let proposedAt = 0;
    for (let t = 0; t < limit; t++) {
      this.now++;
      for (const n of this.live()) n.rn!.tick();
      this.settle();
      this.checkInvariants();
      // A proposal accepted by a leader that is then deposed (e.g. a stale leader from
      // before the heal) is legitimately lost: clients retry, so do we.
      if (proposed && t - proposedAt > 4 * this.electionTick && !this.appliedAnywhere(data)) proposed = false;
      const leader = this.currentLeader();
      if (!proposed && leader !== undefined) {
        try {
          leader.rn!.propose(enc.encode(data));
          proposed = true;
          proposedAt = t;
          this.log(`liveness proposal at leader ${leader.id}`);
        } catch (err) {
          if (!(err instanceof ProposalDroppedError)) throw err;
        }
      }
      if (proposed && [...this.nodes.values()].every((n) => this.hasApplied(n, data))) return;
    }
    this.fail(`liveness: proposal not applied everywhere within ${limit} ticks (proposed=${proposed})`);
  }

  private currentLeader(): SimNode | undefined {
    let best: { n: SimNode; term: number } | undefined;
    for (const n of this.live()) {
      const st = n.rn!.status();
      if (st.role === 'leader' && (best === undefined || st.term > best.term)) best = { n, term: st.term };
    }
    return best?.n;
  }

  private appliedAnywhere(data: string): boolean {
    for (const d of this.appliedAt.values()) if (d === data) return true;
    return false;
  }

  private hasApplied(n: SimNode, data: string): boolean {
    for (const [i, d] of this.appliedAt) if (d === data) return n.appliedIndex >= i;
    return false;
  }

  // -------------------------------------------------------------------------------
  // Trace

  private log(line: string): void {
    this.trace[this.traceNext % Simulation.TRACE] = `[t=${this.now}] ${line}`;
    this.traceNext++;
  }

  private logMsg(m: Message): void {
    // Heartbeats are frequent and rarely interesting; keep the rest.
    if (m.type === MessageType.MsgHeartbeat || m.type === MessageType.MsgHeartbeatResp) return;
    this.log(describeMessage(m));
  }

  private fail(msg: string, cause?: unknown): never {
    const n = Math.min(this.traceNext, Simulation.TRACE);
    const tail: string[] = [];
    for (let i = this.traceNext - n; i < this.traceNext; i++) tail.push(this.trace[i % Simulation.TRACE]!);
    const states = [...this.nodes.values()].map((node) => {
      if (node.rn === undefined) return `  ${node.id}: crashed`;
      const st = node.rn.status();
      return `  ${node.id}: ${st.role} term=${st.term} lead=${st.lead} commit=${st.commit} applied=${st.applied} log=[${node.storage.firstIndex()},${node.storage.lastIndex()}]`;
    });
    throw new SimulationFailure(
      `raft simulation failed: seed=${this.opts.seed} nodes=${this.opts.nodes} at t=${this.now}: ${msg}\n` +
        `replay: RAFT_SIM_SEED=${this.opts.seed} RAFT_SIM_NODES=${this.opts.nodes}\nnodes:\n${states.join('\n')}\n` +
        `trace tail:\n${tail.join('\n')}`,
      cause === undefined ? undefined : { cause },
    );
  }
}

const defaultFaults: NetworkFaults = { drop: 0.05, duplicate: 0.03, maxDelay: 2, longDelayChance: 0.02, longDelay: 25 };
