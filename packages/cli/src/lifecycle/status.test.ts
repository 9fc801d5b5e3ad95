import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from '@kemu/api';
import { makePlan } from '../plan.js';
import { formatStatus, statusRows, type ClusterFacts, type ProcessFacts } from './status.js';
import { formatTable } from '../table.js';

const plan = makePlan({ block: '127.62' });

const node = (name: string, ready: string, zone: string): Node => ({
  metadata: { name, labels: { 'topology.kubernetes.io/zone': zone } },
  status: { conditions: [{ type: 'Ready', status: ready }] },
});

function facts(over: Partial<ClusterFacts> = {}): ClusterFacts {
  const processes: ProcessFacts[] = ['etcd-0', 'etcd-1', 'etcd-2', 'apiserver', 'controller-manager-0', 'controller-manager-1', 'dns-0', 'node-1', 'node-2', 'node-3'].map(
    (name, i) => ({ name, pid: 100 + i, health: { kind: 'ready' } }),
  );
  return {
    plan,
    processes,
    etcd: [
      { endpoint: '127.62.1.1:2379', leader: false, term: 4n },
      { endpoint: '127.62.1.2:2379', leader: true, term: 4n },
      { endpoint: '127.62.1.3:2379', leader: false, term: 4n },
    ],
    controllerManagers: new Map([
      ['controller-manager-0', false],
      ['controller-manager-1', true],
    ]),
    leaseHolder: 'host_abc',
    nodes: { items: [node('node-1', 'True', 'zone-a'), node('node-2', 'False', 'zone-b'), node('node-3', 'Unknown', 'zone-c')] },
    ...over,
  };
}

test('a healthy cluster: one row per process with its role', () => {
  const rows = statusRows(facts());
  assert.deepEqual(rows, [
    ['etcd-0', '100', 'ready', 'follower, term 4'],
    ['etcd-1', '101', 'ready', 'leader, term 4'],
    ['etcd-2', '102', 'ready', 'follower, term 4'],
    ['apiserver', '103', 'ready', 'gRPC 127.62.2.1:6443'],
    ['controller-manager-0', '104', 'ready', 'standby'],
    ['controller-manager-1', '105', 'ready', 'active'],
    ['dns-0', '106', 'ready', 'DNS 127.62.4.1:1053'],
    ['node-1', '107', 'ready', 'Ready, zone-a, 127.62.10.1'],
    ['node-2', '108', 'ready', 'NotReady, zone-b, 127.62.10.2'],
    ['node-3', '109', 'ready', 'Unknown, zone-c, 127.62.10.3'],
  ]);
  assert.match(formatStatus(facts()), /^PROCESS {16}PID {3}HEALTH {3}ROLE$/m);
  assert.match(formatStatus(facts()), /Lease kube-system\/kube-controller-manager: held by host_abc$/m);
});

test('killed, paused and never started processes; no leader; no apiserver', () => {
  const f = facts({
    etcd: [
      { endpoint: '127.62.1.1:2379', leader: false, term: 5n },
      { endpoint: '127.62.1.2:2379', error: 'connect ECONNREFUSED' },
      { endpoint: '127.62.1.3:2379', leader: false, term: 5n },
    ],
    nodes: { error: 'cannot reach the apiserver at 127.62.2.1:6443: connect ECONNREFUSED' },
    leaseHolder: undefined,
  });
  f.processes = f.processes
    .filter((p) => p.name !== 'node-3')
    .map((p): ProcessFacts => {
      if (p.name === 'etcd-1') return { ...p, health: { kind: 'exited' } };
      if (p.name === 'controller-manager-1') return { ...p, health: { kind: 'no-answer' } };
      if (p.name === 'apiserver') return { ...p, health: { kind: 'not-ready', failing: ['etcd'] } };
      return p;
    });
  f.controllerManagers.delete('controller-manager-1');
  const rows = new Map(statusRows(f).map((r) => [r[0], r.slice(1)]));
  assert.deepEqual(rows.get('etcd-1'), ['-', 'exited', 'member 127.62.1.2:2379']);
  assert.deepEqual(rows.get('apiserver'), ['103', 'not ready (etcd)', 'gRPC 127.62.2.1:6443']);
  assert.deepEqual(rows.get('controller-manager-1'), ['105', 'no answer', '-']);
  assert.deepEqual(rows.get('node-1'), ['107', 'ready', '?, zone-a, 127.62.10.1']);
  assert.deepEqual(rows.get('node-3'), ['-', 'stopped', '?, zone-c, 127.62.10.3']);
  const text = formatStatus(f);
  assert.match(text, /node Ready conditions unknown: cannot reach the apiserver at 127\.62\.2\.1:6443/);
  assert.match(text, /etcd: no member is leader/);
});

test('tables pad every column to its widest cell', () => {
  assert.equal(formatTable(['A', 'BB'], [['xyz', '1'], ['q']]).join('\n'), 'A     BB\nxyz   1\nq');
});
