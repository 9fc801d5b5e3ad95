/** A Deployment strategy's maxSurge/maxUnavailable could not be read. */
export class IntOrPercentError extends Error {
  override readonly name = 'IntOrPercentError';
}

/**
 * An int-or-percent resolved against `total`: a number as is, "N%" as N% of total rounded
 * up or down. Anything else is an IntOrPercentError naming the field.
 */
export function scaledValue(value: number | string | undefined, total: number, roundUp: boolean, field: string, dflt: number | string): number {
  const v = value ?? dflt;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) throw new IntOrPercentError(`deployment: ${field}: invalid value ${JSON.stringify(v)}: must be an integer or a percentage`);
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/**
 * maxSurge (rounded up) and maxUnavailable (rounded down) against the desired replicas, as
 * Kubernetes' ResolveFenceposts: if both come out 0, one pod may be unavailable so that
 * the rollout can make progress. Defaults are 25% each.
 */
export function resolveFenceposts(
  maxSurge: number | string | undefined,
  maxUnavailable: number | string | undefined,
  desired: number,
): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge, desired, true, 'spec.strategy.rollingUpdate.maxSurge', '25%');
  const unavailable = scaledValue(maxUnavailable, desired, false, 'spec.strategy.rollingUpdate.maxUnavailable', '25%');
  if (surge === 0 && unavailable === 0) return { surge: 0, unavailable: 1 };
  return { surge, unavailable };
}
