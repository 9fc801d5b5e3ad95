// Records Service watch events as pending {previous, current} port sets per Service, the
// way kube-proxy's ServiceChangeTracker does; the sync loop drains them.
import { objectKey, type Service } from '@kemu/api';
import { sameServicePorts, servicePorts } from './service-info.js';
import type { ServicePortInfo } from './types.js';

/** The ports of one Service before the first pending event and after the latest one ([] = absent). */
export interface ServiceChange {
  previous: ServicePortInfo[];
  current: ServicePortInfo[];
}

/**
 * Invariant: for every pending Service, `previous` is its port set as of the last drain()
 * (or the first event seen) and `current` differs from it; a run of events that ends
 * where it started leaves nothing pending.
 */
export class ServiceChangeTracker {
  private pending = new Map<string, ServiceChange>();

  /**
   * Records one watch event (add: previous undefined; delete: current undefined).
   * Returns whether any Service has a pending change (not only this one).
   */
  update(previous: Service | undefined, current: Service | undefined): boolean {
    const svc = current ?? previous;
    if (svc === undefined) return this.pending.size > 0;
    const key = objectKey(svc.metadata);
    let change = this.pending.get(key);
    if (change === undefined) {
      change = { previous: previous === undefined ? [] : servicePorts(previous), current: [] };
      this.pending.set(key, change);
    }
    change.current = current === undefined ? [] : servicePorts(current);
    if (sameServicePorts(change.previous, change.current)) this.pending.delete(key);
    return this.pending.size > 0;
  }

  /** Number of Services with a pending change. */
  get size(): number {
    return this.pending.size;
  }

  /** The pending changes keyed by namespace/name; the tracker is empty afterwards. */
  drain(): Map<string, ServiceChange> {
    const out = this.pending;
    this.pending = new Map();
    return out;
  }
}
