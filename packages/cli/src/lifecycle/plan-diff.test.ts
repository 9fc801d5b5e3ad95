import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePlan } from '../plan.js';
import { planDifferences } from './plan-diff.js';

const saved = makePlan({ block: '127.62', nodes: 3, zones: 3, apiservers: 1, profile: 'default' });

test('nothing given, or the same values given: no difference', () => {
  assert.deepEqual(planDifferences(saved, {}), []);
  assert.deepEqual(planDifferences(saved, { block: '127.62', nodes: 3, zones: 3, apiservers: 1, profile: 'default' }), []);
  // More zones than nodes puts the nodes in the same zones as three zones does.
  assert.deepEqual(planDifferences(saved, { zones: 5 }), []);
});

test('each differing flag is named with what the saved cluster has', () => {
  const lines = planDifferences(saved, { block: '127.64', nodes: 5, zones: 1, apiservers: 2, profile: 'fast-recovery', etcdIpPrefix: '127.9.1' });
  assert.deepEqual(lines, [
    '--address-block 127.64 ignored: the cluster uses 127.62',
    '--etcd-ip-prefix 127.9.1 ignored: the members are on 127.62.1.1-3',
    '--nodes 5 ignored: the cluster has 3',
    '--zones 1 ignored: the nodes are in zone-a, zone-b, zone-c',
    '--apiservers 2 ignored: the cluster has 1',
    '--profile fast-recovery ignored: the cluster runs default',
  ]);
});
