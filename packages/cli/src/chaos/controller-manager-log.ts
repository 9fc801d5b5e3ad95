// What a controller-manager says about itself in the first line it logs
// ("msg":"controller manager started"): its election identity and node lifecycle timings.

import { jsonObjectLine } from './json-line.js';

export interface ControllerManagerStart {
  /** Leader-election holder identity; undefined with --leader-elect=false. */
  identity?: string;
  nodeLifecyclePreset?: string;
  gracePeriodMs?: number;
  evictionTimeoutMs?: number;
}

/** The last start line of a controller-manager log (a log appended over restarts), if any. */
export function lastStart(log: string): ControllerManagerStart | undefined {
  const lines = log.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (!line.includes('controller manager started')) continue;
    const o = jsonObjectLine(line);
    if (!o) continue;
    const r = o as { identity?: unknown; leaderElection?: unknown; nodeLifecyclePreset?: unknown; nodeLifecycle?: { gracePeriodMs?: unknown; evictionTimeoutMs?: unknown } };
    const out: ControllerManagerStart = {};
    if (typeof r.identity === 'string' && r.identity) out.identity = r.identity;
    else if (typeof r.leaderElection === 'string' && r.leaderElection !== 'disabled') out.identity = r.leaderElection;
    if (typeof r.nodeLifecyclePreset === 'string') out.nodeLifecyclePreset = r.nodeLifecyclePreset;
    if (typeof r.nodeLifecycle?.gracePeriodMs === 'number') out.gracePeriodMs = r.nodeLifecycle.gracePeriodMs;
    if (typeof r.nodeLifecycle?.evictionTimeoutMs === 'number') out.evictionTimeoutMs = r.nodeLifecycle.evictionTimeoutMs;
    return out;
  }
  return undefined;
}
