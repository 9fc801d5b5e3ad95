import type { Node, core } from '@kemu/api';
import type { NodeInfo, SchemaSupport } from './api-extensions.js';
import { parseTime, rfc3339 } from '@kemu/common';

export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_OS = 'kubernetes.io/os';
export const LABEL_ARCH = 'kubernetes.io/arch';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';

/** What the node agent reports about its node. */
export interface NodeFacts {
  nodeName: string;
  nodeIP: string;
  zone: string;
  podCIDR: string;
  capacity: Readonly<Record<string, string>>;
  nodeInfo: NodeInfo;
}

/** The Node the agent registers. */
export function nodeToRegister(f: NodeFacts): Node {
  return {
    metadata: { name: f.nodeName, labels: nodeLabels(f) },
    spec: { podCIDR: f.podCIDR, podCIDRs: [f.podCIDR] },
  };
}

function nodeLabels(f: NodeFacts): Record<string, string> {
  return {
    [LABEL_HOSTNAME]: f.nodeName,
    [LABEL_OS]: 'linux',
    [LABEL_ARCH]: f.nodeInfo.architecture,
    ...(f.zone ? { [LABEL_ZONE]: f.zone } : {}),
  };
}

/**
 * The merge patch that adopts an existing Node: the agent's labels and, when the node
 * has none yet, its pod CIDR (a set pod CIDR is immutable). Undefined when nothing is
 * missing; an error message when the node has another pod CIDR.
 */
export function adoptNodePatch(node: Node, f: NodeFacts): { patch?: Record<string, unknown>; error?: string } {
  const labels = node.metadata?.labels ?? {};
  const wantLabels = nodeLabels(f);
  const missing = Object.fromEntries(Object.entries(wantLabels).filter(([k, v]) => labels[k] !== v));
  const cidrs = node.spec?.podCIDRs ?? (node.spec?.podCIDR ? [node.spec.podCIDR] : []);
  if (cidrs.length > 0 && cidrs[0] !== f.podCIDR) {
    return { error: `node ${f.nodeName} already has pod CIDR ${cidrs[0]}, not ${f.podCIDR}` };
  }
  const patch: Record<string, unknown> = {};
  if (Object.keys(missing).length > 0) patch['metadata'] = { labels: missing };
  if (cidrs.length === 0) patch['spec'] = { podCIDR: f.podCIDR, podCIDRs: [f.podCIDR] };
  return Object.keys(patch).length > 0 ? { patch } : {};
}

/** The conditions the agent owns, in the order the kubelet lists them, as they are on a healthy node. */
const OWN_CONDITIONS: readonly { type: string; status: string; reason: string; message: string }[] = [
  { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
  { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
  { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
  { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
];

export interface NodeStatusPlan {
  /** Undefined when the node already says what the agent would write and the heartbeat is fresh. */
  status?: core.NodeStatus;
  why?: 'register' | 'changed' | 'heartbeat';
}

/**
 * The node status the agent writes, if it must write one: when any condition it owns,
 * an address, the capacity or the node info differs from what the node says (the node
 * lifecycle controller set Ready=Unknown while the agent was away, say), or when the
 * last heartbeat is `reportEveryMs` old. A condition keeps its lastTransitionTime unless
 * its status changes; every owned condition gets a fresh lastHeartbeatTime. Conditions
 * that others own (NetworkUnavailable) are kept as they are.
 */
export function planNodeStatus(node: Node, f: NodeFacts, now: number, reportEveryMs: number, schema: SchemaSupport): NodeStatusPlan {
  const current = node.status ?? {};
  const at = rfc3339(now);
  const conditions: core.NodeCondition[] = (current.conditions ?? []).filter((c) => !OWN_CONDITIONS.some((o) => o.type === c.type));
  let changed = false;
  for (const want of OWN_CONDITIONS) {
    const have = current.conditions?.find((c) => c.type === want.type);
    if (have?.status !== want.status || have.reason !== want.reason || have.message !== want.message) changed = true;
    const transition = have?.status === want.status && have.lastTransitionTime ? have.lastTransitionTime : at;
    conditions.push({ ...want, lastHeartbeatTime: at, lastTransitionTime: transition });
  }
  const addresses = [
    { type: 'InternalIP', address: f.nodeIP },
    { type: 'Hostname', address: f.nodeName },
  ];
  const status: core.NodeStatus = { conditions, addresses, capacity: { ...f.capacity }, allocatable: { ...f.capacity } };
  if (schema.nodeInfo) Object.assign(status, { nodeInfo: f.nodeInfo });
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  if (!same(current.addresses, addresses) || !sameMap(current.capacity, f.capacity) || !sameMap(current.allocatable, f.capacity)) changed = true;
  if (schema.nodeInfo && !same((current as { nodeInfo?: unknown }).nodeInfo, f.nodeInfo)) changed = true;
  if (!current.conditions?.length) return { status, why: 'register' };
  if (changed) return { status, why: 'changed' };
  const beat = parseTime(current.conditions.find((c) => c.type === 'Ready')?.lastHeartbeatTime);
  if (beat === undefined || now - beat >= reportEveryMs) return { status, why: 'heartbeat' };
  return {};
}

function sameMap(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a ?? {});
  return ka.length === Object.keys(b).length && ka.every((k) => a?.[k] === b[k]);
}
