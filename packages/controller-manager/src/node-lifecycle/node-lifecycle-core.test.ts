import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Lease, Node, Pod, core } from '@kemu/api';
import type { NodeLifecycleSettings } from '../controller.js';
import { NodeLifecycleCore, type NodeLifecycleResult } from './node-lifecycle-core.js';
import { swapTaints } from './taints.js';

const T0 = Date.parse('2025-01-01T00:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const SETTINGS: NodeLifecycleSettings = {
  gracePeriodMs: 40_000,
  evictionTimeoutMs: 300_000,
  evictionRate: 0.1,
  secondaryEvictionRate: 0.01,
  unhealthyZoneThreshold: 0.55,
};

/**
 * A small cluster the core runs against; `step` applies the core's actions the way the
 * apiserver would, so a test reads as a timeline.
 */
class Cluster {
  nodes = new Map<string, Node>();
  leases = new Map<string, Lease>();
  pods = new Map<string, Pod>();
  /** Nodes whose agent keeps renewing the lease (at every reconcile). */
  alive = new Set<string>();
  readonly core: NodeLifecycleCore;

  constructor(settings: NodeLifecycleSettings = SETTINGS) {
    this.core = new NodeLifecycleCore(settings);
  }

  addNode(name: string, opts: { zone?: string; alive?: boolean; extraConditions?: core.NodeCondition[] } = {}): void {
    const at = T0;
    if (opts.alive) this.alive.add(name);
    this.nodes.set(name, {
      metadata: { name, uid: `uid-${name}`, creationTimestamp: iso(at), labels: opts.zone ? { 'topology.kubernetes.io/zone': opts.zone } : {} },
      spec: {},
      status: {
        conditions: [
          { type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: iso(at), lastTransitionTime: iso(at) },
          ...(opts.extraConditions ?? []),
        ],
      },
    });
    this.renew(name, at);
  }

  renew(name: string, at: number): void {
    this.leases.set(name, {
      metadata: { name, namespace: 'kube-node-lease' },
      spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: iso(at) },
    });
  }

  /** The node agent posts Ready=<status> with a fresh heartbeat. */
  post(name: string, status: 'True' | 'False', at: number): void {
    const node = this.node(name);
    const conditions = (node.status?.conditions ?? []).map((c) =>
      c.type === 'Ready'
        ? { ...c, status, lastHeartbeatTime: iso(at), ...(c.status !== status ? { lastTransitionTime: iso(at) } : {}) }
        : c,
    );
    this.nodes.set(name, { ...node, status: { ...node.status, conditions } });
    this.renew(name, at);
  }

  addPod(name: string, nodeName: string, tolerations?: core.Toleration[]): void {
    this.pods.set(name, {
      metadata: { name, namespace: 'default', uid: `uid-${name}` },
      spec: { nodeName, ...(tolerations ? { tolerations } : {}) },
      status: {
        phase: 'Running',
        conditions: [
          { type: 'Ready', status: 'True' },
          { type: 'ContainersReady', status: 'True' },
          { type: 'PodScheduled', status: 'True' },
        ],
      },
    });
  }

  node(name: string): Node {
    const n = this.nodes.get(name);
    assert.ok(n, `no node ${name}`);
    return n;
  }

  pod(name: string): Pod {
    const p = this.pods.get(name);
    assert.ok(p, `no pod ${name}`);
    return p;
  }

  /**
   * Reconciles at `now` and applies the actions. (Not idempotent: the core spends its
   * zones' tokens on the NoExecute taints it returns, as a real controller does.)
   */
  step(now: number): NodeLifecycleResult {
    for (const n of this.alive) this.renew(n, now);
    const result = this.core.reconcile({ nodes: [...this.nodes.values()], leases: [...this.leases.values()], pods: [...this.pods.values()] }, now);
    for (const a of result.actions) {
      switch (a.kind) {
        case 'set-node-status-unknown':
          this.nodes.set(a.node.metadata?.name ?? '', a.node);
          break;
        case 'swap-node-taints': {
          const n = this.node(a.nodeName);
          this.nodes.set(a.nodeName, { ...n, spec: { ...n.spec, taints: swapTaints(n.spec?.taints, a.add, a.remove) } });
          break;
        }
        case 'mark-pod-not-ready':
          this.pods.set(a.pod.metadata?.name ?? '', a.pod);
          break;
        case 'evict-pod': {
          const p = this.pod(a.name);
          this.pods.set(a.name, { ...p, metadata: { ...p.metadata, deletionTimestamp: iso(now) } });
          break;
        }
      }
    }
    return result;
  }
}

const ready = (n: Node): string | undefined => n.status?.conditions?.find((c) => c.type === 'Ready')?.status;
const taintsOf = (n: Node): string[] => (n.spec?.taints ?? []).map((t) => `${t.key ?? ''}:${t.effect ?? ''}`).sort();
const podReady = (p: Pod): string[] =>
  (p.status?.conditions ?? []).filter((c) => c.type === 'Ready' || c.type === 'ContainersReady').map((c) => `${c.type ?? ''}=${c.status ?? ''}`);
const evicted = ({ actions }: NodeLifecycleResult): string[] =>
  actions.flatMap((a) => (a.kind === 'evict-pod' ? [a.name] : [])).sort();
const tainted = ({ actions }: NodeLifecycleResult): string[] =>
  actions.flatMap((a) => (a.kind === 'swap-node-taints' && a.add.some((t) => t.effect === 'NoExecute') ? [a.nodeName] : [])).sort();

describe('node health', () => {
  test('a node whose lease stops is Ready=Unknown just after the grace period, not before', () => {
    const c = new Cluster();
    c.addNode('n1', {
      extraConditions: [
        { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: iso(T0) },
        { type: 'NetworkUnavailable', status: 'False', lastHeartbeatTime: iso(T0) },
      ],
    });
    assert.deepEqual(c.step(T0 + 40_000).actions, [], 'exactly at the grace period the node is still trusted');
    assert.equal(ready(c.node('n1')), 'True');

    const { actions } = c.step(T0 + 40_001);
    assert.equal(actions[0]?.kind, 'set-node-status-unknown');
    const conds = c.node('n1').status?.conditions ?? [];
    const readyCond = conds.find((x) => x.type === 'Ready');
    assert.equal(readyCond?.status, 'Unknown');
    assert.equal(readyCond?.reason, 'NodeStatusUnknown');
    assert.equal(readyCond?.message, 'Kubelet stopped posting node status.');
    assert.equal(readyCond?.lastHeartbeatTime, iso(T0), 'the last heartbeat stays visible');
    assert.equal(readyCond?.lastTransitionTime, iso(T0 + 40_001));
    assert.equal(conds.find((x) => x.type === 'MemoryPressure')?.status, 'Unknown');
    assert.equal(conds.find((x) => x.type === 'NetworkUnavailable')?.status, 'False', 'control-plane conditions are left alone');

    assert.ok(!c.step(T0 + 50_000).actions.some((a) => a.kind === 'set-node-status-unknown'), 'Unknown is written once');
  });

  test('a renewed lease or a fresh status heartbeat keeps the node Ready', () => {
    const c = new Cluster();
    c.addNode('lease-only');
    c.addNode('status-only');
    c.renew('lease-only', T0 + 30_000);
    const n = c.node('status-only');
    c.nodes.set('status-only', {
      ...n,
      status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: iso(T0 + 30_000), lastTransitionTime: iso(T0) }] },
    });
    const result = c.step(T0 + 60_000);
    assert.deepEqual(result.actions, []);
    assert.equal(result.wakeAt, T0 + 70_001, 'wakes when the freshest heartbeat runs out');
  });

  test('a node that never posted a Ready condition gets one, Unknown, after the grace period from its creation', () => {
    const c = new Cluster();
    c.nodes.set('new', { metadata: { name: 'new', creationTimestamp: iso(T0) }, spec: {}, status: {} });
    assert.deepEqual(c.step(T0 + 10_000).actions, []);
    c.step(T0 + 40_001);
    const cond = c.node('new').status?.conditions?.find((x) => x.type === 'Ready');
    assert.equal(cond?.status, 'Unknown');
    assert.equal(cond?.reason, 'NodeStatusNeverUpdated');
  });
});

describe('taints', () => {
  test('an unreachable node is tainted unreachable NoSchedule and NoExecute (with timeAdded)', () => {
    const c = new Cluster();
    c.addNode('n1');
    c.addNode('h', { alive: true });
    c.step(T0 + 41_000);
    assert.deepEqual(taintsOf(c.node('n1')), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    const ne = c.node('n1').spec?.taints?.find((t) => t.effect === 'NoExecute');
    assert.equal(ne?.timeAdded, iso(T0 + 41_000));
  });

  test('a node its agent reports Ready=False is tainted not-ready', () => {
    const c = new Cluster();
    c.addNode('n1');
    c.addNode('h', { alive: true });
    c.post('n1', 'False', T0 + 5_000);
    c.step(T0 + 5_000);
    assert.deepEqual(taintsOf(c.node('n1')), ['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/not-ready:NoSchedule']);
  });

  test('unreachable turning into not-ready swaps the taint at once and keeps its clock', () => {
    const c = new Cluster();
    c.addNode('n1');
    c.addNode('n2');
    c.addNode('h', { alive: true });
    c.step(T0 + 41_000);
    assert.ok(taintsOf(c.node('n1')).includes('node.kubernetes.io/unreachable:NoExecute'));
    assert.ok(!taintsOf(c.node('n2')).includes('node.kubernetes.io/unreachable:NoExecute'), 'n2 waits for the next token');
    c.post('n1', 'False', T0 + 42_000);
    c.step(T0 + 42_000);
    assert.deepEqual(taintsOf(c.node('n1')), ['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/not-ready:NoSchedule']);
    assert.equal(c.node('n1').spec?.taints?.find((t) => t.effect === 'NoExecute')?.timeAdded, iso(T0 + 41_000));
    assert.ok(!taintsOf(c.node('n2')).includes('node.kubernetes.io/unreachable:NoExecute'), 'the swap spent no token');
    assert.deepEqual(tainted(c.step(T0 + 51_000)), ['n2']);
  });

  test('a node Ready again loses every taint the controller put on it, and no other', () => {
    const c = new Cluster();
    c.addNode('n1');
    c.addNode('h', { alive: true });
    const n = c.node('n1');
    c.nodes.set('n1', { ...n, spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] } });
    c.step(T0 + 41_000);
    assert.equal(taintsOf(c.node('n1')).length, 3);
    c.post('n1', 'True', T0 + 50_000);
    c.step(T0 + 50_000);
    assert.deepEqual(taintsOf(c.node('n1')), ['dedicated:NoSchedule']);
  });

  test('spec.unschedulable gets the unschedulable NoSchedule taint', () => {
    const c = new Cluster();
    c.addNode('n1');
    const n = c.node('n1');
    c.nodes.set('n1', { ...n, spec: { unschedulable: true } });
    c.step(T0 + 1_000);
    assert.deepEqual(taintsOf(c.node('n1')), ['node.kubernetes.io/unschedulable:NoSchedule']);
  });
});

describe('pods', () => {
  test('pods on a node that became Ready=Unknown are marked not ready, once', () => {
    const c = new Cluster();
    c.addNode('n1');
    c.addNode('n2');
    c.addPod('a', 'n1');
    c.addPod('b', 'n2');
    c.renew('n2', T0 + 40_000);
    c.step(T0 + 41_000);
    assert.deepEqual(podReady(c.pod('a')), ['Ready=False', 'ContainersReady=False']);
    assert.deepEqual(podReady(c.pod('b')), ['Ready=True', 'ContainersReady=True'], 'pods on a Ready node are untouched');
    assert.equal(c.pod('a').status?.conditions?.find((x) => x.type === 'PodScheduled')?.status, 'True');
    assert.ok(!c.step(T0 + 42_000).actions.some((a) => a.kind === 'mark-pod-not-ready'));
  });

  test('pods are evicted when the eviction timeout has run since the NoExecute taint, not before', () => {
    const c = new Cluster();
    c.addNode('n1');
    c.addNode('h', { alive: true });
    c.addPod('plain', 'n1');
    c.addPod('short', 'n1', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }]);
    c.addPod('forever', 'n1', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }]);
    c.addPod('anything', 'n1', [{ operator: 'Exists' }]);
    const tainted = T0 + 41_000;
    assert.deepEqual(evicted(c.step(tainted)), []);

    assert.equal(c.step(tainted + 29_999).wakeAt, tainted + 30_000);
    assert.deepEqual(evicted(c.step(tainted + 30_000)), ['short']);
    const before = c.step(tainted + 299_999);
    assert.deepEqual(evicted(before), []);
    assert.equal(before.wakeAt, tainted + 300_000);
    assert.deepEqual(evicted(c.step(tainted + 300_000)), ['plain']);
    assert.deepEqual(evicted(c.step(tainted + 3_600_000)), [], 'terminating pods and pods tolerating forever stay');
  });

  test('a toleration for the other taint does not protect a pod', () => {
    const c = new Cluster();
    c.addNode('n1');
    c.addNode('h', { alive: true });
    c.addPod('p', 'n1', [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }]);
    c.step(T0 + 41_000);
    assert.deepEqual(evicted(c.step(T0 + 41_000 + 300_000)), ['p']);
  });

  test('a node that recovers before the timeout keeps its pods', () => {
    const c = new Cluster();
    c.addNode('n1');
    c.addNode('h', { alive: true });
    c.addPod('p', 'n1');
    c.step(T0 + 41_000);
    assert.ok(taintsOf(c.node('n1')).includes('node.kubernetes.io/unreachable:NoExecute'));
    c.post('n1', 'True', T0 + 100_000);
    c.step(T0 + 100_000);
    assert.deepEqual(evicted(c.step(T0 + 1_000_000)), []);
  });
});

describe('eviction rate limiting per zone', () => {
  test('a healthy zone taints one node per 1/evictionRate seconds; zones have their own buckets', () => {
    const c = new Cluster();
    for (let i = 0; i < 6; i++) c.addNode(`a${i}`, { zone: 'a' });
    for (let i = 0; i < 3; i++) c.addNode(`b${i}`, { zone: 'b' });
    const t = T0 + 41_000;
    for (const n of ['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'b0', 'b1', 'b2']) if (n !== 'a0' && n !== 'a1' && n !== 'b0') c.renew(n, t);
    const r = c.step(t);
    assert.deepEqual(r.zones.map((z) => [z.zone, z.state, z.notReady]), [['a', 'Normal', 2], ['b', 'Normal', 1]]);
    assert.deepEqual(
      [...c.nodes.values()].filter((n) => taintsOf(n).includes('node.kubernetes.io/unreachable:NoExecute')).map((n) => n.metadata?.name),
      ['a0', 'b0'],
    );
    assert.equal(c.step(t + 1).wakeAt, t + 10_000, 'the next token in zone a comes after 10 s');
    assert.deepEqual(tainted(c.step(t + 9_999)), []);
    assert.deepEqual(tainted(c.step(t + 10_000)), ['a1']);
  });

  test('a partially disrupted zone taints at the secondary rate', () => {
    const c = new Cluster();
    for (let i = 0; i < 3; i++) c.addNode(`n${i}`);
    c.addNode('n3', { alive: true });
    const t = T0 + 41_000;
    const r = c.step(t);
    assert.deepEqual(r.zones.map((z) => [z.state, z.rate]), [['PartialDisruption', 0.01]]);
    assert.deepEqual(tainted(r), ['n0']);
    assert.deepEqual(tainted(c.step(t + 10_000)), [], 'not at the healthy rate');
    assert.deepEqual(tainted(c.step(t + 99_999)), []);
    assert.deepEqual(tainted(c.step(t + 100_000)), ['n1']);
  });

  test('three of four nodes is partial disruption; two of three is not (more than 2 needed)', () => {
    const c = new Cluster();
    for (let i = 0; i < 3; i++) c.addNode(`n${i}`);
    c.renew('n2', T0 + 41_000);
    assert.equal(c.step(T0 + 41_000).zones[0]?.state, 'Normal');
  });

  test('a fully disrupted zone evicts at the normal rate while another zone is healthy', () => {
    const c = new Cluster();
    c.addNode('a0', { zone: 'a' });
    c.addNode('a1', { zone: 'a' });
    c.addNode('b0', { zone: 'b', alive: true });
    c.addPod('p', 'a0');
    const t = T0 + 41_000;
    const r = c.step(t);
    assert.deepEqual(r.zones.map((z) => [z.zone, z.state, z.rate]), [['a', 'FullDisruption', 0.1], ['b', 'Normal', 0.1]]);
    assert.equal(r.allZonesFullyDisrupted, false);
    assert.deepEqual(tainted(r), ['a0']);
    assert.deepEqual(tainted(c.step(t + 10_000)), ['a1']);
    assert.deepEqual(evicted(c.step(t + 300_000)), ['p']);
  });

  test('when every zone is fully disrupted nothing is evicted, and eviction taints are lifted', () => {
    const c = new Cluster();
    c.addNode('a0', { zone: 'a' });
    c.addNode('b0', { zone: 'b' });
    c.addPod('p', 'a0');
    c.renew('b0', T0 + 41_000);
    c.step(T0 + 41_000);
    assert.ok(taintsOf(c.node('a0')).includes('node.kubernetes.io/unreachable:NoExecute'));

    // Then zone b goes silent too: the control plane is the likely one cut off.
    const r = c.step(T0 + 82_000);
    assert.equal(r.allZonesFullyDisrupted, true);
    assert.deepEqual(r.zones.map((z) => z.rate), [0, 0]);
    for (const n of ['a0', 'b0']) {
      assert.deepEqual(taintsOf(c.node(n)), ['node.kubernetes.io/unreachable:NoSchedule'], `${n} keeps only NoSchedule`);
    }
    assert.deepEqual(podReady(c.pod('p')), ['Ready=False', 'ContainersReady=False'], 'pods still leave endpoints');
    assert.deepEqual(evicted(c.step(T0 + 3_600_000)), []);

    // One node comes back: evictions resume through the token buckets (which start empty,
    // so the first waits one token's time), and the pods' clock starts again.
    const back = T0 + 3_600_000;
    c.post('b0', 'True', back);
    c.alive.add('b0');
    assert.deepEqual(tainted(c.step(back)), []);
    assert.deepEqual(tainted(c.step(back + 10_000)), ['a0']);
    assert.deepEqual(evicted(c.step(back + 10_000 + 299_999)), []);
    assert.deepEqual(evicted(c.step(back + 10_000 + 300_000)), ['p']);
  });
});
