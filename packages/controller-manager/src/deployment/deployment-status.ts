import type { Condition, Deployment, ReplicaSet, apps } from '@kemu/api';

/**
 * Sets condition `c` (by type) in `conditions`, as Kubernetes' SetDeploymentCondition: no
 * change when status and reason are the same; otherwise the condition is replaced
 * (moved last), keeping lastTransitionTime if only the reason changed.
 */
export function setCondition(conditions: readonly Condition[], c: Condition, now: number): Condition[] {
  const current = conditions.find((x) => x.type === c.type);
  if (current && current.status === c.status && current.reason === c.reason) return [...conditions];
  const next: Condition = { ...c, lastTransitionTime: new Date(now).toISOString() };
  if (current && current.status === c.status && current.lastTransitionTime) next.lastTransitionTime = current.lastTransitionTime;
  return [...conditions.filter((x) => x.type !== c.type), next];
}

export function getCondition(status: apps.DeploymentStatus | undefined, type: string): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

const n = (v: number | undefined): number => v ?? 0;

/**
 * The counts of a Deployment's status from its ReplicaSets as planned: replicas, ready
 * and available are what the ReplicaSets report; unavailable is the planned size
 * (spec.replicas summed) minus available, never negative.
 */
export function countStatus(d: Deployment, all: readonly ReplicaSet[], newRs: ReplicaSet | undefined): apps.DeploymentStatus {
  const sum = (f: (rs: ReplicaSet) => number | undefined): number => all.reduce((acc, rs) => acc + n(f(rs)), 0);
  const available = sum((rs) => rs.status?.availableReplicas);
  const planned = sum((rs) => rs.spec?.replicas ?? 1);
  return {
    observedGeneration: n(d.metadata?.generation),
    replicas: sum((rs) => rs.status?.replicas),
    updatedReplicas: n(newRs?.status?.replicas),
    readyReplicas: sum((rs) => rs.status?.readyReplicas),
    availableReplicas: available,
    unavailableReplicas: Math.max(planned - available, 0),
  };
}

/** Every pod is updated and available and the spec generation has been observed. */
export function isComplete(d: Deployment, s: apps.DeploymentStatus): boolean {
  const desired = d.spec?.replicas ?? 1;
  return (
    n(s.updatedReplicas) === desired &&
    n(s.replicas) === desired &&
    n(s.availableReplicas) === desired &&
    n(s.observedGeneration) >= n(d.metadata?.generation)
  );
}

/** The rollout moved forward since the recorded status (Kubernetes' DeploymentProgressing). */
export function isProgressing(old: apps.DeploymentStatus | undefined, s: apps.DeploymentStatus): boolean {
  const oldOld = n(old?.replicas) - n(old?.updatedReplicas);
  const newOld = n(s.replicas) - n(s.updatedReplicas);
  return (
    n(s.updatedReplicas) > n(old?.updatedReplicas) ||
    newOld < oldOld ||
    n(s.readyReplicas) > n(old?.readyReplicas) ||
    n(s.availableReplicas) > n(old?.availableReplicas)
  );
}
