import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isScenarioName, planScenario, ScenarioError, SCENARIO_NAMES, type ClusterView } from './scenarios.js';

const view: ClusterView = {
  nodes: [
    { name: 'node-1', zone: 'zone-a', ready: true },
    { name: 'node-2', zone: 'zone-b', ready: true },
    { name: 'node-3', zone: 'zone-c', ready: true },
    { name: 'node-4', zone: 'zone-a', ready: true },
  ],
  targetPods: [
    { name: 'p1', node: 'node-1' },
    { name: 'p2', node: 'node-2' },
    { name: 'p3', node: 'node-2' },
    { name: 'p4', node: 'node-3' },
  ],
};

test('node-kill takes the node with the fewest target pods (last by name on a tie), and heals it by a restart', () => {
  const p = planScenario('node-kill', view, { pauseMs: 0 });
  assert.deepEqual(p.faultedNodes, ['node-3']);
  assert.deepEqual(p.inject, [{ action: 'kill', target: 'node-3' }]);
  assert.deepEqual(p.heal, [{ action: 'restart', target: 'node-3' }]);
  assert.equal(p.description, 'kill node node-3 (hosts p4) with its pods');
  assert.equal(p.healAfterMs, undefined);
});

test('zone-loss takes every node of the zone', () => {
  const p = planScenario('zone-loss', view, { pauseMs: 0, target: 'zone-a' });
  assert.deepEqual(p.faultedNodes, ['node-1', 'node-4']);
  assert.deepEqual(p.inject.map((s) => s.target), ['node-1', 'node-4']);
  assert.match(p.description, /^lose zone zone-a: kill nodes node-1, node-4 \(hosts p1\)/);
  // Without a choice: zone-c (one pod) before zone-a (one pod, but a tie goes to the last name).
  assert.deepEqual(planScenario('zone-loss', view, { pauseMs: 0 }).faultedNodes, ['node-3']);
});

test('zone-loss takes the zone\'s control-plane members down with its nodes and brings them all back', () => {
  const p = planScenario('zone-loss', { ...view, zoneMembers: new Map([['zone-a', ['etcd-0', 'apiserver-0']], ['zone-b', ['etcd-1']]]) }, { pauseMs: 0, target: 'zone-a' });
  assert.deepEqual(p.faultedNodes, ['node-1', 'node-4'], 'only nodes keep the clients away');
  assert.deepEqual(p.inject, ['node-1', 'node-4', 'etcd-0', 'apiserver-0'].map((target) => ({ action: 'kill', target })));
  assert.deepEqual(p.heal, ['node-1', 'node-4', 'etcd-0', 'apiserver-0'].map((target) => ({ action: 'restart', target })));
  assert.match(p.description, /^lose zone zone-a: kill nodes node-1, node-4 \(hosts p1\) with their pods, and etcd-0, apiserver-0$/);
});

test('the role scenarios act on aliases, resolved when the fault is made; a pause heals itself', () => {
  assert.deepEqual(planScenario('etcd-leader-kill', view, { pauseMs: 0 }).inject, [{ action: 'kill', target: 'etcd-leader' }]);
  assert.deepEqual(planScenario('controller-manager-kill', view, { pauseMs: 0 }).heal, [{ action: 'restart', target: 'controller-manager-active' }]);
  const pause = planScenario('etcd-member-pause', view, { pauseMs: 8_000, target: 'etcd-2' });
  assert.deepEqual(pause.inject, [{ action: 'stop', target: 'etcd-2' }]);
  assert.deepEqual(pause.heal, [{ action: 'cont', target: 'etcd-2' }]);
  assert.equal(pause.healAfterMs, 8_000);
  assert.deepEqual(pause.faultedNodes, []);
});

test('impossible plans are errors: unknown node, no node left for the clients, nothing worth killing', () => {
  assert.throws(() => planScenario('node-kill', view, { pauseMs: 0, target: 'node-9' }), /no node named "node-9" \(known: node-1, node-2, node-3, node-4\)/);
  const one: ClusterView = { nodes: [{ name: 'node-1', zone: 'a', ready: true }], targetPods: [{ name: 'p', node: 'node-1' }] };
  assert.throws(() => planScenario('node-kill', one, { pauseMs: 0, target: 'node-1' }), /no Ready node would be left/);
  assert.throws(() => planScenario('node-kill', one, { pauseMs: 0 }), (err: unknown) => err instanceof ScenarioError && /hosts a pod of the target Service and leaves a Ready node/.test(err.message));
});

test('when one zone holds every pod, zone-loss takes it and says the Service should go down', () => {
  const lopsided: ClusterView = { nodes: view.nodes, targetPods: [{ name: 'p1', node: 'node-2' }, { name: 'p2', node: 'node-2' }] };
  const p = planScenario('zone-loss', lopsided, { pauseMs: 0 });
  assert.deepEqual(p.faultedNodes, ['node-2']);
  assert.match(p.description, /hosts p1, p2: every pod of the target Service, so expect it to go down/);
});

test('scenario names', () => {
  assert.deepEqual(SCENARIO_NAMES, ['node-kill', 'etcd-leader-kill', 'etcd-member-pause', 'controller-manager-kill', 'zone-loss', 'kill', 'stop', 'pause', 'restart', 'partition']);
  assert.ok(isScenarioName('zone-loss'));
  assert.ok(!isScenarioName('toString'));
});

test('one-action scenarios act on --target; a node target keeps the clients off it', () => {
  const kill = planScenario('kill', view, { pauseMs: 0, target: 'apiserver-1' });
  assert.deepEqual([kill.inject, kill.heal, kill.faultedNodes], [[{ action: 'kill', target: 'apiserver-1' }], [{ action: 'restart', target: 'apiserver-1' }], []]);
  const stop = planScenario('stop', view, { pauseMs: 0, target: 'node-2' });
  assert.deepEqual([stop.inject, stop.heal, stop.faultedNodes], [[{ action: 'term', target: 'node-2' }], [{ action: 'restart', target: 'node-2' }], ['node-2']]);
  assert.equal(stop.description, 'stop node-2 with its pods (p2, p3) gracefully, start it again at the end');
  const pause = planScenario('pause', view, { pauseMs: 4_000, target: 'etcd-leader' });
  assert.deepEqual([pause.inject, pause.heal, pause.healAfterMs], [[{ action: 'stop', target: 'etcd-leader' }], [{ action: 'cont', target: 'etcd-leader' }], 4_000]);
  const restart = planScenario('restart', view, { pauseMs: 0, target: 'controller-manager-active' });
  assert.deepEqual([restart.inject, restart.heal], [[{ action: 'term', target: 'controller-manager-active' }, { action: 'restart', target: 'controller-manager-active' }], []]);
  const cut = planScenario('partition', view, { pauseMs: 0, target: 'node-3' });
  assert.deepEqual([cut.inject, cut.heal, cut.faultedNodes], [[{ action: 'partition', target: 'node-3' }], [{ action: 'unpartition', target: 'node-3' }], ['node-3']]);
  assert.throws(() => planScenario('kill', view, { pauseMs: 0 }), /scenario kill needs --target/);
  const one: ClusterView = { nodes: [{ name: 'node-1', zone: 'a', ready: true }], targetPods: [] };
  assert.throws(() => planScenario('partition', one, { pauseMs: 0, target: 'node-1' }), /no Ready node would be left/);
});
