import type { Node } from '@kemu/api';
import type { NodeLifecycleSettings } from '../controller.js';

export const ZoneLabel = {
  region: 'topology.kubernetes.io/region',
  zone: 'topology.kubernetes.io/zone',
} as const;

/**
 * The zone a node belongs to for disruption accounting: its region and zone labels
 * ("" when it has neither, so an unlabelled cluster is one zone).
 */
export function zoneOf(node: Node): string {
  const labels = node.metadata?.labels ?? {};
  const region = labels[ZoneLabel.region] ?? '';
  const zone = labels[ZoneLabel.zone] ?? '';
  if (!region && !zone) return '';
  return region ? `${region}:${zone}` : zone;
}

export const ZoneState = {
  Normal: 'Normal',
  PartialDisruption: 'PartialDisruption',
  FullDisruption: 'FullDisruption',
} as const;
export type ZoneState = (typeof ZoneState)[keyof typeof ZoneState];

/**
 * Kubernetes' zone health rule: no Ready node (and at least one not Ready) is a full
 * disruption; more than 2 not-Ready nodes making up at least `unhealthyZoneThreshold` of
 * the zone is a partial one. A node without a Ready condition counts as not Ready.
 */
export function computeZoneState(ready: number, notReady: number, unhealthyZoneThreshold: number): ZoneState {
  if (ready === 0 && notReady > 0) return ZoneState.FullDisruption;
  if (notReady > 2 && notReady / (notReady + ready) >= unhealthyZoneThreshold) return ZoneState.PartialDisruption;
  return ZoneState.Normal;
}

/**
 * Nodes per second that may be tainted NoExecute (and so have their pods evicted) in a
 * zone. A fully disrupted zone evicts at the normal rate, so its workloads move to the
 * zones that still work; but when every zone is fully disrupted the fault is most likely
 * the control plane's own network, and nothing is evicted anywhere.
 */
export function zoneEvictionRate(state: ZoneState, allZonesFullyDisrupted: boolean, s: NodeLifecycleSettings): number {
  if (allZonesFullyDisrupted) return 0;
  switch (state) {
    case ZoneState.Normal:
    case ZoneState.FullDisruption:
      return s.evictionRate;
    case ZoneState.PartialDisruption:
      return s.secondaryEvictionRate;
  }
}
