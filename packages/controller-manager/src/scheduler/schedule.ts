import type { Node, Pod } from '@kemu/api';
import { firstUntoleratedTaint, toleratesAny } from './tolerations.js';

export const ZONE_LABEL = 'topology.kubernetes.io/zone';
export const DEFAULT_SCHEDULER = 'default-scheduler';
const UNSCHEDULABLE_TAINT = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' } as const;

/** What the pods already on a node mean for the pod being scheduled. */
export interface NodeLoad {
  /** Non-terminal pods bound (or assumed bound) to the node. */
  readonly pods: number;
  /** Of those, the non-terminating ones with the same owner as the pod being scheduled. */
  readonly ownerPods: number;
}

/** A pod together with the node it is bound to or assumed bound to by this scheduler. */
export interface PlacedPod {
  readonly pod: Pod;
  readonly nodeName: string;
}

export type ScheduleResult = { kind: 'scheduled'; node: string } | { kind: 'unschedulable'; message: string };

/** A pod this scheduler is responsible for binding: unbound, not being deleted, ours by name. */
export function needsScheduling(pod: Pod): boolean {
  const name = pod.spec?.schedulerName ?? '';
  return !pod.spec?.nodeName && !pod.metadata?.deletionTimestamp && (name === '' || name === DEFAULT_SCHEDULER);
}

/**
 * Who a pod is spread with: its controller (by uid), or failing that every pod in its
 * namespace with exactly the same labels. Undefined for an unlabelled bare pod, which is
 * spread only by the total pod count.
 */
export function spreadGroup(pod: Pod): string | undefined {
  const ctrl = pod.metadata?.ownerReferences?.find((r) => r.controller === true);
  if (ctrl?.uid) return `uid:${ctrl.uid}`;
  const labels = pod.metadata?.labels ?? {};
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return undefined;
  return `labels:${pod.metadata?.namespace ?? ''}:${JSON.stringify(keys.map((k) => [k, labels[k]]))}`;
}

/** Per-node load as seen by `pod`; `placed` must already include this pass's own bindings. */
export function countLoads(pod: Pod, placed: Iterable<PlacedPod>): Map<string, NodeLoad> {
  const group = spreadGroup(pod);
  const uid = pod.metadata?.uid;
  const loads = new Map<string, { pods: number; ownerPods: number }>();
  for (const { pod: p, nodeName } of placed) {
    if (uid && p.metadata?.uid === uid) continue;
    const phase = p.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    let l = loads.get(nodeName);
    if (!l) loads.set(nodeName, (l = { pods: 0, ownerPods: 0 }));
    l.pods++;
    if (group !== undefined && !p.metadata?.deletionTimestamp && spreadGroup(p) === group) l.ownerPods++;
  }
  return loads;
}

/**
 * Why `node` cannot take `pod`, in the words of the scheduler's FitError, or undefined if it
 * can. Checks run in kube-scheduler's filter order (NodeUnschedulable, TaintToleration,
 * NodeAffinity) and the first failure is the node's reason; readiness comes last because
 * an unhealthy node normally also carries the lifecycle controller's taint.
 */
export function nodeFitFailure(pod: Pod, node: Node): string | undefined {
  const tolerations = pod.spec?.tolerations;
  if (node.spec?.unschedulable && !toleratesAny(tolerations, UNSCHEDULABLE_TAINT)) return 'node(s) were unschedulable';
  const taint = firstUntoleratedTaint(node.spec?.taints, tolerations);
  if (taint) return `node(s) had untolerated taint {${taint.key ?? ''}: ${taint.value ?? ''}}`;
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) {
    if (labels[k] !== v) return "node(s) didn't match Pod's node affinity/selector";
  }
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') return 'node(s) were not ready';
  return undefined;
}

/** kube-scheduler's FitError text: reason counts, sorted as strings, e.g. "0/3 nodes are available: 1 node(s) ..., 2 node(s) ...". */
export function unschedulableMessage(nodeCount: number, reasons: ReadonlyMap<string, number>): string {
  const parts = [...reasons].map(([reason, n]) => `${n} ${reason}`).sort();
  return `0/${nodeCount} nodes are available: ${parts.join(', ')}.`;
}

/**
 * Picks a node for `pod`. Among feasible nodes it minimises, in order: the pod's owner's
 * pods in the node's zone (a node without a zone label is its own zone), the owner's pods
 * on the node, all pods on the node; remaining ties are broken by `random` (uniform in
 * [0, 1)) over the tied nodes sorted by name, so a seeded source gives a reproducible choice.
 */
export function schedule(
  pod: Pod,
  nodes: readonly Node[],
  loads: ReadonlyMap<string, NodeLoad>,
  random: () => number,
): ScheduleResult {
  if (nodes.length === 0) return { kind: 'unschedulable', message: 'no nodes available to schedule pods' };
  const reasons = new Map<string, number>();
  const feasible: Node[] = [];
  for (const node of nodes) {
    const why = nodeFitFailure(pod, node);
    if (why === undefined) feasible.push(node);
    else reasons.set(why, (reasons.get(why) ?? 0) + 1);
  }
  if (feasible.length === 0) return { kind: 'unschedulable', message: unschedulableMessage(nodes.length, reasons) };

  const load = (n: Node): NodeLoad => loads.get(n.metadata?.name ?? '') ?? { pods: 0, ownerPods: 0 };
  const zoneOwnerPods = new Map<string, number>();
  for (const n of nodes) {
    const zone = n.metadata?.labels?.[ZONE_LABEL];
    if (zone !== undefined) zoneOwnerPods.set(zone, (zoneOwnerPods.get(zone) ?? 0) + load(n).ownerPods);
  }
  const score = (n: Node): [number, number, number] => {
    const l = load(n);
    const zone = n.metadata?.labels?.[ZONE_LABEL];
    return [zone === undefined ? l.ownerPods : (zoneOwnerPods.get(zone) ?? 0), l.ownerPods, l.pods];
  };

  let best: Node[] = [];
  let bestScore: [number, number, number] | undefined;
  for (const n of feasible) {
    const s = score(n);
    const cmp = bestScore === undefined ? -1 : compareTuples(s, bestScore);
    if (cmp < 0) {
      best = [n];
      bestScore = s;
    } else if (cmp === 0) {
      best.push(n);
    }
  }
  best.sort((a, b) => compareStrings(a.metadata?.name ?? '', b.metadata?.name ?? ''));
  const pick = best[Math.min(best.length - 1, Math.floor(random() * best.length))]!;
  return { kind: 'scheduled', node: pick.metadata?.name ?? '' };
}

function compareTuples(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
