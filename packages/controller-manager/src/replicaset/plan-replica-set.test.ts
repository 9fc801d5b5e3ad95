import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Pod, ReplicaSet } from '@kemu/api';
import { Expectations } from './expectations.js';
import { planReplicaSet, podFromTemplate, slowStartBatches } from './plan-replica-set.js';
import { rankForDeletion } from './pod-ranking.js';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const iso = (msAgo: number): string => new Date(NOW - msAgo).toISOString();

function rs(replicas: number, extra: { minReadySeconds?: number; generation?: number; deleting?: boolean } = {}): ReplicaSet {
  return {
    metadata: {
      name: 'web',
      namespace: 'default',
      uid: 'rs-uid',
      generation: extra.generation ?? 1,
      ...(extra.deleting ? { deletionTimestamp: iso(0) } : {}),
    },
    spec: {
      replicas,
      minReadySeconds: extra.minReadySeconds ?? 0,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web', tier: 'fe' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
    },
  };
}

interface PodOpts {
  node?: string;
  phase?: string;
  ready?: boolean;
  readyMsAgo?: number;
  createdMsAgo?: number;
  owner?: string | null;
  labels?: Record<string, string>;
  deleting?: boolean;
  restarts?: number;
}

function pod(name: string, o: PodOpts = {}): Pod {
  const owner = o.owner === undefined ? 'rs-uid' : o.owner;
  return {
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      labels: o.labels ?? { app: 'web', tier: 'fe' },
      creationTimestamp: iso(o.createdMsAgo ?? 60_000),
      ownerReferences: owner ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: owner, controller: true }] : [],
      ...(o.deleting ? { deletionTimestamp: iso(0) } : {}),
    },
    spec: { nodeName: o.node ?? 'n1', containers: [] },
    status: {
      phase: o.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: (o.ready ?? true) ? 'True' : 'False', lastTransitionTime: iso(o.readyMsAgo ?? 30_000) }],
      containerStatuses: [{ name: 'c', restartCount: o.restarts ?? 0 }],
    },
  };
}

const names = (pods: readonly Pod[]): string[] => pods.map((p) => p.metadata?.name ?? '');
const plan = (r: ReplicaSet, pods: Pod[], expectationsSatisfied = true, siblingPods: Pod[] = []) =>
  planReplicaSet({ rs: r, pods, siblingPods, expectationsSatisfied, now: NOW });

describe('planReplicaSet: scaling', () => {
  test('creates the missing replicas', () => {
    const p = plan(rs(3), [pod('a')]);
    assert.equal(p.create, 2);
    assert.deepEqual(p.delete, []);
  });

  test('does nothing while expectations are unmet, however stale the cache looks', () => {
    const p = plan(rs(3), [], false);
    assert.equal(p.create, 0);
    assert.deepEqual(p.delete, []);
    assert.equal(plan(rs(0), [pod('a')], false).delete.length, 0);
  });

  test('terminating and finished pods do not count; failed ones are deleted and replaced', () => {
    const pods = [pod('a'), pod('gone', { deleting: true }), pod('done', { phase: 'Succeeded' }), pod('bad', { phase: 'Failed' })];
    const p = plan(rs(2), pods);
    assert.equal(p.create, 1);
    assert.deepEqual(names(p.delete), ['bad']);
    assert.equal(p.status?.replicas, 1);
  });

  test('pods controlled by another owner or not matching the selector are ignored', () => {
    const pods = [pod('other', { owner: 'someone-else' }), pod('odd', { owner: null, labels: { app: 'db' } })];
    const p = plan(rs(1), pods);
    assert.equal(p.create, 1);
    assert.deepEqual(p.adopt, []);
  });

  test('scale down deletes the surplus in ranked order', () => {
    const pods = [
      pod('running-old', { createdMsAgo: 600_000 }),
      pod('running-new', { createdMsAgo: 1_000 }),
      pod('not-ready', { ready: false }),
      pod('pending', { phase: 'Pending', ready: false }),
      pod('unscheduled', { node: '', phase: 'Pending', ready: false }),
    ];
    assert.deepEqual(names(plan(rs(2), pods).delete), ['unscheduled', 'pending', 'not-ready']);
    assert.deepEqual(names(plan(rs(1), pods).delete), ['unscheduled', 'pending', 'not-ready', 'running-new']);
    assert.deepEqual(names(plan(rs(0), pods).delete), ['unscheduled', 'pending', 'not-ready', 'running-new', 'running-old']);
  });

  test('a ReplicaSet being deleted neither creates, deletes nor adopts', () => {
    const p = plan(rs(3, { deleting: true }), [pod('orphan', { owner: null })]);
    assert.equal(p.create, 0);
    assert.deepEqual(p.adopt, []);
  });
});

describe('rankForDeletion', () => {
  test('pods doubled up on a node go first, counting sibling ReplicaSets', () => {
    const pods = [pod('alone', { node: 'n1' }), pod('crowded', { node: 'n2' })];
    const siblings = [pod('s1', { node: 'n2', owner: 'old-rs' }), pod('s2', { node: 'n1', owner: 'old-rs' }), pod('s3', { node: 'n2', owner: 'old-rs' })];
    assert.deepEqual(names(rankForDeletion(pods, [...pods, ...siblings])), ['crowded', 'alone']);
    assert.deepEqual(names(plan(rs(1), pods, true, siblings).delete), ['crowded']);
  });

  test('among ready pods: ready more recently, then more restarts, then newer go first', () => {
    const recent = pod('recent', { readyMsAgo: 1_000 });
    const long = pod('long', { readyMsAgo: 100_000 });
    assert.deepEqual(names(rankForDeletion([long, recent], [])), ['recent', 'long']);
    const crashy = pod('crashy', { restarts: 5 });
    const calm = pod('calm');
    assert.deepEqual(names(rankForDeletion([calm, crashy], [])), ['crashy', 'calm']);
    const young = pod('young', { createdMsAgo: 10 });
    const old = pod('old', { createdMsAgo: 10_000 });
    assert.deepEqual(names(rankForDeletion([old, young], [])), ['young', 'old']);
  });

  test('phase order is Pending, Unknown, Running', () => {
    const pods = [pod('r', { ready: false }), pod('u', { phase: 'Unknown', ready: false }), pod('p', { phase: 'Pending', ready: false })];
    assert.deepEqual(names(rankForDeletion(pods, [])), ['p', 'u', 'r']);
  });
});

describe('planReplicaSet: ownership', () => {
  test('adopts matching orphans and counts them', () => {
    const p = plan(rs(2), [pod('orphan', { owner: null }), pod('mine')]);
    assert.deepEqual(names(p.adopt), ['orphan']);
    assert.equal(p.create, 0);
    assert.equal(p.status?.replicas, 2);
  });

  test('does not adopt terminating orphans', () => {
    assert.deepEqual(plan(rs(1), [pod('orphan', { owner: null, deleting: true })]).adopt, []);
  });

  test('releases controlled pods whose labels no longer match, and replaces them', () => {
    const p = plan(rs(1), [pod('relabelled', { labels: { app: 'debug' } })]);
    assert.deepEqual(names(p.release), ['relabelled']);
    assert.equal(p.create, 1);
  });
});

describe('planReplicaSet: status', () => {
  test('counts replicas, fully labelled, ready and available; writes only on change', () => {
    const r = rs(3, { minReadySeconds: 60, generation: 4 });
    const pods = [
      pod('avail', { readyMsAgo: 120_000 }),
      pod('fresh', { readyMsAgo: 20_000 }),
      pod('partial', { ready: false, labels: { app: 'web' } }),
    ];
    const p = plan(r, pods);
    assert.deepEqual(p.status, { replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1, observedGeneration: 4 });
    // 'fresh' turns available 40s from now.
    assert.equal(p.requeueAfterMs, 40_000);
    assert.equal(plan({ ...r, status: p.status }, pods).status, undefined);
  });

  test('without minReadySeconds, ready means available and no requeue is needed', () => {
    const p = plan(rs(1), [pod('a', { readyMsAgo: 0 })]);
    assert.equal(p.status?.availableReplicas, 1);
    assert.equal(p.requeueAfterMs, undefined);
  });
});

describe('pod creation', () => {
  test('slow start batches double and sum to n', () => {
    assert.deepEqual(slowStartBatches(0), []);
    assert.deepEqual(slowStartBatches(1), [1]);
    assert.deepEqual(slowStartBatches(10), [1, 2, 4, 3]);
    assert.deepEqual(slowStartBatches(15), [1, 2, 4, 8]);
  });

  test('pods come from the template with generateName and a controller reference', () => {
    const p = podFromTemplate(rs(1));
    assert.equal(p.metadata?.generateName, 'web-');
    assert.deepEqual(p.metadata?.labels, { app: 'web', tier: 'fe' });
    assert.deepEqual(p.metadata?.ownerReferences, [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-uid', controller: true, blockOwnerDeletion: true },
    ]);
    assert.deepEqual(p.spec, { containers: [{ name: 'c', image: 'nginx' }] });
  });
});

describe('planReplicaSet with expectations', () => {
  test('a resync before the cache catches up does not over-create', () => {
    const e = new Expectations({ now: () => NOW });
    const key = 'default/web';
    const r = rs(3);
    // What the driver does each sync: plan against the cache, then raise expectations for the creates.
    const sync = (pods: Pod[]): number => {
      const p = planReplicaSet({ rs: r, pods, expectationsSatisfied: e.satisfied(key), now: NOW });
      e.expectCreations(key, p.create);
      return p.create;
    };
    assert.equal(sync([]), 3);
    assert.equal(sync([]), 0, 'cache still empty, creates in flight');
    e.creationObserved(key);
    assert.equal(sync([pod('a')]), 0, 'two creates still in flight');
    e.creationObserved(key);
    e.creationObserved(key);
    assert.equal(sync([pod('a'), pod('b'), pod('c')]), 0);
    assert.equal(sync([pod('a'), pod('b')]), 1, 'a lost pod is replaced once the cache is trusted');
  });

  test('pending deletions hold back a scale-down resync', () => {
    const e = new Expectations({ now: () => NOW });
    const key = 'default/web';
    const pods = [pod('a'), pod('b'), pod('c')];
    const first = planReplicaSet({ rs: rs(1), pods, expectationsSatisfied: e.satisfied(key), now: NOW });
    assert.equal(first.delete.length, 2);
    e.expectDeletions(key, first.delete.map((p) => p.metadata?.uid ?? ''));
    const again = planReplicaSet({ rs: rs(1), pods, expectationsSatisfied: e.satisfied(key), now: NOW });
    assert.deepEqual(again.delete, []);
    for (const p of first.delete) e.deletionObserved(key, p.metadata?.uid ?? '');
    assert.equal(e.satisfied(key), true);
  });
});
