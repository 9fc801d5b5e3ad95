import type { core } from '@kemu/api';

/** Taint effects the scheduler filters on; PreferNoSchedule only affects scoring in Kubernetes. */
export const FILTERED_EFFECTS: ReadonlySet<string> = new Set(['NoSchedule', 'NoExecute']);

/**
 * Whether one toleration tolerates one taint, with Kubernetes' semantics: an empty effect
 * matches every effect, an empty key matches every key (validation only allows that with
 * Exists), Exists ignores the value and Equal (or an empty operator) requires equal values.
 */
export function toleratesTaint(t: core.Toleration, taint: core.Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== (taint.key ?? '')) return false;
  switch (t.operator ?? '') {
    case '':
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

export function toleratesAny(tolerations: readonly core.Toleration[] | undefined, taint: core.Taint): boolean {
  return (tolerations ?? []).some((t) => toleratesTaint(t, taint));
}

/** The first NoSchedule/NoExecute taint of the node that no toleration covers, as the scheduler reports it. */
export function firstUntoleratedTaint(
  taints: readonly core.Taint[] | undefined,
  tolerations: readonly core.Toleration[] | undefined,
): core.Taint | undefined {
  return (taints ?? []).find((taint) => FILTERED_EFFECTS.has(taint.effect ?? '') && !toleratesAny(tolerations, taint));
}
