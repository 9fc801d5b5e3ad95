import type { Lease } from '@kemu/api';
import { microTime } from '@kemu/common';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/**
 * The node's heartbeat Lease renewed at `now`: held by the node, with the agent's
 * duration and an owner reference to the Node (so it goes when the Node goes). A
 * renewal keeps the rest of `existing` (its resourceVersion makes the update
 * conditional: a concurrent writer causes a Conflict, and the caller re-reads).
 */
export function renewedLease(
  existing: Lease | undefined,
  node: { name: string; uid: string | undefined },
  durationSeconds: number,
  now: number,
): Lease {
  const owner = node.uid ? [{ apiVersion: 'v1', kind: 'Node', name: node.name, uid: node.uid }] : undefined;
  const meta = existing?.metadata ?? { name: node.name, namespace: NODE_LEASE_NAMESPACE };
  const hasOwner = (meta.ownerReferences ?? []).some((o) => o.kind === 'Node' && o.uid === node.uid);
  return {
    ...existing,
    metadata: { ...meta, ...(owner && !hasOwner ? { ownerReferences: owner } : {}) },
    spec: {
      ...existing?.spec,
      holderIdentity: node.name,
      leaseDurationSeconds: durationSeconds,
      renewTime: microTime(now),
    },
  };
}
