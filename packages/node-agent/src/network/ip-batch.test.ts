import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attributeBatchErrors, IpCommandError, runIp, runIpBatch } from './ip-batch.js';

test('attributeBatchErrors maps messages to the line named by the following marker', () => {
  // Shape of iproute2 6.x output for `ip -force -batch -`.
  const stderr = [
    'Error: ipv4: Address already assigned.',
    'Command failed -:2',
    'RTNETLINK answers: No such process',
    'Command failed -:3',
    'Error: Nexthop has invalid gateway.',
    'Command failed -:7',
    '',
  ].join('\n');
  const { failures, unattributed } = attributeBatchErrors(stderr);
  assert.deepEqual([...failures], [
    [2, 'Error: ipv4: Address already assigned.'],
    [3, 'RTNETLINK answers: No such process'],
    [7, 'Error: Nexthop has invalid gateway.'],
  ]);
  assert.deepEqual(unattributed, []);
});

test('attributeBatchErrors reports a trailing message without a marker as unattributed (ip aborted)', () => {
  const { failures, unattributed } = attributeBatchErrors('Command failed -:1\nError: any valid prefix is expected rather than "10.96.0.300/32".\n');
  assert.deepEqual([...failures], [[1, 'failed without a message']]);
  assert.deepEqual(unattributed, ['Error: any valid prefix is expected rather than "10.96.0.300/32".']);
});

test('runIpBatch and runIp reject with IpCommandError when ip cannot be started', async () => {
  await assert.rejects(runIpBatch(['/nonexistent/kemu-ip'], ['address show']), (err: unknown) => err instanceof IpCommandError && /nonexistent\/kemu-ip -force -batch -: .*ENOENT/.test(err.message));
  await assert.rejects(runIp(['/nonexistent/kemu-ip'], ['-4', 'route', 'show']), (err: unknown) => err instanceof IpCommandError && err.command === '/nonexistent/kemu-ip -4 route show');
  await assert.rejects(runIpBatch([], []), IpCommandError);
});
