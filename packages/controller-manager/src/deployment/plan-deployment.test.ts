import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Deployment, Pod, ReplicaSet, apps } from '@kemu/api';
import { planDeployment, REVISION_ANNOTATION, type DeploymentAction } from './plan-deployment.js';
import { POD_TEMPLATE_HASH_LABEL } from './pod-template-hash.js';

const T0 = Date.parse('2024-05-01T12:00:00Z');

function deployment(replicas: number, image: string, strategy: apps.DeploymentStrategy = {}, extra: Partial<apps.DeploymentSpec> = {}): Deployment {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'd-uid', generation: 1 },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } },
      strategy,
      ...extra,
    },
  };
}

/**
 * A fake cluster for the planner: applies its actions to the ReplicaSets, and lets tests
 * decide how pods follow (all available at once by default).
 */
class Cluster {
  replicaSets: ReplicaSet[] = [];
  podsByReplicaSet = new Map<string, Pod[]>();
  private seq = 0;
  now = T0;

  constructor(public d: Deployment) {}

  sync(): DeploymentAction[] {
    const actions = planDeployment({ deployment: this.d, replicaSets: this.replicaSets, podsByReplicaSet: this.podsByReplicaSet, now: this.now });
    for (const a of actions) this.apply(a);
    this.now += 1000;
    return actions;
  }

  private apply(a: DeploymentAction): void {
    switch (a.type) {
      case 'createReplicaSet': {
        const rs = structuredClone(a.rs);
        rs.metadata = { ...rs.metadata, uid: `rs-${++this.seq}`, creationTimestamp: new Date(this.now).toISOString(), generation: 1 };
        rs.status = { replicas: 0, availableReplicas: 0, readyReplicas: 0, observedGeneration: 0 };
        this.replicaSets.push(rs);
        return;
      }
      case 'updateReplicaSet':
        this.replicaSets = this.replicaSets.map((rs) => (rs.metadata?.uid === a.rs.metadata?.uid ? { ...structuredClone(a.rs), status: rs.status } : rs));
        return;
      case 'deleteReplicaSet':
        this.replicaSets = this.replicaSets.filter((rs) => rs.metadata?.uid !== a.uid);
        return;
      case 'setDeploymentRevision':
        this.d = { ...this.d, metadata: { ...this.d.metadata, annotations: { ...this.d.metadata?.annotations, [REVISION_ANNOTATION]: a.revision } } };
        return;
      case 'updateStatus':
        this.d = { ...this.d, status: a.status };
        return;
    }
  }

  /** The ReplicaSet controller and kubelets catch up: each RS reports spec.replicas pods, `available(rs)` of them available. */
  settle(available: (rs: ReplicaSet) => number = (rs) => rs.spec?.replicas ?? 0): void {
    for (const rs of this.replicaSets) {
      const n = rs.spec?.replicas ?? 0;
      const a = Math.min(available(rs), n);
      rs.status = { replicas: n, readyReplicas: a, availableReplicas: a, fullyLabeledReplicas: n, observedGeneration: rs.metadata?.generation ?? 0 };
    }
  }

  sizes(): string {
    return this.replicaSets.map((rs) => `${imageOf(rs)}=${rs.spec?.replicas ?? 0}`).join(' ');
  }

  rs(image: string): ReplicaSet | undefined {
    return this.replicaSets.find((rs) => imageOf(rs) === image);
  }

  /** Changes the template, as `kubectl set image` does. */
  setImage(image: string): void {
    const d = structuredClone(this.d);
    d.spec!.template!.spec!.containers![0]!.image = image;
    d.metadata!.generation = (d.metadata?.generation ?? 0) + 1;
    this.d = d;
  }

  setReplicas(n: number): void {
    this.d = { ...this.d, metadata: { ...this.d.metadata, generation: (this.d.metadata?.generation ?? 0) + 1 }, spec: { ...this.d.spec, replicas: n } };
  }

  /** Syncs and settles until the planner has nothing left to do to ReplicaSets; returns the sizes after each step. */
  rollOut(available?: (rs: ReplicaSet) => number, maxSteps = 50): string[] {
    const steps: string[] = [];
    for (let i = 0; i < maxSteps; i++) {
      const actions = this.sync();
      this.settle(available);
      if (!actions.some((a) => a.type !== 'updateStatus' && a.type !== 'setDeploymentRevision')) return steps;
      steps.push(this.sizes());
    }
    throw new Error(`no steady state after ${maxSteps} syncs: ${steps.join(' | ')}`);
  }
}

const imageOf = (rs: ReplicaSet): string => rs.spec?.template?.spec?.containers?.[0]?.image ?? '';

function running(image: string, replicas: number, strategy: apps.DeploymentStrategy = {}): Cluster {
  const c = new Cluster(deployment(replicas, image, strategy));
  c.rollOut();
  assert.equal(c.sizes(), `${image}=${replicas}`);
  return c;
}

describe('planDeployment: first rollout', () => {
  test('creates <name>-<hash> with the hash label on selector, labels and template, and revision 1', () => {
    const c = new Cluster(deployment(3, 'nginx:1'));
    const actions = c.sync();
    const create = actions.find((a) => a.type === 'createReplicaSet');
    assert.ok(create && create.type === 'createReplicaSet');
    const rs = create.rs;
    const hash = rs.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL] ?? '';
    assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.equal(rs.metadata?.name, `web-${hash}`);
    assert.deepEqual(rs.spec?.selector, { matchLabels: { app: 'web', [POD_TEMPLATE_HASH_LABEL]: hash } });
    assert.deepEqual(rs.spec?.template?.metadata?.labels, { app: 'web', [POD_TEMPLATE_HASH_LABEL]: hash });
    assert.equal(rs.metadata?.annotations?.[REVISION_ANNOTATION], '1');
    assert.equal(rs.spec?.replicas, 3);
    assert.deepEqual(rs.metadata?.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true, blockOwnerDeletion: true }]);
    assert.deepEqual(actions.find((a) => a.type === 'setDeploymentRevision'), { type: 'setDeploymentRevision', revision: '1' });
    const status = actions.find((a) => a.type === 'updateStatus');
    assert.ok(status?.type === 'updateStatus');
    assert.equal(status.status.conditions?.find((x) => x.type === 'Progressing')?.reason, 'NewReplicaSetCreated');
  });

  test('reaches a complete status: counts, Available and NewReplicaSetAvailable', () => {
    const c = running('nginx:1', 3);
    const s = c.d.status;
    assert.deepEqual(
      { ...s, conditions: undefined },
      { observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 0, conditions: undefined },
    );
    const byType = new Map(s?.conditions?.map((x) => [x.type, x]));
    assert.equal(byType.get('Available')?.status, 'True');
    assert.equal(byType.get('Available')?.reason, 'MinimumReplicasAvailable');
    assert.equal(byType.get('Progressing')?.reason, 'NewReplicaSetAvailable');
    assert.equal(byType.get('Progressing')?.message, `ReplicaSet "${c.replicaSets[0]?.metadata?.name ?? ''}" has successfully progressed.`);
    // Steady state: nothing more to do.
    assert.deepEqual(c.sync(), []);
  });
});

describe('planDeployment: RollingUpdate', () => {
  test('maxSurge 1, maxUnavailable 0: one new up, then one old down', () => {
    const c = running('v1', 3, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    c.setImage('v2');
    assert.deepEqual(c.rollOut(), ['v1=3 v2=1', 'v1=2 v2=1', 'v1=2 v2=2', 'v1=1 v2=2', 'v1=1 v2=3', 'v1=0 v2=3']);
    assert.equal(c.d.status?.updatedReplicas, 3);
    assert.equal(c.d.status?.conditions?.find((x) => x.type === 'Progressing')?.reason, 'NewReplicaSetAvailable');
    assert.equal(c.rs('v2')?.metadata?.annotations?.[REVISION_ANNOTATION], '2');
  });

  test('25%/25% of 4: surge 1 and unavailable 1, so new up and old down in the first sync', () => {
    const c = running('v1', 4);
    c.setImage('v2');
    assert.deepEqual(c.rollOut(), ['v1=3 v2=1', 'v1=3 v2=2', 'v1=1 v2=2', 'v1=1 v2=4', 'v1=0 v2=4']);
  });

  test('25%/25% of 10: surge rounds up to 3, unavailable rounds down to 2', () => {
    const c = running('v1', 10);
    c.setImage('v2');
    const steps = c.rollOut();
    assert.equal(steps[0], 'v1=8 v2=3');
    for (const s of steps) {
      const [old, cur] = s.split(' ').map((x) => Number(x.split('=')[1]));
      assert.ok((old ?? 0) + (cur ?? 0) <= 13, `surge bound: ${s}`);
    }
    assert.equal(steps[steps.length - 1], 'v1=0 v2=10');
  });

  test('a new version that never becomes available stalls with old pods kept', () => {
    const c = running('v1', 3, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    c.setImage('broken');
    assert.deepEqual(
      c.rollOut((rs) => (imageOf(rs) === 'broken' ? 0 : (rs.spec?.replicas ?? 0))),
      ['v1=3 broken=1'],
    );
    const s = c.d.status;
    assert.equal(s?.availableReplicas, 3);
    assert.equal(s?.unavailableReplicas, 1);
    assert.equal(s?.conditions?.find((x) => x.type === 'Available')?.status, 'True');
    assert.notEqual(s?.conditions?.find((x) => x.type === 'Progressing')?.reason, 'NewReplicaSetAvailable');
  });

  test('rolling back reuses the old ReplicaSet and gives it the next revision', () => {
    const c = running('v1', 2);
    c.setImage('v2');
    c.rollOut();
    const v1 = c.rs('v1');
    c.setImage('v1');
    c.rollOut();
    assert.equal(c.replicaSets.length, 2);
    assert.equal(c.rs('v1')?.metadata?.uid, v1?.metadata?.uid);
    assert.equal(c.rs('v1')?.metadata?.annotations?.[REVISION_ANNOTATION], '3');
    assert.equal(c.d.metadata?.annotations?.[REVISION_ANNOTATION], '3');
    assert.equal(c.sizes(), 'v1=2 v2=0');
  });
});

describe('planDeployment: Recreate', () => {
  test('old to zero, wait for their pods to be gone, then new at full size', () => {
    const c = running('v1', 3, { type: 'Recreate' });
    c.setImage('v2');
    c.sync();
    assert.equal(c.sizes(), 'v1=0');
    c.settle();
    // The old ReplicaSet reports 0 but a pod is still terminating.
    const oldUid = c.rs('v1')?.metadata?.uid ?? '';
    c.podsByReplicaSet.set(oldUid, [{ metadata: { name: 'v1-x', deletionTimestamp: new Date(T0).toISOString() }, status: { phase: 'Running' } }]);
    assert.deepEqual(c.sync().filter((a) => a.type !== 'updateStatus'), []);
    // A finished pod does not hold the rollout back.
    c.podsByReplicaSet.set(oldUid, [{ metadata: { name: 'v1-x' }, status: { phase: 'Succeeded' } }]);
    c.sync();
    assert.equal(c.sizes(), 'v1=0 v2=3');
    c.settle();
    c.sync();
    assert.equal(c.d.status?.conditions?.find((x) => x.type === 'Progressing')?.reason, 'NewReplicaSetAvailable');
  });

  test('Available needs every replica (maxUnavailable is 0)', () => {
    const c = running('v1', 3, { type: 'Recreate' });
    c.setImage('v2');
    c.sync();
    c.settle();
    c.sync();
    c.sync();
    assert.equal(c.d.status?.conditions?.find((x) => x.type === 'Available')?.status, 'False');
  });
});

describe('planDeployment: scaling', () => {
  test('scaling with the same template resizes the current ReplicaSet only', () => {
    const c = running('v1', 3);
    const before = c.replicaSets[0]?.metadata?.name;
    c.setReplicas(5);
    assert.deepEqual(c.rollOut(), ['v1=5']);
    assert.equal(c.replicaSets[0]?.metadata?.name, before);
    assert.equal(c.replicaSets[0]?.metadata?.annotations?.['deployment.kubernetes.io/desired-replicas'], '5');
    assert.equal(c.d.status?.replicas, 5);
  });

  test('scaling mid-rollout splits the change proportionally', () => {
    const c = running('v1', 10, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } });
    c.setImage('v2');
    c.sync(); // creates v2 at the surge and, maxUnavailable allowing, scales v1 down in the same sync
    assert.equal(c.sizes(), 'v1=8 v2=3');
    // Pods of v2 are not available yet, so the rollout holds here; now scale 10 -> 20.
    c.settle((rs) => (imageOf(rs) === 'v2' ? 0 : (rs.spec?.replicas ?? 0)));
    c.setReplicas(20);
    c.sync();
    // allowed 23 - current 11 = 12 to add: v1 gets round(8*23/13)-8 = 6, v2 round(3*23/13)-3 = 2, leftover 4 to the largest.
    assert.equal(c.sizes(), 'v1=18 v2=5');
  });

  test('pausing stops the rollout but not scaling', () => {
    const c = running('v1', 2);
    c.d = { ...c.d, spec: { ...c.d.spec, paused: true } };
    c.setImage('v2');
    c.sync();
    assert.equal(c.sizes(), 'v1=2');
    assert.equal(c.d.status?.conditions?.find((x) => x.type === 'Progressing')?.reason, 'DeploymentPaused');
    c.setReplicas(4);
    c.sync();
    assert.equal(c.sizes(), 'v1=4');
  });
});

describe('planDeployment: history and ownership', () => {
  test('old ReplicaSets beyond revisionHistoryLimit are deleted, oldest revision first', () => {
    const c = new Cluster(deployment(1, 'v1', {}, { revisionHistoryLimit: 1 }));
    c.rollOut();
    for (const v of ['v2', 'v3', 'v4']) {
      c.setImage(v);
      c.rollOut();
    }
    assert.deepEqual(c.replicaSets.map(imageOf).sort(), ['v3', 'v4']);
  });

  test('orphan ReplicaSets matching the selector are adopted; controlled ones that stop matching are released', () => {
    const d = deployment(1, 'v1');
    const orphan: ReplicaSet = {
      metadata: { name: 'orphan', namespace: 'default', uid: 'o', labels: { app: 'web' }, creationTimestamp: new Date(T0).toISOString() },
      spec: { replicas: 0, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'old' }] } } },
    };
    const strayed: ReplicaSet = {
      metadata: { name: 'strayed', namespace: 'default', uid: 's', labels: { app: 'other' }, ownerReferences: [{ kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true }] },
      spec: { replicas: 1 },
    };
    const actions = planDeployment({ deployment: d, replicaSets: [orphan, strayed], podsByReplicaSet: new Map(), now: T0 });
    const updates = actions.flatMap((a) => (a.type === 'updateReplicaSet' ? [a.rs] : []));
    assert.deepEqual(updates.find((rs) => rs.metadata?.uid === 'o')?.metadata?.ownerReferences?.map((r) => r.uid), ['d-uid']);
    assert.deepEqual(updates.find((rs) => rs.metadata?.uid === 's')?.metadata?.ownerReferences, []);
  });

  test('a name taken by a foreign ReplicaSet is avoided with a collision count', () => {
    const c = new Cluster(deployment(1, 'v1'));
    const first = c.sync().find((a) => a.type === 'createReplicaSet');
    assert.ok(first?.type === 'createReplicaSet');
    const squatter: ReplicaSet = { metadata: { name: first.rs.metadata?.name ?? '', namespace: 'default', uid: 'x', labels: { other: 'yes' } } };
    const second = planDeployment({ deployment: deployment(1, 'v1'), replicaSets: [squatter], podsByReplicaSet: new Map(), now: T0 }).find(
      (a) => a.type === 'createReplicaSet',
    );
    assert.ok(second?.type === 'createReplicaSet');
    assert.notEqual(second.rs.metadata?.name, first.rs.metadata?.name);
    assert.match(second.rs.metadata?.name ?? '', /^web-/);
  });

  test('a Deployment being deleted only gets its status updated', () => {
    const c = running('v1', 2);
    c.setImage('v2');
    c.d = { ...c.d, metadata: { ...c.d.metadata, deletionTimestamp: new Date(T0).toISOString() } };
    assert.ok(c.sync().every((a) => a.type === 'updateStatus'));
  });
});
