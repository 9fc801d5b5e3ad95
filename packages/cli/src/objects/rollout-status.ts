import type { Deployment } from '@kemu/api';

/** Where a Deployment's rollout stands: a line to print, and whether it is over. */
export interface RolloutState {
  state: 'waiting' | 'done' | 'failed';
  message: string;
}

/**
 * kubectl's deployment status viewer: the rollout is complete once the controller has seen
 * the latest spec (observedGeneration >= generation), every replica is updated, no old
 * replica remains and every updated replica is available. A Progressing condition with
 * reason ProgressDeadlineExceeded fails it.
 */
export function deploymentRolloutState(d: Deployment): RolloutState {
  const name = d.metadata?.name ?? '';
  const generation = d.metadata?.generation ?? 0;
  const st = d.status ?? {};
  if (generation > (st.observedGeneration ?? 0)) return { state: 'waiting', message: 'Waiting for deployment spec update to be observed...' };
  const progressing = st.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') return { state: 'failed', message: `error: deployment ${JSON.stringify(name)} exceeded its progress deadline` };
  const want = d.spec?.replicas ?? 1;
  const updated = st.updatedReplicas ?? 0;
  const total = st.replicas ?? 0;
  const available = st.availableReplicas ?? 0;
  if (updated < want) {
    return { state: 'waiting', message: `Waiting for deployment ${JSON.stringify(name)} rollout to finish: ${updated} out of ${want} new replicas have been updated...` };
  }
  if (total > updated) {
    return { state: 'waiting', message: `Waiting for deployment ${JSON.stringify(name)} rollout to finish: ${total - updated} old replicas are pending termination...` };
  }
  if (available < updated) {
    return { state: 'waiting', message: `Waiting for deployment ${JSON.stringify(name)} rollout to finish: ${available} of ${updated} updated replicas are available...` };
  }
  return { state: 'done', message: `deployment ${JSON.stringify(name)} successfully rolled out` };
}
