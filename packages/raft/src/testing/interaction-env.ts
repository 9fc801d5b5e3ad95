import { describeData, describeEntry, describeMessage, describeReady } from '../describe.js';
import { RawNode } from '../raw-node.js';
import { MemoryStorage } from '../storage.js';
import type { Message, NodeId, Ready } from '../types.js';
import type { CmdArg, TestCase } from './datadriven.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

interface EnvNode {
  id: NodeId;
  rn: RawNode;
  storage: MemoryStorage;
  /** Applied data, by index (the state machine). */
  applied: string[];
  appliedIndex: number;
  voters: NodeId[];
  electionTick: number;
  heartbeatTick: number;
}

/**
 * Drives a set of RawNodes for datadriven transcripts. Nodes are processed only when
 * a command says so, so every Ready and message is visible in the transcript.
 * Randomness is fixed (random() = 0), so election timeouts are exactly electionTick.
 */
export class InteractionEnv {
  private readonly nodes = new Map<NodeId, EnvNode>();
  /** Messages waiting for delivery, per recipient, in send order. */
  private readonly queues = new Map<NodeId, Message[]>();
  private readonly isolated = new Set<NodeId>();
  private out: string[] = [];

  handle(tc: TestCase): string {
    this.out = [];
    const a = new Args(tc.args);
    switch (tc.cmd) {
      case 'add-nodes':
        this.addNodes(a);
        break;
      case 'campaign':
        this.node(a.pos(0)).rn.campaign();
        break;
      case 'propose':
        this.propose(a.pos(0), a.word(1));
        break;
      case 'tick':
        this.tick(a.pos(0), a.num('n', 1));
        break;
      case 'tick-heartbeat':
        this.tick(a.pos(0), this.node(a.pos(0)).heartbeatTick);
        break;
      case 'tick-election':
        this.tick(a.pos(0), this.node(a.pos(0)).electionTick);
        break;
      case 'process-ready':
        for (const id of a.positionals()) this.processReady(id);
        break;
      case 'deliver-msgs':
        for (const id of a.positionals()) this.deliverMsgs(id, a.bool('drop', false));
        break;
      case 'stabilize':
        this.stabilize(a.positionals());
        break;
      case 'isolate':
        this.isolated.add(a.pos(0));
        break;
      case 'heal':
        this.isolated.clear();
        break;
      case 'raft-log':
        this.raftLog(a.pos(0));
        break;
      case 'raft-state':
        this.raftState();
        break;
      case 'status':
        this.status(a.pos(0));
        break;
      case 'read-index':
        this.node(a.pos(0)).rn.readIndex(enc.encode(a.word(1)));
        break;
      case 'transfer-leader':
        this.node(a.num('from')).rn.transferLeader(a.num('to'));
        break;
      case 'compact':
        this.compact(a.pos(0), a.pos(1));
        break;
      case 'report-snapshot':
        this.node(a.pos(0)).rn.reportSnapshot(a.pos(1), a.word(2) === 'ok');
        break;
      case 'report-unreachable':
        this.node(a.pos(0)).rn.reportUnreachable(a.pos(1));
        break;
      case 'forget-leader':
        for (const id of a.positionals()) this.node(id).rn.forgetLeader();
        break;
      case 'applied':
        this.showApplied(a.pos(0));
        break;
      default:
        throw new Error(`unknown command ${tc.cmd}`);
    }
    return this.out.join('\n');
  }

  private print(line: string): void {
    this.out.push(line);
  }

  private node(id: NodeId): EnvNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  private addNodes(a: Args): void {
    const count = a.pos(0);
    const first = this.nodes.size + 1;
    const voters = a.has('voters') ? a.nums('voters') : Array.from({ length: count }, (_, i) => first + i);
    for (let id = first; id < first + count; id++) {
      const storage = new MemoryStorage();
      const electionTick = a.num('election', 10);
      const heartbeatTick = a.num('heartbeat', 1);
      const cfg: ConstructorParameters<typeof RawNode>[0] = {
        id,
        voters,
        electionTick,
        heartbeatTick,
        storage,
        preVote: a.bool('pre-vote', true),
        checkQuorum: a.bool('check-quorum', true),
        maxInflightMsgs: a.num('max-inflight', 256),
        random: () => 0,
        logger: {
          debug: () => {},
          info: (msg) => this.print(`INFO ${msg}`),
          warn: (msg) => this.print(`WARN ${msg}`),
        },
      };
      if (a.has('max-size')) cfg.maxSizePerMsg = a.num('max-size');
      const rn = new RawNode(cfg);
      this.nodes.set(id, { id, rn, storage, applied: [], appliedIndex: 0, voters, electionTick, heartbeatTick });
      this.queues.set(id, []);
    }
  }

  private propose(id: NodeId, data: string): void {
    try {
      this.node(id).rn.propose(enc.encode(data));
    } catch (err) {
      this.print(`error: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private tick(id: NodeId, n: number): void {
    const node = this.node(id);
    for (let i = 0; i < n; i++) node.rn.tick();
  }

  /** Persist, send (enqueue), apply, advance: the driver contract. */
  private processReady(id: NodeId): boolean {
    const n = this.node(id);
    if (!n.rn.hasReady()) return false;
    const rd = n.rn.ready();
    this.print(`> ${id} handling Ready`);
    for (const line of describeReady(rd).split('\n')) this.print(`  ${line}`);
    this.persist(n, rd);
    for (const m of rd.messages) this.queues.get(m.to)?.push(m);
    for (const e of rd.committedEntries) {
      if (e.data.length > 0) n.applied.push(dec.decode(e.data));
      n.appliedIndex = e.index;
    }
    n.rn.advance(rd);
    return true;
  }

  private persist(n: EnvNode, rd: Ready): void {
    if (rd.snapshot !== undefined) {
      n.storage.applySnapshot(rd.snapshot);
      n.applied = JSON.parse(dec.decode(rd.snapshot.data)) as string[];
      n.appliedIndex = rd.snapshot.metadata.index;
    }
    n.storage.append(rd.entries);
    if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
  }

  private deliverMsgs(id: NodeId, drop: boolean): number {
    const q = this.queues.get(id) ?? [];
    this.queues.set(id, []);
    for (const m of q) {
      if (drop || this.isolated.has(m.from) || this.isolated.has(m.to)) {
        this.print(`dropped: ${describeMessage(m)}`);
        continue;
      }
      this.print(describeMessage(m));
      try {
        this.node(id).rn.step(m);
      } catch (err) {
        this.print(`error: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return q.length;
  }

  private stabilize(only: NodeId[]): void {
    const ids = only.length > 0 ? only : [...this.nodes.keys()];
    for (;;) {
      let progress = false;
      for (const id of ids) if (this.processReady(id)) progress = true;
      for (const id of ids) {
        if ((this.queues.get(id) ?? []).length > 0) {
          this.print(`> ${id} receiving messages`);
          const before = this.out.length;
          this.deliverMsgs(id, false);
          for (let i = before; i < this.out.length; i++) this.out[i] = `  ${this.out[i]}`;
          progress = true;
        }
      }
      if (!progress) return;
    }
  }

  private raftLog(id: NodeId): void {
    const s = this.node(id).storage;
    const fi = s.firstIndex();
    const li = s.lastIndex();
    if (li < fi) {
      this.print(`log is empty: first index=${fi}, last index=${li}`);
      return;
    }
    for (const e of s.entries(fi, li + 1, Number.MAX_SAFE_INTEGER)) this.print(describeEntry(e));
  }

  private raftState(): void {
    for (const n of this.nodes.values()) {
      const st = n.rn.status();
      const iso = this.isolated.has(n.id) ? ' (isolated)' : '';
      this.print(`${n.id}: ${st.role} Term:${st.term} Lead:${st.lead} Commit:${st.commit} Applied:${st.applied}${iso}`);
    }
  }

  private status(id: NodeId): void {
    const st = this.node(id).rn.status();
    this.print(`${id}: ${st.role} Term:${st.term} Vote:${st.vote} Lead:${st.lead} Commit:${st.commit} Applied:${st.applied} LeadTransferee:${st.leadTransferee}`);
    for (const [pid, pr] of st.progress ?? []) this.print(`  ${pid}: ${pr.state} match=${pr.match} next=${pr.next}`);
  }

  private compact(id: NodeId, index: number): void {
    const n = this.node(id);
    if (index > n.appliedIndex) throw new Error(`compact ${index} beyond applied ${n.appliedIndex}`);
    // The state machine's content at `index`: replay what we applied up to it.
    const data = enc.encode(JSON.stringify(this.appliedUpTo(n, index)));
    n.storage.createSnapshot(index, n.voters, data);
    n.storage.compact(index);
    this.raftLog(id);
  }

  /** Non-empty data applied at indexes <= index, read back from the log/snapshot. */
  private appliedUpTo(n: EnvNode, index: number): string[] {
    const snap = n.storage.snapshot();
    const base = snap.metadata.index > 0 ? (JSON.parse(dec.decode(snap.data)) as string[]) : [];
    if (index <= snap.metadata.index) throw new Error('compact: index already in snapshot');
    const ents = n.storage.entries(n.storage.firstIndex(), index + 1, Number.MAX_SAFE_INTEGER);
    return [...base, ...ents.filter((e) => e.data.length > 0).map((e) => dec.decode(e.data))];
  }

  private showApplied(id: NodeId): void {
    const n = this.node(id);
    this.print(`applied index ${n.appliedIndex}: [${n.applied.map((d) => describeData(enc.encode(d))).join(' ')}]`);
  }
}

/** Accessors over datadriven arguments: positionals are bare numbers/words. */
class Args {
  constructor(private readonly args: CmdArg[]) {}

  positionals(): number[] {
    return this.args.filter((a) => a.vals.length === 0 && /^\d+$/.test(a.key)).map((a) => Number(a.key));
  }

  pos(i: number): number {
    const bare = this.args.filter((a) => a.vals.length === 0);
    const v = bare[i];
    if (v === undefined || !/^\d+$/.test(v.key)) throw new Error(`missing numeric argument #${i}`);
    return Number(v.key);
  }

  word(i: number): string {
    const bare = this.args.filter((a) => a.vals.length === 0);
    const v = bare[i];
    if (v === undefined) throw new Error(`missing argument #${i}`);
    return v.key;
  }

  has(key: string): boolean {
    return this.args.some((a) => a.key === key);
  }

  num(key: string, dflt?: number): number {
    const a = this.args.find((x) => x.key === key);
    if (a === undefined || a.vals[0] === undefined) {
      if (dflt === undefined) throw new Error(`missing argument ${key}=`);
      return dflt;
    }
    return Number(a.vals[0]);
  }

  nums(key: string): number[] {
    return (this.args.find((x) => x.key === key)?.vals ?? []).map(Number);
  }

  bool(key: string, dflt: boolean): boolean {
    const a = this.args.find((x) => x.key === key);
    if (a === undefined) return dflt;
    return a.vals[0] === undefined || a.vals[0] === 'true';
  }
}
