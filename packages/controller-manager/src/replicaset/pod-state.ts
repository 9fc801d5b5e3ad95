import type { ObjectMeta, OwnerReference, Pod } from '@kemu/api';

/** The owner reference marked controller=true, if any (Kubernetes allows at most one). */
export function controllerRef(meta: ObjectMeta | undefined): OwnerReference | undefined {
  return meta?.ownerReferences?.find((r) => r.controller === true);
}

export function isControlledBy(meta: ObjectMeta | undefined, ownerUid: string | undefined): boolean {
  return ownerUid !== undefined && ownerUid !== '' && controllerRef(meta)?.uid === ownerUid;
}

/** Counts toward replicas: not being deleted and not finished. */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return !pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}

export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** When the pod last became Ready (ms), or undefined if it is not ready or the time is unknown. */
export function readySince(pod: Pod): number | undefined {
  const c = pod.status?.conditions?.find((x) => x.type === 'Ready' && x.status === 'True');
  if (!c?.lastTransitionTime) return undefined;
  const t = Date.parse(c.lastTransitionTime);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * Ready for at least minReadySeconds at `now`. A ready pod without a transition time counts
 * as ready since forever, as in Kubernetes.
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = readySince(pod);
  return since === undefined || since + minReadySeconds * 1000 <= now;
}

export function timestampMs(ts: string | undefined): number | undefined {
  if (!ts) return undefined;
  const t = Date.parse(ts);
  return Number.isNaN(t) ? undefined : t;
}
