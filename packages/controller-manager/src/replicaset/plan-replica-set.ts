import { selectorFromLabelSelector, type Pod, type ReplicaSet, type apps } from '@kemu/api';
import { rankForDeletion } from './pod-ranking.js';
import { controllerRef, isControlledBy, isPodActive, isPodAvailable, isPodReady, readySince } from './pod-state.js';

/** Most creates or deletes one sync may issue (Kubernetes' burstReplicas). */
export const BURST_REPLICAS = 500;

export interface ReplicaSetInputs {
  readonly rs: ReplicaSet;
  /** Every pod in the ReplicaSet's namespace, from the cache. */
  readonly pods: readonly Pod[];
  /**
   * Active pods of the ReplicaSet's siblings (other ReplicaSets of the same Deployment);
   * pods on nodes crowded with them are deleted first.
   */
  readonly siblingPods?: readonly Pod[];
  /** False while creates/deletes from an earlier sync are not yet visible in the cache. */
  readonly expectationsSatisfied: boolean;
  readonly now: number;
}

export interface ReplicaSetPlan {
  /** Orphans matching the selector: set this ReplicaSet as their controller. */
  readonly adopt: readonly Pod[];
  /** Pods it controls that no longer match its selector: drop its owner reference. */
  readonly release: readonly Pod[];
  /** Pods to create from the template. */
  readonly create: number;
  /** Pods to delete, in order: failed ones first, then the ranked surplus. */
  readonly delete: readonly Pod[];
  /** The new status, only when it differs from the current one. */
  readonly status: apps.ReplicaSetStatus | undefined;
  /** When a ready pod will turn available (minReadySeconds), so the status can be refreshed. */
  readonly requeueAfterMs: number | undefined;
}

/**
 * One reconcile of a ReplicaSet against the cache. Pure: the driver performs the plan in
 * the order adopt/release, delete, create, status.
 */
export function planReplicaSet(input: ReplicaSetInputs): ReplicaSetPlan {
  const { rs, now } = input;
  const uid = rs.metadata?.uid;
  const deleting = !!rs.metadata?.deletionTimestamp;
  const selector = selectorFromLabelSelector(rs.spec?.selector);
  const minReadySeconds = rs.spec?.minReadySeconds ?? 0;

  const adopt: Pod[] = [];
  const release: Pod[] = [];
  const owned: Pod[] = [];
  for (const pod of input.pods) {
    const matches = selector.matches(pod.metadata?.labels);
    if (isControlledBy(pod.metadata, uid)) {
      if (matches) owned.push(pod);
      else release.push(pod);
    } else if (!controllerRef(pod.metadata) && matches && !pod.metadata?.deletionTimestamp && !deleting) {
      adopt.push(pod);
      owned.push(pod);
    }
  }

  const active = owned.filter(isPodActive);
  const failed = owned.filter((p) => p.status?.phase === 'Failed' && !p.metadata?.deletionTimestamp);

  let create = 0;
  const toDelete: Pod[] = [];
  if (input.expectationsSatisfied && !deleting) {
    toDelete.push(...failed);
    const diff = active.length - (rs.spec?.replicas ?? 1);
    if (diff < 0) create = Math.min(-diff, BURST_REPLICAS);
    else if (diff > 0) toDelete.push(...rankForDeletion(active, [...active, ...(input.siblingPods ?? [])]).slice(0, Math.min(diff, BURST_REPLICAS)));
  }

  const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
  let ready = 0;
  let available = 0;
  let fullyLabeled = 0;
  let requeueAfterMs: number | undefined;
  for (const p of active) {
    const labels = p.metadata?.labels ?? {};
    if (Object.entries(templateLabels).every(([k, v]) => labels[k] === v)) fullyLabeled++;
    if (!isPodReady(p)) continue;
    ready++;
    if (isPodAvailable(p, minReadySeconds, now)) available++;
    else {
      const wait = (readySince(p) ?? now) + minReadySeconds * 1000 - now;
      requeueAfterMs = Math.min(requeueAfterMs ?? wait, wait);
    }
  }
  const next: apps.ReplicaSetStatus = {
    replicas: active.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: rs.metadata?.generation ?? 0,
  };
  if (rs.status?.conditions?.length) next.conditions = rs.status.conditions;

  return { adopt, release, create, delete: toDelete, status: statusChanged(rs.status, next) ? next : undefined, requeueAfterMs };
}

function statusChanged(cur: apps.ReplicaSetStatus | undefined, next: apps.ReplicaSetStatus): boolean {
  return (
    (cur?.replicas ?? 0) !== next.replicas ||
    (cur?.fullyLabeledReplicas ?? 0) !== next.fullyLabeledReplicas ||
    (cur?.readyReplicas ?? 0) !== next.readyReplicas ||
    (cur?.availableReplicas ?? 0) !== next.availableReplicas ||
    (cur?.observedGeneration ?? 0) !== next.observedGeneration
  );
}

/** Slow start: batches of 1, 2, 4, ... summing to `n`, so a failing create costs one call, not n. */
export function slowStartBatches(n: number, initial = 1): number[] {
  const out: number[] = [];
  let size = initial;
  for (let left = n; left > 0; left -= out[out.length - 1]!) {
    out.push(Math.min(size, left));
    size *= 2;
  }
  return out;
}

/** The pod a ReplicaSet creates: its template, generateName `<rs>-`, and the ReplicaSet as controller. */
export function podFromTemplate(rs: ReplicaSet): Pod {
  const name = rs.metadata?.name ?? '';
  const meta = rs.spec?.template?.metadata;
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      // Generated names get 5 random characters; keep the whole name within 63.
      generateName: `${name.slice(0, 57)}-`,
      namespace: rs.metadata?.namespace ?? '',
      labels: { ...meta?.labels },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name, uid: rs.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: structuredClone(rs.spec?.template?.spec ?? {}),
  };
  if (meta?.annotations && Object.keys(meta.annotations).length > 0) pod.metadata!.annotations = { ...meta.annotations };
  if (meta?.finalizers?.length) pod.metadata!.finalizers = [...meta.finalizers];
  return pod;
}
