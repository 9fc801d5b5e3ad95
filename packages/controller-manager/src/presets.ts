import type { NodeLifecycleSettings } from './controller.js';

const RATES = { evictionRate: 0.1, secondaryEvictionRate: 0.01, unhealthyZoneThreshold: 0.55 } as const;

/**
 * Named node lifecycle timings. `default` is Kubernetes' long-standing default
 * (--node-monitor-grace-period 40s, pod eviction after 5 min: the 300 s tolerationSeconds
 * every pod gets); Kubernetes 1.32 and later default the grace period to 50 s.
 */
export const NODE_LIFECYCLE_PRESETS = {
  /** Kubernetes' defaults before 1.32. */
  default: { gracePeriodMs: 40_000, evictionTimeoutMs: 300_000, ...RATES },
  /** Notice a lost node sooner and move its pods sooner; more false alarms on a slow network. */
  'fast-recovery': { gracePeriodMs: 20_000, evictionTimeoutMs: 120_000, ...RATES },
  /** A quiet network where a missed heartbeat means a node really is gone. */
  'stable-network': { gracePeriodMs: 60_000, evictionTimeoutMs: 600_000, ...RATES },
  /** Heartbeats get lost now and then: wait longer before moving pods. */
  'unreliable-network': { gracePeriodMs: 60_000, evictionTimeoutMs: 900_000, ...RATES },
} as const satisfies Record<string, NodeLifecycleSettings>;

export type NodeLifecyclePresetName = keyof typeof NODE_LIFECYCLE_PRESETS;

export const NODE_LIFECYCLE_PRESET_NAMES = Object.keys(NODE_LIFECYCLE_PRESETS) as NodeLifecyclePresetName[];

export class UnknownPresetError extends Error {
  override readonly name = 'UnknownPresetError';
}

export function isNodeLifecyclePresetName(name: string): name is NodeLifecyclePresetName {
  return Object.hasOwn(NODE_LIFECYCLE_PRESETS, name);
}

/** A fresh copy of the named preset's settings. */
export function nodeLifecyclePreset(name: string): NodeLifecycleSettings {
  if (!isNodeLifecyclePresetName(name)) {
    throw new UnknownPresetError(
      `node lifecycle preset ${JSON.stringify(name)} is not one of ${NODE_LIFECYCLE_PRESET_NAMES.join(', ')}`,
    );
  }
  return { ...NODE_LIFECYCLE_PRESETS[name] };
}
