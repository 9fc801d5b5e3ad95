import type { Lease, Node, core } from '@kemu/api';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export const NodeStatusUnknown = {
  reason: 'NodeStatusUnknown',
  message: 'Kubelet stopped posting node status.',
} as const;
export const NodeStatusNeverUpdated = {
  reason: 'NodeStatusNeverUpdated',
  message: 'Kubelet never posted node status.',
} as const;

/** Conditions the control plane itself manages; a silent node agent says nothing about them. */
const CONTROL_PLANE_CONDITIONS = new Set(['NetworkUnavailable']);

/** Milliseconds since the epoch of an RFC 3339 time, or undefined if absent or unreadable. */
export function parseTime(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

export const formatTime = (ms: number): string => new Date(ms).toISOString();

export function nodeCondition(node: Node, type: string): core.NodeCondition | undefined {
  return node.status?.conditions?.find((c) => c.type === type);
}

export function readyStatus(node: Node): ConditionStatus | undefined {
  const s = nodeCondition(node, 'Ready')?.status;
  return s === 'True' || s === 'False' || s === 'Unknown' ? s : undefined;
}

/**
 * The last sign of life from a node: the newest of its Lease's renewTime, its Ready
 * condition's lastHeartbeatTime and (for a node that never posted either) its creation.
 */
export function lastHeartbeat(node: Node, lease: Lease | undefined): number | undefined {
  const times = [
    parseTime(lease?.spec?.renewTime),
    parseTime(nodeCondition(node, 'Ready')?.lastHeartbeatTime),
    parseTime(node.metadata?.creationTimestamp),
  ].filter((t): t is number => t !== undefined);
  return times.length ? Math.max(...times) : undefined;
}

/**
 * The node as the control plane reports a silent one: every condition its agent posts
 * becomes Unknown (keeping lastHeartbeatTime, so the last sign of life stays visible),
 * and a missing Ready condition is added. Returns undefined when Ready is already
 * Unknown: then there is nothing new to write.
 */
export function markNodeStatusUnknown(node: Node, now: number): Node | undefined {
  if (readyStatus(node) === 'Unknown') return undefined;
  const at = formatTime(now);
  const conditions: core.NodeCondition[] = (node.status?.conditions ?? []).map((c) =>
    CONTROL_PLANE_CONDITIONS.has(c.type ?? '') || c.status === 'Unknown'
      ? c
      : { ...c, status: 'Unknown', reason: NodeStatusUnknown.reason, message: NodeStatusUnknown.message, lastTransitionTime: at },
  );
  if (!conditions.some((c) => c.type === 'Ready')) {
    conditions.push({
      type: 'Ready',
      status: 'Unknown',
      reason: NodeStatusNeverUpdated.reason,
      message: NodeStatusNeverUpdated.message,
      ...(node.metadata?.creationTimestamp ? { lastHeartbeatTime: node.metadata.creationTimestamp } : {}),
      lastTransitionTime: at,
    });
  }
  return { ...node, status: { ...node.status, conditions } };
}
