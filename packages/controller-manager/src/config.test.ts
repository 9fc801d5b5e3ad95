import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '@kemu/common';
import {
  controllerManagerOptions,
  parseDuration,
  resolveConfig,
  selectControllers,
} from './config.js';

const resolve = (argv: string[], env: NodeJS.ProcessEnv = {}, files: Record<string, string> = {}) => {
  return resolveConfig(loadConfig(controllerManagerOptions, argv, env), (p) => {
    const f = files[p];
    if (f === undefined) throw new Error('ENOENT: no such file');
    return f;
  });
};

describe('config', () => {
  test('defaults work for a local run', () => {
    const c = resolve([]);
    assert.deepEqual(c.apiservers, ['127.0.2.1:6443']);
    assert.deepEqual([c.opsHost, c.opsPort], ['127.0.3.1', 10257]);
    assert.equal(c.controllers.length, 8);
    assert.equal(c.nodeLifecyclePreset, 'default');
    assert.equal(c.nodeLifecycle.gracePeriodMs, 40_000);
    assert.equal(c.nodeLifecycle.evictionTimeoutMs, 300_000);
    assert.deepEqual(
      [c.leaderElection.enabled, c.leaderElection.leaseDurationMs, c.leaderElection.renewDeadlineMs, c.leaderElection.retryPeriodMs],
      [true, 15_000, 10_000, 2_000],
    );
    assert.match(c.leaderElection.identity, /^.+_[0-9a-f-]{36}$/);
    assert.deepEqual([c.leaderElection.namespace, c.leaderElection.name], ['kube-system', 'kube-controller-manager']);
  });

  test('a preset sets the timings; explicit flags override it', () => {
    const c = resolve(['--node-lifecycle-preset', 'unreliable-network', '--pod-eviction-timeout', '7m']);
    assert.equal(c.nodeLifecycle.gracePeriodMs, 60_000);
    assert.equal(c.nodeLifecycle.evictionTimeoutMs, 420_000);
    const e = resolve([], { KEMU_NODE_MONITOR_GRACE_PERIOD: '50s', KEMU_UNHEALTHY_ZONE_THRESHOLD: '0.7' });
    assert.equal(e.nodeLifecycle.gracePeriodMs, 50_000);
    assert.equal(e.nodeLifecycle.unhealthyZoneThreshold, 0.7);
  });

  test('the token comes from --token or --token-file, not both', () => {
    assert.equal(resolve(['--token-file', '/t'], {}, { '/t': 'secret\n' }).token, 'secret');
    assert.throws(() => resolve(['--token', 'a', '--token-file', '/t'], {}, { '/t': 'b' }), /--token and --token-file/);
    assert.throws(() => resolve(['--token-file', '/missing']), /--token-file: cannot read \/missing/);
  });

  test('bad values are errors that name the flag', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--node-lifecycle-preset', 'fast'], /--node-lifecycle-preset: "fast" is not one of default, fast-recovery/],
      [['--node-monitor-grace-period', '40 seconds'], /--node-monitor-grace-period: invalid duration/],
      [['--ops-addr', 'localhost'], /--ops-addr: want host:port/],
      [['--apiserver', ''], /--apiserver: at least one/],
      [['--unhealthy-zone-threshold', '1.5'], /--unhealthy-zone-threshold: invalid value/],
      [['--leader-elect-lease-duration', '5s'], /lease duration \(5000 ms\) must be greater than renew deadline/],
      [['--controllers', '*,-nodelifecycle'], /--controllers: unknown controller "nodelifecycle"/],
    ];
    for (const [argv, want] of cases) {
      assert.throws(() => resolve(argv), (err: unknown) => err instanceof ConfigError && want.test(err.message), argv.join(' '));
    }
    assert.equal(resolve(['--leader-elect=false', '--leader-elect-lease-duration', '5s']).leaderElection.enabled, false, 'timings only matter when electing');
  });

  test('--leader-elect=false turns election off; a bare --leader-elect beats the environment', () => {
    assert.equal(resolve(['--leader-elect=false']).leaderElection.enabled, false);
    assert.equal(resolve([], { KEMU_LEADER_ELECT: 'false' }).leaderElection.enabled, false);
    assert.equal(resolve(['--leader-elect'], { KEMU_LEADER_ELECT: 'false' }).leaderElection.enabled, true);
    assert.throws(() => resolve(['--leader-elect=maybe']), /--leader-elect: invalid boolean/);
  });
});

test('parseDuration reads milliseconds and Go durations', () => {
  assert.equal(parseDuration('40000', 'x'), 40_000);
  assert.equal(parseDuration('40s', 'x'), 40_000);
  assert.equal(parseDuration('1m30s', 'x'), 90_000);
  assert.equal(parseDuration('1.5s', 'x'), 1_500);
  assert.equal(parseDuration('250ms', 'x'), 250);
  assert.equal(parseDuration('1h', 'x'), 3_600_000);
  for (const bad of ['', 's', '10x', '-5s', '5s ms']) assert.throws(() => parseDuration(bad, 'x'), ConfigError, bad);
});

test('selectControllers: "*" is all, "-x" leaves x out, a name alone runs only it', () => {
  assert.deepEqual(selectControllers(['node-lifecycle']), ['node-lifecycle']);
  assert.ok(!selectControllers(['*', '-scheduler']).includes('scheduler'));
  assert.equal(selectControllers(['*', '-scheduler']).length, 7);
  assert.deepEqual(selectControllers(['-scheduler', '*']), selectControllers(['*', '-scheduler']), 'order does not matter');
});
