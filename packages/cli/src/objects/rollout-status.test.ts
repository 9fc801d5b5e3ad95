import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment } from '@kemu/api';
import { deploymentRolloutState } from './rollout-status.js';

const dep = (generation: number, replicas: number, status: NonNullable<Deployment['status']>): Deployment => ({
  metadata: { name: 'web', generation },
  spec: { replicas },
  status,
});

test('rollout progress in kubectl\'s words, in the order kubectl checks', () => {
  const cases: Array<[Deployment, string, string]> = [
    [dep(2, 3, { observedGeneration: 1 }), 'waiting', 'Waiting for deployment spec update to be observed...'],
    [dep(2, 3, { observedGeneration: 2, updatedReplicas: 1, replicas: 3 }), 'waiting', 'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...'],
    [dep(2, 3, { observedGeneration: 2, updatedReplicas: 3, replicas: 4, availableReplicas: 3 }), 'waiting', 'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...'],
    [dep(2, 3, { observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 1 }), 'waiting', 'Waiting for deployment "web" rollout to finish: 1 of 3 updated replicas are available...'],
    [dep(2, 3, { observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 3 }), 'done', 'deployment "web" successfully rolled out'],
    [dep(1, 0, { observedGeneration: 1 }), 'done', 'deployment "web" successfully rolled out'],
  ];
  for (const [d, state, message] of cases) assert.deepEqual(deploymentRolloutState(d), { state, message });
});

test('a rollout past its progress deadline fails', () => {
  const d = dep(1, 3, { observedGeneration: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] });
  assert.deepEqual(deploymentRolloutState(d), { state: 'failed', message: 'error: deployment "web" exceeded its progress deadline' });
});
