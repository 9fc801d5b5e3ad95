import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration } from '@kemu/common';
import { loadConfig } from '@kemu/common';
import { nodeAgentOptions, resolveConfig } from '@kemu/node-agent';
import { PROFILES } from '../plan.js';
import { controllerManagerProfileArgs, describeProfiles, nodeAgentProfileArgs, PROFILE_TIMINGS } from './profiles.js';

const ms = (d: string): number => parseDuration(d, 'test');

test('every profile of the plan has timings, and they keep their invariants', () => {
  assert.deepEqual(Object.keys(PROFILE_TIMINGS).sort(), [...PROFILES].sort());
  for (const name of PROFILES) {
    const t = PROFILE_TIMINGS[name];
    const cm = t.controllerManager;
    assert.ok(ms(cm.nodeMonitorGracePeriod) >= 3 * ms(t.node.leaseRenewInterval), `${name}: at least three renewals per grace period`);
    assert.ok(ms(cm.leaderElectLeaseDuration) > ms(cm.leaderElectRenewDeadline), `${name}: lease > renew deadline`);
    assert.ok(ms(cm.leaderElectRenewDeadline) > 1.2 * ms(cm.leaderElectRetryPeriod), `${name}: renew deadline > 1.2 retry`);
    assert.ok(t.etcd.electionMs >= 5 * t.etcd.heartbeatMs, `${name}: election timeout >= 5 heartbeats`);
    assert.ok(ms(cm.podEvictionTimeout) > 0);
  }
});

test("stable-network is Kubernetes' defaults; fast-recovery is faster than default, which is faster than stable-network", () => {
  const grace = (p: keyof typeof PROFILE_TIMINGS): number => ms(PROFILE_TIMINGS[p].controllerManager.nodeMonitorGracePeriod);
  const evict = (p: keyof typeof PROFILE_TIMINGS): number => ms(PROFILE_TIMINGS[p].controllerManager.podEvictionTimeout);
  assert.equal(grace('stable-network'), 40_000);
  assert.equal(evict('stable-network'), 300_000);
  assert.equal(PROFILE_TIMINGS['stable-network'].node.leaseDuration, '40s');
  assert.ok(grace('fast-recovery') < grace('default') && grace('default') < grace('stable-network'));
  assert.ok(evict('fast-recovery') < evict('default') && evict('default') < evict('stable-network'));
  assert.ok(PROFILE_TIMINGS['unreliable-network'].etcd.electionMs > PROFILE_TIMINGS.default.etcd.electionMs);
  assert.ok(grace('unreliable-network') > grace('stable-network'));
});

test('the node agent accepts the flags of every profile', () => {
  for (const name of PROFILES) {
    const flags = loadConfig(nodeAgentOptions, ['--node-name', 'n', '--node-ip', '127.0.10.1', '--pod-cidr', '127.244.1.0/24', ...nodeAgentProfileArgs(name)], {});
    const config = resolveConfig(flags, () => '');
    assert.equal(config.leaseDurationSeconds * 1000, ms(PROFILE_TIMINGS[name].node.leaseDuration));
    assert.equal(config.leaseRenewIntervalMs, ms(PROFILE_TIMINGS[name].node.leaseRenewInterval));
  }
});

test('controller-manager flags come in flag/value pairs and the help names every profile', () => {
  const args = controllerManagerProfileArgs('fast-recovery');
  assert.equal(args.length % 2, 0);
  assert.deepEqual(args.slice(0, 4), ['--node-monitor-grace-period', '8s', '--pod-eviction-timeout', '15s']);
  const help = describeProfiles();
  for (const name of PROFILES) assert.match(help, new RegExp(`^  ${name}: `, 'm'));
});
