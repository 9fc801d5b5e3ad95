import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastStart } from './controller-manager-log.js';

const start = (identity: string, preset: string, grace: number): string =>
  JSON.stringify({ level: 30, identity, nodeLifecyclePreset: preset, nodeLifecycle: { gracePeriodMs: grace, evictionTimeoutMs: 120_000 }, leaderElection: identity, msg: 'controller manager started' });

test('the last start line of a log appended over restarts wins', () => {
  const log = [start('vm_old', 'default', 40_000), '{"level":30,"msg":"leader election lost"}', 'garbage controller manager started', start('vm_new', 'fast-recovery', 20_000), '{"msg":"later"}', ''].join('\n');
  assert.deepEqual(lastStart(log), { identity: 'vm_new', nodeLifecyclePreset: 'fast-recovery', gracePeriodMs: 20_000, evictionTimeoutMs: 120_000 });
});

test('a log without a start line, and an election turned off', () => {
  assert.equal(lastStart('{"msg":"something else"}\n'), undefined);
  assert.deepEqual(lastStart(JSON.stringify({ leaderElection: 'disabled', msg: 'controller manager started' })), {});
});
