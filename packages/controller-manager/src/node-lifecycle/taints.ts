import type { core } from '@kemu/api';

/** The taints the node lifecycle controller owns, named as Kubernetes names them. */
export const TaintKey = {
  unreachable: 'node.kubernetes.io/unreachable',
  notReady: 'node.kubernetes.io/not-ready',
  unschedulable: 'node.kubernetes.io/unschedulable',
} as const;
export type TaintKey = (typeof TaintKey)[keyof typeof TaintKey];

export const TaintEffect = {
  NoSchedule: 'NoSchedule',
  PreferNoSchedule: 'PreferNoSchedule',
  NoExecute: 'NoExecute',
} as const;
export type TaintEffect = (typeof TaintEffect)[keyof typeof TaintEffect];

/** A taint's identity on a node: at most one taint per (key, effect). */
export interface TaintRef {
  key: string;
  effect: string;
}

export const sameTaint = (a: TaintRef, b: core.Taint): boolean => a.key === b.key && a.effect === b.effect;

export function hasTaint(taints: readonly core.Taint[] | undefined, ref: TaintRef): boolean {
  return (taints ?? []).some((t) => sameTaint(ref, t));
}

export function findTaint(taints: readonly core.Taint[] | undefined, ref: TaintRef): core.Taint | undefined {
  return (taints ?? []).find((t) => sameTaint(ref, t));
}

/**
 * The taints after removing `remove` and adding `add` (an added taint replaces one with
 * the same key and effect). Taints the controller does not mention keep their order.
 */
export function swapTaints(
  taints: readonly core.Taint[] | undefined,
  add: readonly core.Taint[],
  remove: readonly TaintRef[],
): core.Taint[] {
  const drop = [...remove, ...add.map((t) => ({ key: t.key ?? '', effect: t.effect ?? '' }))];
  return [...(taints ?? []).filter((t) => !drop.some((r) => sameTaint(r, t))), ...add];
}

/**
 * Whether a toleration tolerates a taint, by Kubernetes' rules: an empty effect matches
 * every effect; operator Exists matches any value (and, with an empty key, any key);
 * operator Equal (the default) needs the same key and value.
 */
export function tolerates(tol: core.Toleration, taint: core.Taint): boolean {
  if (tol.effect && tol.effect !== taint.effect) return false;
  const op = tol.operator || 'Equal';
  if (op === 'Exists') return !tol.key || tol.key === taint.key;
  if (op !== 'Equal') return false;
  return tol.key === taint.key && (tol.value ?? '') === (taint.value ?? '');
}
