import type { Pod, core } from '@kemu/api';

/**
 * The pod's conditions with PodScheduled set to `status`/`reason`/`message`, or undefined
 * when the pod already says exactly that (so an unchanged verdict causes no write).
 * lastTransitionTime moves only when the status changes, as in Kubernetes.
 */
export function withPodScheduled(
  pod: Pod,
  status: 'True' | 'False',
  reason: string,
  message: string,
  now: number,
): core.PodCondition[] | undefined {
  const conditions = pod.status?.conditions ?? [];
  const current = conditions.find((c) => c.type === 'PodScheduled');
  if (current && current.status === status && (current.reason ?? '') === reason && (current.message ?? '') === message) {
    return undefined;
  }
  const next: core.PodCondition = { type: 'PodScheduled', status };
  if (reason) next.reason = reason;
  if (message) next.message = message;
  next.lastTransitionTime =
    current?.status === status && current.lastTransitionTime ? current.lastTransitionTime : new Date(now).toISOString();
  return current ? conditions.map((c) => (c === current ? next : c)) : [...conditions, next];
}
