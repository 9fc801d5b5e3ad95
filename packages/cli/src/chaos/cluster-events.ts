// Changes of watched objects turned into timeline events. Each function compares the
// object before and after one watch event (undefined: absent) and says what a person
// watching the cluster would call it. Pure.
import type { discovery, EndpointSlice, Lease, Node, Pod } from '@kemu/api';
import { etcdLeader, type EtcdMemberView } from './targets.js';
import { timelineEvent, type TimelineEvent } from './timeline.js';

const readyStatus = (conds: ReadonlyArray<{ type?: string; status?: string; reason?: string }> | undefined): { status?: string; reason?: string } =>
  conds?.find((c) => c.type === 'Ready') ?? {};

const taintKeys = (n: Node | undefined): Set<string> => new Set((n?.spec?.taints ?? []).map((t) => `${t.key ?? ''}:${t.effect ?? ''}`));

export function nodeChanges(old: Node | undefined, cur: Node | undefined, at: number): TimelineEvent[] {
  const name = cur?.metadata?.name ?? old?.metadata?.name ?? '?';
  if (!old && cur) return [timelineEvent('node', 'node-added', at, name, `node ${name} registered`, name)];
  if (old && !cur) return [timelineEvent('node', 'node-deleted', at, name, `node ${name} deleted`, name)];
  const out: TimelineEvent[] = [];
  const was = readyStatus(old?.status?.conditions);
  const now = readyStatus(cur?.status?.conditions);
  if (was.status === 'True' && now.status !== 'True') {
    out.push(timelineEvent('node', 'node-not-ready', at, name, `node ${name} NotReady (Ready=${now.status ?? 'absent'}${now.reason ? `: ${now.reason}` : ''})`, name));
  } else if (was.status !== 'True' && now.status === 'True') {
    out.push(timelineEvent('node', 'node-ready', at, name, `node ${name} Ready again`, name));
  }
  const before = taintKeys(old);
  const after = taintKeys(cur);
  for (const t of after) if (!before.has(t)) out.push(timelineEvent('node', 'node-tainted', at, name, `node ${name} tainted ${t}`, name));
  for (const t of before) if (!after.has(t)) out.push(timelineEvent('node', 'node-untainted', at, name, `node ${name} taint ${t} removed`, name));
  return out;
}

export function podChanges(old: Pod | undefined, cur: Pod | undefined, at: number): TimelineEvent[] {
  const name = cur?.metadata?.name ?? old?.metadata?.name ?? '?';
  const node = cur?.spec?.nodeName || old?.spec?.nodeName || undefined;
  const on = node ? ` on ${node}` : '';
  if (!old && cur) return [timelineEvent('pod', 'pod-created', at, name, `pod ${name} created${on}`, node)];
  if (old && !cur) return [timelineEvent('pod', 'pod-deleted', at, name, `pod ${name}${on} deleted`, node)];
  const out: TimelineEvent[] = [];
  if (!old?.spec?.nodeName && cur?.spec?.nodeName) out.push(timelineEvent('pod', 'pod-scheduled', at, name, `pod ${name} scheduled to ${cur.spec.nodeName}`, node));
  const was = readyStatus(old?.status?.conditions);
  const now = readyStatus(cur?.status?.conditions);
  if (was.status !== 'True' && now.status === 'True') out.push(timelineEvent('pod', 'pod-ready', at, name, `pod ${name}${on} Ready`, node));
  if (was.status === 'True' && now.status !== 'True') {
    out.push(timelineEvent('pod', 'pod-not-ready', at, name, `pod ${name}${on} not Ready${now.reason ? ` (${now.reason})` : ''}`, node));
  }
  if (!old?.metadata?.deletionTimestamp && cur?.metadata?.deletionTimestamp) {
    out.push(timelineEvent('pod', 'pod-terminating', at, name, `pod ${name}${on} terminating (deleted)`, node));
  }
  return out;
}

interface EndpointState {
  ready: boolean;
  pod?: string;
  node?: string;
}

/**
 * The endpoints of one Service across its EndpointSlices. Invariant: `union` is the
 * merge of every slice's endpoints, an address counted ready if any slice has it ready.
 */
export class EndpointTracker {
  private readonly slices = new Map<string, Map<string, EndpointState>>();
  private union = new Map<string, EndpointState>();

  constructor(private readonly service: string) {}

  /** A slice's new content (undefined: deleted); returns the Service's endpoint changes. */
  update(sliceName: string, slice: EndpointSlice | undefined, at: number): TimelineEvent[] {
    if (slice) this.slices.set(sliceName, endpointsOf(slice.endpoints ?? []));
    else this.slices.delete(sliceName);
    const next = new Map<string, EndpointState>();
    for (const eps of this.slices.values()) {
      for (const [addr, st] of eps) {
        const prev = next.get(addr);
        if (!prev || (!prev.ready && st.ready)) next.set(addr, st);
      }
    }
    const out: TimelineEvent[] = [];
    const label = (addr: string, st: EndpointState): string => `${addr}${st.pod ? ` (pod ${st.pod}${st.node ? `, ${st.node}` : ''})` : ''}`;
    for (const [addr, st] of next) {
      const prev = this.union.get(addr);
      if (!prev) {
        out.push(timelineEvent('endpoints', 'endpoint-added', at, addr, `${this.service}: endpoint ${label(addr, st)} added${st.ready ? ', ready' : ', not ready'}`, st.node));
      } else if (prev.ready && !st.ready) {
        out.push(timelineEvent('endpoints', 'endpoint-not-ready', at, addr, `${this.service}: endpoint ${label(addr, st)} not ready: out of rotation`, st.node));
      } else if (!prev.ready && st.ready) {
        out.push(timelineEvent('endpoints', 'endpoint-ready', at, addr, `${this.service}: endpoint ${label(addr, st)} ready`, st.node));
      }
    }
    for (const [addr, st] of this.union) {
      if (!next.has(addr)) out.push(timelineEvent('endpoints', 'endpoint-removed', at, addr, `${this.service}: endpoint ${label(addr, st)} removed`, st.node));
    }
    this.union = next;
    return out;
  }

  /** Addresses that are ready now. */
  readyAddresses(): string[] {
    return [...this.union].filter(([, s]) => s.ready).map(([a]) => a).sort();
  }
}

function endpointsOf(eps: readonly discovery.Endpoint[]): Map<string, EndpointState> {
  const m = new Map<string, EndpointState>();
  for (const e of eps) {
    // A Kubernetes endpoint without the ready condition counts as ready.
    const st: EndpointState = { ready: e.conditions?.ready ?? true };
    if (e.targetRef?.name) st.pod = e.targetRef.name;
    if (e.nodeName) st.node = e.nodeName;
    for (const a of e.addresses ?? []) m.set(a, st);
  }
  return m;
}

/** Leader-election Lease holder changes (kemu up's controller-managers hold it under their process names). */
export function leaseChanges(old: Lease | undefined, cur: Lease | undefined, at: number): TimelineEvent[] {
  const was = old?.spec?.holderIdentity ?? '';
  const now = cur?.spec?.holderIdentity ?? '';
  if (was === now) return [];
  const who = (h: string): string => h || 'nobody';
  const lease = `${cur?.metadata?.namespace ?? old?.metadata?.namespace ?? ''}/${cur?.metadata?.name ?? old?.metadata?.name ?? ''}`;
  const transitions = cur?.spec?.leaseTransitions;
  return [
    timelineEvent(
      'controller-manager',
      'cm-leader',
      at,
      who(now),
      `controller-manager leader: ${who(was)} -> ${who(now)} (Lease ${lease}${transitions === undefined ? '' : `, transitions ${transitions}`})`,
    ),
  ];
}

/**
 * Successive status answers of the etcd members. Invariant: `announced` is the leader (and
 * term) last reported, so a leader is reported once per term, however often it is polled.
 */
export class EtcdTracker {
  private readonly views = new Map<string, EtcdMemberView>();
  private announced: { name: string; term: number } | undefined;
  /** Leaders in order (the first one seen, then every change), with when they were seen. */
  readonly leaders: Array<{ at: number; name: string; term: number }> = [];

  observe(view: EtcdMemberView, at: number): TimelineEvent[] {
    const out: TimelineEvent[] = [];
    const prev = this.views.get(view.name);
    this.views.set(view.name, view);
    if (prev?.reachable && !view.reachable) {
      out.push(timelineEvent('etcd', 'etcd-member-down', at, view.name, `etcd ${view.name} not answering (${view.error ?? 'unreachable'})`));
    } else if (prev && !prev.reachable && view.reachable) {
      out.push(timelineEvent('etcd', 'etcd-member-up', at, view.name, `etcd ${view.name} answering again`));
    }
    const leader = etcdLeader([...this.views.values()]);
    // A leader of an older term than the announced one is a stale view (a member that was
    // paused or cut off): terms only grow.
    const newer = leader?.term !== undefined && (this.announced === undefined || leader.term > this.announced.term || (leader.term === this.announced.term && leader.name !== this.announced.name));
    if (leader && leader.term !== undefined && newer) {
      const first = this.announced === undefined;
      const was = this.announced ? ` (was ${this.announced.name}, term ${this.announced.term})` : '';
      this.announced = { name: leader.name, term: leader.term };
      this.leaders.push({ at, name: leader.name, term: leader.term });
      if (!first) out.push(timelineEvent('etcd', 'etcd-leader', at, leader.name, `etcd leader ${leader.name}, term ${leader.term}${was}`));
    }
    return out;
  }

  current(): { name: string; term: number } | undefined {
    return this.announced;
  }
}
