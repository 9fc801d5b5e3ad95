import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Node, Pod, core } from '@kemu/api';
import { seededRandom } from '@kemu/common';
import { countLoads, needsScheduling, schedule, ZONE_LABEL, type PlacedPod } from './schedule.js';

function node(name: string, opts: { zone?: string; ready?: string; unschedulable?: boolean; taints?: core.Taint[]; labels?: Record<string, string> } = {}): Node {
  const labels: Record<string, string> = { 'kubernetes.io/hostname': name, ...opts.labels };
  if (opts.zone) labels[ZONE_LABEL] = opts.zone;
  return {
    metadata: { name, labels },
    spec: { unschedulable: opts.unschedulable ?? false, taints: opts.taints ?? [] },
    status: { conditions: [{ type: 'Ready', status: opts.ready ?? 'True' }] },
  };
}

let uidSeq = 0;
function pod(name: string, opts: { owner?: string; labels?: Record<string, string>; tolerations?: core.Toleration[]; nodeSelector?: Record<string, string> } = {}): Pod {
  return {
    metadata: {
      name,
      namespace: 'default',
      uid: `pod-${++uidSeq}`,
      labels: opts.labels ?? { app: 'web' },
      ownerReferences: opts.owner ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: opts.owner, uid: opts.owner, controller: true }] : [],
    },
    spec: { containers: [{ name: 'c', image: 'x' }], tolerations: opts.tolerations ?? [], nodeSelector: opts.nodeSelector ?? {} },
  };
}

/** Schedules `pods` one after another, each seeing the earlier ones as placed (as the driver's assumed bindings do). */
function scheduleBurst(pods: Pod[], nodes: Node[], random: () => number, existing: PlacedPod[] = []): Map<string, number> {
  const placed = [...existing];
  for (const p of pods) {
    const r = schedule(p, nodes, countLoads(p, placed), random);
    assert.equal(r.kind, 'scheduled');
    if (r.kind === 'scheduled') placed.push({ pod: p, nodeName: r.node });
  }
  const counts = new Map<string, number>();
  for (const { pod: p, nodeName } of placed) if (pods.includes(p)) counts.set(nodeName, (counts.get(nodeName) ?? 0) + 1);
  return counts;
}

const sorted = (m: Map<string, number>): number[] => [...m.values()].sort((a, b) => b - a);

describe('schedule: spreading', () => {
  test('3 replicas over 3 nodes in 3 zones land one per zone, whatever the seed', () => {
    const nodes = [node('a', { zone: 'z1' }), node('b', { zone: 'z2' }), node('c', { zone: 'z3' })];
    for (let seed = 1; seed <= 20; seed++) {
      const counts = scheduleBurst([pod('p1', { owner: 'rs1' }), pod('p2', { owner: 'rs1' }), pod('p3', { owner: 'rs1' })], nodes, seededRandom(seed));
      assert.deepEqual(sorted(counts), [1, 1, 1], `seed ${seed}`);
      assert.equal(counts.size, 3);
    }
  });

  test('a burst of 5 replicas over 3 nodes splits 2/2/1', () => {
    const nodes = [node('a', { zone: 'z1' }), node('b', { zone: 'z2' }), node('c', { zone: 'z3' })];
    for (let seed = 1; seed <= 20; seed++) {
      const pods = [1, 2, 3, 4, 5].map((i) => pod(`p${i}`, { owner: 'rs1' }));
      assert.deepEqual(sorted(scheduleBurst(pods, nodes, seededRandom(seed))), [2, 2, 1], `seed ${seed}`);
    }
  });

  test('zones come before nodes: 4 replicas over zone z1 (2 nodes) and z2 (1 node) split 2/2 by zone', () => {
    const nodes = [node('a1', { zone: 'z1' }), node('a2', { zone: 'z1' }), node('b1', { zone: 'z2' })];
    const pods = [1, 2, 3, 4].map((i) => pod(`p${i}`, { owner: 'rs1' }));
    const counts = scheduleBurst(pods, nodes, seededRandom(7));
    assert.equal(counts.get('b1'), 2);
    assert.equal((counts.get('a1') ?? 0) + (counts.get('a2') ?? 0), 2);
    assert.equal(counts.get('a1'), 1);
  });

  test("other owners' pods do not count as spreading but do count as load", () => {
    const nodes = [node('a'), node('b')];
    const other = [pod('o1', { owner: 'rs2' }), pod('o2', { owner: 'rs2' })].map((p) => ({ pod: p, nodeName: 'a' }));
    const mine = [pod('m1', { owner: 'rs1' }), pod('m2', { owner: 'rs1' })].map((p) => ({ pod: p, nodeName: 'b' }));
    const p = pod('new', { owner: 'rs1' });
    // Owner spreading prefers a (0 of rs1) over b (2 of rs1) even though a has more pods.
    assert.deepEqual(schedule(p, nodes, countLoads(p, [...other, ...mine]), () => 0), { kind: 'scheduled', node: 'a' });
    // With no owner pods anywhere, the emptier node wins.
    const q = pod('new2', { owner: 'rs3' });
    assert.deepEqual(schedule(q, nodes, countLoads(q, [...other, mine[0]!]), () => 0), { kind: 'scheduled', node: 'b' });
  });

  test('pods without a controller spread with pods carrying the same labels', () => {
    const nodes = [node('a'), node('b')];
    const placed = [{ pod: pod('x1', { labels: { app: 'x' } }), nodeName: 'a' }, { pod: pod('y1', { labels: { app: 'y' } }), nodeName: 'b' }, { pod: pod('y2', { labels: { app: 'y' } }), nodeName: 'b' }];
    const p = pod('x2', { labels: { app: 'x' } });
    const loads = countLoads(p, placed);
    assert.deepEqual(loads.get('a'), { pods: 1, ownerPods: 1 });
    assert.deepEqual(loads.get('b'), { pods: 2, ownerPods: 0 });
    assert.deepEqual(schedule(p, nodes, loads, () => 0), { kind: 'scheduled', node: 'b' });
  });

  test('terminal pods are not load; terminating pods are load but not spreading', () => {
    const done = pod('done', { owner: 'rs1' });
    done.status = { phase: 'Succeeded' };
    const leaving = pod('leaving', { owner: 'rs1' });
    leaving.metadata!.deletionTimestamp = '2024-01-01T00:00:00Z';
    const p = pod('new', { owner: 'rs1' });
    const loads = countLoads(p, [{ pod: done, nodeName: 'a' }, { pod: leaving, nodeName: 'a' }, { pod: p, nodeName: 'a' }]);
    assert.deepEqual(loads.get('a'), { pods: 1, ownerPods: 0 });
  });

  test('ties are broken by the injected random source over nodes sorted by name', () => {
    const nodes = [node('c'), node('a'), node('b')];
    const p = pod('p', { owner: 'rs1' });
    assert.deepEqual(schedule(p, nodes, new Map(), () => 0), { kind: 'scheduled', node: 'a' });
    assert.deepEqual(schedule(p, nodes, new Map(), () => 0.5), { kind: 'scheduled', node: 'b' });
    assert.deepEqual(schedule(p, nodes, new Map(), () => 0.99), { kind: 'scheduled', node: 'c' });
  });
});

describe('schedule: feasibility and unschedulable messages', () => {
  test('the FitError message counts reasons, sorted', () => {
    const nodes = [
      node('a', { ready: 'Unknown', taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] }),
      node('b', { unschedulable: true }),
      node('c', { unschedulable: true }),
    ];
    assert.deepEqual(schedule(pod('p'), nodes, new Map(), () => 0), {
      kind: 'unschedulable',
      message: '0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 2 node(s) were unschedulable.',
    });
  });

  test('not-ready nodes, selectors and tainted values are reported', () => {
    const nodes = [
      node('a', { ready: 'False', labels: { disk: 'ssd' } }),
      node('b', { labels: { disk: 'hdd' } }),
      node('c', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
    ];
    const r = schedule(pod('p', { nodeSelector: { disk: 'ssd' } }), nodes, new Map(), () => 0);
    assert.deepEqual(r, {
      kind: 'unschedulable',
      message:
        "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) were not ready.",
    });
  });

  test('no nodes at all', () => {
    assert.deepEqual(schedule(pod('p'), [], new Map(), () => 0), { kind: 'unschedulable', message: 'no nodes available to schedule pods' });
  });

  test('only feasible nodes are chosen, even when they are busier', () => {
    const nodes = [node('a', { unschedulable: true }), node('b')];
    const placed = [1, 2, 3].map((i) => ({ pod: pod(`x${i}`, { owner: 'rs1' }), nodeName: 'b' }));
    const p = pod('p', { owner: 'rs1' });
    assert.deepEqual(schedule(p, nodes, countLoads(p, placed), () => 0), { kind: 'scheduled', node: 'b' });
  });

  test('a pod tolerating the unschedulable taint may use a cordoned node', () => {
    const nodes = [node('a', { unschedulable: true })];
    const p = pod('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] });
    assert.deepEqual(schedule(p, nodes, new Map(), () => 0), { kind: 'scheduled', node: 'a' });
  });

  test('PreferNoSchedule taints do not filter', () => {
    const nodes = [node('a', { taints: [{ key: 'k', value: 'v', effect: 'PreferNoSchedule' }] })];
    assert.equal(schedule(pod('p'), nodes, new Map(), () => 0).kind, 'scheduled');
  });
});

describe('needsScheduling', () => {
  test('only unbound, live pods for the default scheduler', () => {
    const p = pod('p');
    assert.equal(needsScheduling(p), true);
    assert.equal(needsScheduling({ ...p, spec: { ...p.spec, schedulerName: 'default-scheduler' } }), true);
    assert.equal(needsScheduling({ ...p, spec: { ...p.spec, schedulerName: 'other' } }), false);
    assert.equal(needsScheduling({ ...p, spec: { ...p.spec, nodeName: 'a' } }), false);
    assert.equal(needsScheduling({ ...p, metadata: { ...p.metadata, deletionTimestamp: '2024-01-01T00:00:00Z' } }), false);
  });
});
