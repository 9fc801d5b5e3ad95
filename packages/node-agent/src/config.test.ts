import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '@kemu/common';
import { nodeAgentOptions, resolveConfig } from './config.js';

const REQUIRED = ['--node-name', 'node-1', '--node-ip', '127.0.10.1', '--pod-cidr', '127.244.1.0/24'];
const resolve = (argv: string[], files: Record<string, string> = {}) =>
  resolveConfig(loadConfig(nodeAgentOptions, argv, {}), (p) => {
    const f = files[p];
    if (f === undefined) throw new Error(`ENOENT: ${p}`);
    return f;
  });

describe('node agent flags', () => {
  test('defaults follow the local address plan', () => {
    const c = resolve([...REQUIRED, '--token-file', '/t'], { '/t': 'secret\n' });
    assert.equal(c.token, 'secret');
    assert.deepEqual(c.apiservers, ['127.0.2.1:6443']);
    assert.equal(`${c.opsHost}:${c.opsPort}`, '127.0.10.1:10256', 'ops on the node IP, kube-proxy\'s healthz port');
    assert.equal(c.algorithm, 'random');
    assert.equal(c.networkMode, 'local');
    assert.equal(c.leaseDurationSeconds, 40);
    assert.equal(c.leaseRenewIntervalMs, 10_000);
    assert.equal(c.maxConnections, undefined);
    assert.equal(c.stopPodsOnExit, false);
  });

  test('connect timeouts: shorter in container mode, where a dead node answers no SYN; --dial-timeouts sets them', () => {
    assert.deepEqual(resolve(REQUIRED).dialTimeoutsMs, [1200, 2500, 5000]);
    assert.deepEqual(resolve([...REQUIRED, '--network-mode', 'container']).dialTimeoutsMs, [400, 1200, 2500]);
    assert.deepEqual(resolve([...REQUIRED, '--dial-timeouts', '300ms, 1s']).dialTimeoutsMs, [300, 1000]);
    assert.throws(() => resolve([...REQUIRED, '--dial-timeouts', '10ms']), (err: unknown) => err instanceof ConfigError && /--dial-timeouts: "10ms": want 1 to 8 durations of at least 50ms/.test(err.message));
    assert.throws(() => resolve([...REQUIRED, '--dial-timeouts', 'soon']), /dial-timeouts/);
  });

  test('durations, algorithms and --proxy=false are read', () => {
    const c = resolve([...REQUIRED, '--proxy-algorithm', 'least-connections', '--node-lease-renew-interval', '500ms', '--udp-idle-timeout', '2s', '--proxy=false']);
    assert.equal(c.algorithm, 'least-connections');
    assert.equal(c.leaseRenewIntervalMs, 500);
    assert.equal(c.udpIdleTimeoutMs, 2000);
    assert.equal(c.runProxy, false);
  });

  test('bad values are errors that name the flag', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--node-ip', '127.0.10.1', '--pod-cidr', '127.244.1.0/24'], /--node-name: required/],
      [['--node-name', 'Node_1', '--node-ip', '127.0.10.1', '--pod-cidr', '127.244.1.0/24'], /--node-name: "Node_1" is not a valid node name/],
      [['--node-name', 'n', '--node-ip', '127.0.10.300', '--pod-cidr', '127.244.1.0/24'], /--node-ip: "127.0.10.300" is not an IPv4 address/],
      [['--node-name', 'n', '--node-ip', '127.0.10.1'], /--pod-cidr: required/],
      [[...REQUIRED.slice(0, 4), '--pod-cidr', '127.244.1.0'], /--pod-cidr: "127.244.1.0" is not an IPv4 CIDR/],
      [[...REQUIRED, '--proxy-algorithm', 'fastest'], /--proxy-algorithm: "fastest" is not one of random, round-robin, least-connections/],
      [[...REQUIRED, '--forwarder', 'ebpf'], /--forwarder: "ebpf" is not one of auto, native, js/],
      [[...REQUIRED, '--forwarder-threads', '9'], /--forwarder-threads: "9" is not a number from 0 to 8/],
      [[...REQUIRED, '--network-mode', 'host'], /--network-mode: "host" is not one of local, container/],
      [[...REQUIRED, '--max-connections', 'lots'], /--max-connections: "lots" is not a positive integer/],
      [[...REQUIRED, '--udp-idle-timeout', 'soon'], /--udp-idle-timeout: invalid duration/],
      [[...REQUIRED, '--ops-addr', 'nowhere'], /--ops-addr: want host:port/],
      [[...REQUIRED, '--token', 'a', '--token-file', '/t'], /--token and --token-file: give one, not both/],
      [[...REQUIRED, '--token-file', '/missing'], /--token-file: cannot read \/missing/],
    ];
    for (const [argv, want] of cases) {
      assert.throws(() => resolve(argv), (err: unknown) => err instanceof ConfigError && want.test(err.message), argv.join(' '));
    }
  });
});
