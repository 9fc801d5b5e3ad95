import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, ConfigError, type OptionSpec } from './config.js';

const specs = {
  name: { kind: 'string', description: 'member name', default: 'etcd-0' },
  peerPort: { kind: 'int', description: 'peer port', default: 2380 },
  verbose: { kind: 'bool', description: 'verbose', default: false },
  peers: { kind: 'list', description: 'peers', default: [] as string[] },
} satisfies Record<string, OptionSpec>;

test('defaults apply when neither flag nor env is given', () => {
  const c = loadConfig(specs, [], {});
  assert.deepEqual(c, { name: 'etcd-0', peerPort: 2380, verbose: false, peers: [] });
});

test('flags win over env, env wins over defaults', () => {
  const c = loadConfig(specs, ['--peer-port', '3000'], { KEMU_PEER_PORT: '4000', KEMU_NAME: 'etcd-1', KEMU_PEERS: 'a, b' });
  assert.equal(c.peerPort, 3000);
  assert.equal(c.name, 'etcd-1');
  assert.deepEqual(c.peers, ['a', 'b']);
});

test('bad values and unknown flags are errors naming the flag', () => {
  assert.throws(() => loadConfig(specs, ['--peer-port', 'x'], {}), (e: unknown) => e instanceof ConfigError && /--peer-port/.test(e.message));
  assert.throws(() => loadConfig(specs, ['--nope', '1'], {}), ConfigError);
  assert.throws(() => loadConfig(specs, [], { KEMU_VERBOSE: 'maybe' }), /--verbose: invalid boolean/);
});

test('a boolean flag can be turned off as --flag=false', () => {
  const specs = { leaderElect: { kind: 'bool', description: 'x', default: true } } as const satisfies Record<string, OptionSpec>;
  assert.equal(loadConfig(specs, ['--leader-elect=false'], {}).leaderElect, false);
  assert.equal(loadConfig(specs, ['--leader-elect'], { KEMU_LEADER_ELECT: 'false' }).leaderElect, true);
  assert.throws(() => loadConfig(specs, ['--leader-elect=maybe'], {}), /--leader-elect: invalid boolean "maybe"/);
});
