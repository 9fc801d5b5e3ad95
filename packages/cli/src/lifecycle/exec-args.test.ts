import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants } from 'node:os';
import { exitCodeOf, nodeEnv, withSourceAddress } from './exec-args.js';

const IP = '127.62.10.2';

test('curl, wget, dig, nc and ping get the node IP as source unless the user chose one', () => {
  assert.deepEqual(withSourceAddress('curl', ['-s', 'http://127.62.64.20/'], IP).args, ['--interface', IP, '-s', 'http://127.62.64.20/']);
  assert.deepEqual(withSourceAddress('/usr/bin/curl', ['--interface', '127.0.0.1', 'http://x/'], IP).added, []);
  assert.deepEqual(withSourceAddress('curl', ['--interface=lo', 'http://x/'], IP).added, []);
  assert.deepEqual(withSourceAddress('wget', ['-qO-', 'http://x/'], IP).args, [`--bind-address=${IP}`, '-qO-', 'http://x/']);
  assert.deepEqual(withSourceAddress('dig', ['@127.62.4.1', 'x'], IP).added, ['-b', IP]);
  assert.deepEqual(withSourceAddress('dig', ['-b127.0.0.1', 'x'], IP).added, []);
  assert.deepEqual(withSourceAddress('nc', ['-z', '127.62.64.1', '443'], IP).added, ['-s', IP]);
  assert.deepEqual(withSourceAddress('ping', ['-c1', '127.62.64.1'], IP).added, ['-I', IP]);
  // Other commands run unchanged: they have NODE_IP in their environment.
  assert.deepEqual(withSourceAddress('sh', ['-c', 'echo $NODE_IP'], IP), { args: ['-c', 'echo $NODE_IP'], added: [] });
});

test('the node environment and exit codes as a shell reports them', () => {
  assert.deepEqual(nodeEnv({ name: 'node-2', ip: IP, zone: 'zone-b', podCIDR: '127.62.130.0/24' }).NODE_IP, IP);
  const signals = constants.signals as Record<string, number>;
  assert.equal(exitCodeOf(3, null, signals), 3);
  assert.equal(exitCodeOf(null, 'SIGKILL', signals), 137);
  assert.equal(exitCodeOf(null, 'SIGTERM', signals), 143);
});
