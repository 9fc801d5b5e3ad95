import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NODE_LIFECYCLE_PRESET_NAMES, nodeLifecyclePreset, UnknownPresetError } from './presets.js';

test('each preset has its grace period and eviction timeout, and Kubernetes eviction rates', () => {
  const table = Object.fromEntries(
    NODE_LIFECYCLE_PRESET_NAMES.map((n) => {
      const p = nodeLifecyclePreset(n);
      return [n, [p.gracePeriodMs / 1000, p.evictionTimeoutMs / 60_000, p.evictionRate, p.secondaryEvictionRate, p.unhealthyZoneThreshold]];
    }),
  );
  assert.deepEqual(table, {
    default: [40, 5, 0.1, 0.01, 0.55],
    'fast-recovery': [20, 2, 0.1, 0.01, 0.55],
    'stable-network': [60, 10, 0.1, 0.01, 0.55],
    'unreliable-network': [60, 15, 0.1, 0.01, 0.55],
  });
});

test('a preset is a copy: changing it does not change the preset', () => {
  const p = nodeLifecyclePreset('default');
  p.gracePeriodMs = 1;
  assert.equal(nodeLifecyclePreset('default').gracePeriodMs, 40_000);
});

test('an unknown preset is an error naming the valid ones', () => {
  assert.throws(() => nodeLifecyclePreset('toString'), (err: unknown) => {
    assert.ok(err instanceof UnknownPresetError);
    assert.match(err.message, /"toString" is not one of default, fast-recovery, stable-network, unreliable-network/);
    return true;
  });
});
