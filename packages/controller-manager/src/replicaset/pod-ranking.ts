import type { Pod } from '@kemu/api';
import { isPodReady, readySince, timestampMs } from './pod-state.js';

const PHASE_ORDER: Readonly<Record<string, number>> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * Orders `pods` so the ones to delete first come first, after Kubernetes' ranking of
 * active pods: unscheduled before scheduled; Pending before Unknown before Running;
 * not ready before ready; on a node with more `related` pods (this owner's and its
 * siblings') before fewer; ready more recently before longer; more restarts before fewer;
 * newer before older. Remaining ties go by name so the order is deterministic.
 */
export function rankForDeletion(pods: readonly Pod[], related: readonly Pod[]): Pod[] {
  const perNode = new Map<string, number>();
  for (const p of related) {
    const n = p.spec?.nodeName;
    if (n) perNode.set(n, (perNode.get(n) ?? 0) + 1);
  }
  const colocated = (p: Pod): number => (p.spec?.nodeName ? (perNode.get(p.spec.nodeName) ?? 0) : 0);
  return [...pods].sort((a, b) => compareForDeletion(a, b, colocated));
}

function compareForDeletion(a: Pod, b: Pod, colocated: (p: Pod) => number): number {
  const aBound = a.spec?.nodeName ? 1 : 0;
  const bBound = b.spec?.nodeName ? 1 : 0;
  if (aBound !== bBound) return aBound - bBound;
  const aPhase = PHASE_ORDER[a.status?.phase ?? ''] ?? 0;
  const bPhase = PHASE_ORDER[b.status?.phase ?? ''] ?? 0;
  if (aPhase !== bPhase) return aPhase - bPhase;
  const aReady = isPodReady(a) ? 1 : 0;
  const bReady = isPodReady(b) ? 1 : 0;
  if (aReady !== bReady) return aReady - bReady;
  const rank = colocated(b) - colocated(a);
  if (rank !== 0) return rank;
  if (aReady && bReady) {
    // An unknown ready time sorts as most recent.
    const d = (readySince(b) ?? Infinity) - (readySince(a) ?? Infinity);
    if (d !== 0 && !Number.isNaN(d)) return d;
  }
  const restarts = restartCount(b) - restartCount(a);
  if (restarts !== 0) return restarts;
  const created = (timestampMs(b.metadata?.creationTimestamp) ?? Infinity) - (timestampMs(a.metadata?.creationTimestamp) ?? Infinity);
  if (created !== 0 && !Number.isNaN(created)) return created;
  const an = a.metadata?.name ?? '';
  const bn = b.metadata?.name ?? '';
  return an < bn ? -1 : an > bn ? 1 : 0;
}

function restartCount(p: Pod): number {
  return (p.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
}
