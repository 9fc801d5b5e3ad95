import type { Lease, Node, Pod, core } from '@kemu/api';
import type { NodeLifecycleSettings } from '../controller.js';
import { formatTime, lastHeartbeat, markNodeStatusUnknown, NODE_LEASE_NAMESPACE, nodeCondition, parseTime, readyStatus } from './node-health.js';
import { evictionTime, markPodNotReady } from './pods.js';
import { findTaint, hasTaint, swapTaints, TaintEffect, TaintKey, type TaintRef } from './taints.js';
import { TokenBucket } from './token-bucket.js';
import { computeZoneState, zoneEvictionRate, zoneOf, ZoneState } from './zones.js';

/** What the core reads: the informer caches (any leases; only kube-node-lease ones count). */
export interface NodeLifecycleView {
  nodes: readonly Node[];
  leases: readonly Lease[];
  pods: readonly Pod[];
}

/** What the driver must do, in order. Node actions for one node come status first. */
export type NodeLifecycleAction =
  /** updateStatus with this node: its conditions now say Unknown. */
  | { kind: 'set-node-status-unknown'; node: Node }
  /** Remove `remove` and add `add` on the node's current taints (an update of its spec). */
  | { kind: 'swap-node-taints'; nodeName: string; add: core.Taint[]; remove: TaintRef[] }
  /** updateStatus with this pod: Ready and ContainersReady are False. */
  | { kind: 'mark-pod-not-ready'; pod: Pod }
  /** Graceful delete of the pod (with its uid as precondition). */
  | { kind: 'evict-pod'; namespace: string; name: string; uid: string; nodeName: string; zone: string };

export interface ZoneReport {
  zone: string;
  state: ZoneState;
  size: number;
  notReady: number;
  /** Nodes per second that may be tainted NoExecute in this zone now. */
  rate: number;
}

export interface NodeLifecycleResult {
  actions: NodeLifecycleAction[];
  /** The next time a reconcile would act even if nothing changes (a grace period or toleration ends, a token accrues). */
  wakeAt: number | undefined;
  zones: ZoneReport[];
  allZonesFullyDisrupted: boolean;
}

export const UNREACHABLE_NO_EXECUTE: TaintRef = { key: TaintKey.unreachable, effect: TaintEffect.NoExecute };
export const NOT_READY_NO_EXECUTE: TaintRef = { key: TaintKey.notReady, effect: TaintEffect.NoExecute };
export const UNREACHABLE_NO_SCHEDULE: TaintRef = { key: TaintKey.unreachable, effect: TaintEffect.NoSchedule };
export const NOT_READY_NO_SCHEDULE: TaintRef = { key: TaintKey.notReady, effect: TaintEffect.NoSchedule };
export const UNSCHEDULABLE_NO_SCHEDULE: TaintRef = { key: TaintKey.unschedulable, effect: TaintEffect.NoSchedule };
const MANAGED_NO_EXECUTE = [UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE];

interface TaintPlan {
  add: core.Taint[];
  remove: TaintRef[];
}

interface PendingTaint {
  node: Node;
  taint: TaintRef;
  /** When the node's Ready condition last changed: the zone's queue is served oldest first. */
  since: number;
}

/** The earliest future time something will need doing. */
class Deadline {
  at: number | undefined;
  constructor(private readonly now: number) {}
  consider(t: number | undefined): void {
    if (t !== undefined && t > this.now && (this.at === undefined || t < this.at)) this.at = t;
  }
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = out.get(k);
    if (group) group.push(item);
    else out.set(k, [item]);
  }
  return out;
}

const nameOf = (o: { metadata?: { name?: string } }): string => o.metadata?.name ?? '';
const podOrder = (a: Pod, b: Pod): number =>
  `${a.metadata?.namespace ?? ''}/${nameOf(a)}`.localeCompare(`${b.metadata?.namespace ?? ''}/${nameOf(b)}`);

/**
 * The node lifecycle controller's decisions, after Kubernetes' node lifecycle controller
 * and its taint manager, as a deterministic function of the caches and the time:
 *
 * - a node silent (no Lease renewal, no status heartbeat) for longer than the grace
 *   period is reported Ready=Unknown;
 * - a node not Ready gets the NoSchedule taint for its state at once, and the NoExecute
 *   one when its zone's token bucket allows (the eviction rate limit);
 * - pods on a node not Ready are marked not ready; pods on a NoExecute-tainted node are
 *   evicted once their toleration (by default `evictionTimeoutMs`) has run out;
 * - a node Ready again loses the taints.
 *
 * The only state kept between calls is the per-zone token buckets: the rest is read
 * again from the view every time, so a restarted or newly elected controller carries on
 * where the last one stopped (taints carry their timeAdded).
 */
export class NodeLifecycleCore {
  private readonly zones = new Map<string, { rate: number; bucket: TokenBucket }>();

  constructor(private readonly settings: NodeLifecycleSettings) {}

  reconcile(view: NodeLifecycleView, now: number): NodeLifecycleResult {
    const wake = new Deadline(now);
    const actions: NodeLifecycleAction[] = [];
    const nodes = this.checkHealth(view, now, actions, wake);
    const zones = this.updateZones(nodes, now);
    const allFullyDisrupted = zones.length > 0 && zones.every((z) => z.state === ZoneState.FullDisruption);
    const taints = this.planTaints(nodes, allFullyDisrupted, now, actions, wake);
    this.planPods(view.pods, nodes, taints, now, actions, wake);
    return { actions, wakeAt: wake.at, zones, allZonesFullyDisrupted: allFullyDisrupted };
  }

  /** Step 1: a node silent for longer than the grace period is Unknown. Returns the nodes as they will be. */
  private checkHealth(view: NodeLifecycleView, now: number, actions: NodeLifecycleAction[], wake: Deadline): Node[] {
    const leases = new Map<string, Lease>();
    for (const l of view.leases) if (l.metadata?.namespace === NODE_LEASE_NAMESPACE) leases.set(nameOf(l), l);
    const nodes: Node[] = [];
    for (const node of [...view.nodes].sort((a, b) => nameOf(a).localeCompare(nameOf(b)))) {
      const beat = lastHeartbeat(node, leases.get(nameOf(node)));
      const expires = beat === undefined ? undefined : beat + this.settings.gracePeriodMs;
      const unknown = expires !== undefined && now > expires ? markNodeStatusUnknown(node, now) : undefined;
      if (unknown) actions.push({ kind: 'set-node-status-unknown', node: unknown });
      else if (expires !== undefined) wake.consider(expires + 1);
      nodes.push(unknown ?? node);
    }
    return nodes;
  }

  /** Step 2: each zone's health, and its token bucket set to the rate for it. */
  private updateZones(nodes: readonly Node[], now: number): ZoneReport[] {
    const s = this.settings;
    const states = [...groupBy(nodes, zoneOf)]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([zone, members]) => {
        const notReady = members.filter((n) => readyStatus(n) !== 'True').length;
        return { zone, size: members.length, notReady, state: computeZoneState(members.length - notReady, notReady, s.unhealthyZoneThreshold) };
      });
    const allFullyDisrupted = states.length > 0 && states.every((z) => z.state === ZoneState.FullDisruption);
    const present = new Set(states.map((z) => z.zone));
    for (const zone of this.zones.keys()) if (!present.has(zone)) this.zones.delete(zone);
    return states.map((z) => {
      const rate = zoneEvictionRate(z.state, allFullyDisrupted, s);
      const limiter = this.zones.get(z.zone);
      if (!limiter || limiter.rate !== rate) {
        // A changed rate starts a new bucket, empty if the old one was: no burst on a change.
        const full = limiter ? limiter.bucket.available(now) : true;
        this.zones.set(z.zone, { rate, bucket: new TokenBucket(rate, now, { full }) });
      }
      return { ...z, rate };
    });
  }

  /** Step 3: NoSchedule taints at once, NoExecute ones through the zone's token bucket. Returns each node's taints after. */
  private planTaints(
    nodes: readonly Node[],
    allFullyDisrupted: boolean,
    now: number,
    actions: NodeLifecycleAction[],
    wake: Deadline,
  ): Map<string, core.Taint[]> {
    const plans = new Map<string, TaintPlan>();
    const plan = (node: Node): TaintPlan => {
      let p = plans.get(nameOf(node));
      if (!p) plans.set(nameOf(node), (p = { add: [], remove: [] }));
      return p;
    };
    const pending: PendingTaint[] = [];
    for (const node of nodes) {
      const taints = node.spec?.taints;
      const status = readyStatus(node);
      const ensure = (ref: TaintRef, want: boolean): void => {
        if (want && !hasTaint(taints, ref)) plan(node).add.push({ key: ref.key, effect: ref.effect });
        if (!want && hasTaint(taints, ref)) plan(node).remove.push(ref);
      };
      ensure(NOT_READY_NO_SCHEDULE, status === 'False');
      ensure(UNREACHABLE_NO_SCHEDULE, status === 'Unknown');
      ensure(UNSCHEDULABLE_NO_SCHEDULE, node.spec?.unschedulable === true);

      if (allFullyDisrupted || status === 'True') {
        for (const ref of MANAGED_NO_EXECUTE) ensure(ref, false);
        continue;
      }
      if (status === undefined) continue;
      const [target, other] = status === 'False' ? [NOT_READY_NO_EXECUTE, UNREACHABLE_NO_EXECUTE] : [UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE];
      const previous = findTaint(taints, other);
      if (hasTaint(taints, target)) {
        if (previous) plan(node).remove.push(other);
      } else if (previous) {
        // Already tainted for the other not-ready state: swap at once, keeping the clock.
        plan(node).add.push({ ...target, timeAdded: previous.timeAdded ?? formatTime(now) });
        plan(node).remove.push(other);
      } else {
        const since = parseTime(nodeCondition(node, 'Ready')?.lastTransitionTime) ?? now;
        pending.push({ node, taint: target, since });
      }
    }
    for (const [zone, queue] of [...groupBy(pending, (p) => zoneOf(p.node))].sort(([a], [b]) => a.localeCompare(b))) {
      const bucket = this.zones.get(zone)?.bucket;
      queue.sort((a, b) => a.since - b.since || nameOf(a.node).localeCompare(nameOf(b.node)));
      for (const p of queue) {
        if (!bucket?.tryTake(now)) {
          wake.consider(bucket?.nextAt(now));
          break;
        }
        plan(p.node).add.push({ ...p.taint, timeAdded: formatTime(now) });
      }
    }
    const after = new Map<string, core.Taint[]>();
    for (const node of nodes) {
      const p = plans.get(nameOf(node));
      if (p && (p.add.length || p.remove.length)) {
        actions.push({ kind: 'swap-node-taints', nodeName: nameOf(node), add: p.add, remove: p.remove });
        after.set(nameOf(node), swapTaints(node.spec?.taints, p.add, p.remove));
      } else {
        after.set(nameOf(node), node.spec?.taints ?? []);
      }
    }
    return after;
  }

  /** Step 4: pods are not ready while their node is not Ready, and evicted when their toleration runs out. */
  private planPods(
    pods: readonly Pod[],
    nodes: readonly Node[],
    taints: ReadonlyMap<string, core.Taint[]>,
    now: number,
    actions: NodeLifecycleAction[],
    wake: Deadline,
  ): void {
    const podsByNode = groupBy(
      pods.filter((p) => p.spec?.nodeName),
      (p) => p.spec?.nodeName ?? '',
    );
    for (const node of nodes) {
      const status = readyStatus(node);
      const noExecute = (taints.get(nameOf(node)) ?? []).filter((t) => MANAGED_NO_EXECUTE.some((r) => r.key === t.key && r.effect === t.effect));
      for (const pod of (podsByNode.get(nameOf(node)) ?? []).sort(podOrder)) {
        const terminating = pod.metadata?.deletionTimestamp !== undefined;
        const evictAt = !terminating && noExecute.length ? evictionTime(pod, noExecute, this.settings.evictionTimeoutMs) : undefined;
        if (evictAt !== undefined && evictAt <= now) {
          actions.push({
            kind: 'evict-pod',
            namespace: pod.metadata?.namespace ?? '',
            name: nameOf(pod),
            uid: pod.metadata?.uid ?? '',
            nodeName: nameOf(node),
            zone: zoneOf(node),
          });
          continue;
        }
        wake.consider(evictAt);
        if (status !== undefined && status !== 'True') {
          const marked = markPodNotReady(pod, now);
          if (marked) actions.push({ kind: 'mark-pod-not-ready', pod: marked });
        }
      }
    }
  }
}
