import type { Pod, core } from '@kemu/api';
import { formatTime, parseTime } from './node-health.js';
import { tolerates } from './taints.js';

const READINESS_CONDITIONS = new Set(['Ready', 'ContainersReady']);

/**
 * The pod with its Ready and ContainersReady conditions set to False (Kubernetes'
 * MarkPodsNotReady), so endpoint controllers drop it while its node is unreachable.
 * Returns undefined when no such condition is left to change.
 */
export function markPodNotReady(pod: Pod, now: number): Pod | undefined {
  const conditions = pod.status?.conditions ?? [];
  if (!conditions.some((c) => READINESS_CONDITIONS.has(c.type ?? '') && c.status !== 'False')) return undefined;
  const at = formatTime(now);
  return {
    ...pod,
    status: {
      ...pod.status,
      conditions: conditions.map((c) =>
        READINESS_CONDITIONS.has(c.type ?? '') && c.status !== 'False' ? { ...c, status: 'False', lastTransitionTime: at } : c,
      ),
    },
  };
}

/**
 * When a pod must leave a node carrying these NoExecute taints, as the taint manager
 * decides it: per taint, the pod's first toleration for it sets how long it may stay
 * (no tolerationSeconds: forever; zero or less: not at all); a pod with no toleration
 * for the taint gets `defaultTolerationMs` (what Kubernetes' DefaultTolerationSeconds
 * admission adds to every pod for not-ready and unreachable). The clock of each taint
 * starts at its timeAdded; a taint without one is ignored. Returns the earliest time,
 * or undefined when the pod may stay forever.
 */
export function evictionTime(pod: Pod, noExecuteTaints: readonly core.Taint[], defaultTolerationMs: number): number | undefined {
  let earliest: number | undefined;
  for (const taint of noExecuteTaints) {
    const added = parseTime(taint.timeAdded);
    if (added === undefined) continue;
    const tol = (pod.spec?.tolerations ?? []).find((t) => tolerates(t, taint));
    let stayMs: number;
    if (!tol) stayMs = defaultTolerationMs;
    else if (tol.tolerationSeconds === undefined) continue;
    else stayMs = Math.max(0, tol.tolerationSeconds) * 1000;
    const at = added + stayMs;
    earliest = earliest === undefined ? at : Math.min(earliest, at);
  }
  return earliest;
}
