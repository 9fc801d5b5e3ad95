import type { ObjectMeta } from '@kemu/api';
import { allOwnersAbsent, ownerTargets, type OwnerState, type OwnerTarget } from './owners.js';

export type Verdict = 'keep' | 'delete';

/**
 * Whether to delete an object under background cascading deletion. `cached` answers from
 * the informer caches; only if every owner looks absent there is `live` (a GET against
 * the apiserver) asked about each, and only if every owner is absent there too is the
 * object garbage. An owner that is merely missing from a lagging cache thus never causes
 * a delete; an owner found at its name with another uid counts as gone.
 */
export async function judgeDependent(
  meta: ObjectMeta | undefined,
  cached: (owner: OwnerTarget) => OwnerState,
  live: (owner: OwnerTarget) => Promise<OwnerState>,
): Promise<Verdict> {
  if (!meta || meta.deletionTimestamp) return 'keep';
  const owners = ownerTargets(meta);
  if (!allOwnersAbsent(owners.map((o) => (o ? cached(o) : 'unknown')))) return 'keep';
  const confirmed: OwnerState[] = [];
  for (const o of owners) confirmed.push(o ? await live(o) : 'unknown');
  return allOwnersAbsent(confirmed) ? 'delete' : 'keep';
}
