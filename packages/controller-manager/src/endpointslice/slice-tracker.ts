import type { EndpointSlice } from '@kemu/api';

type Expectation =
  | { readonly kind: 'present'; readonly staleResourceVersion: string | undefined; readonly at: number }
  | { readonly kind: 'absent'; readonly at: number };

/**
 * The slice writes this controller made that its informer cache may not show yet (after
 * Kubernetes' EndpointSliceTracker). A sync that read a cache older than its own writes
 * would create duplicate slices, since slices are created from generateName; so a
 * Service whose cache is stale is retried later instead of reconciled.
 *
 * Invariant: an expectation is dropped once the cache shows the write (or anything
 * newer), once the informer reports the slice deleted, or after `ttlMs`, so a write
 * overtaken by someone else's can never block a Service for good.
 */
export class SliceWriteTracker {
  private readonly expected = new Map<string, Map<string, Expectation>>();

  constructor(private readonly ttlMs = 10_000) {}

  created(serviceKey: string, name: string, now: number): void {
    this.expect(serviceKey, name, { kind: 'present', staleResourceVersion: undefined, at: now });
  }

  /** `previousResourceVersion`: the version the update replaced; a cache still at it is stale. */
  updated(serviceKey: string, name: string, previousResourceVersion: string | undefined, now: number): void {
    this.expect(serviceKey, name, { kind: 'present', staleResourceVersion: previousResourceVersion, at: now });
  }

  deleted(serviceKey: string, name: string, now: number): void {
    this.expect(serviceKey, name, { kind: 'absent', at: now });
  }

  /** The informer saw the slice go: whatever was expected of it is settled. */
  observedDeletion(serviceKey: string, name: string): void {
    const m = this.expected.get(serviceKey);
    m?.delete(name);
    if (m?.size === 0) this.expected.delete(serviceKey);
  }

  forget(serviceKey: string): void {
    this.expected.delete(serviceKey);
  }

  /**
   * The names of the Service's slices whose cached state (`cached`, by name) is older
   * than this controller's writes. Settled and expired expectations are dropped.
   */
  staleSlices(serviceKey: string, cached: ReadonlyMap<string, EndpointSlice>, now: number): string[] {
    const m = this.expected.get(serviceKey);
    if (!m) return [];
    const stale: string[] = [];
    for (const [name, e] of m) {
      const slice = cached.get(name);
      const settled =
        now - e.at >= this.ttlMs ||
        (e.kind === 'absent'
          ? slice === undefined
          : slice !== undefined && slice.metadata?.resourceVersion !== e.staleResourceVersion);
      if (settled) m.delete(name);
      else stale.push(name);
    }
    if (m.size === 0) this.expected.delete(serviceKey);
    return stale.sort();
  }

  private expect(serviceKey: string, name: string, e: Expectation): void {
    let m = this.expected.get(serviceKey);
    if (!m) {
      m = new Map();
      this.expected.set(serviceKey, m);
    }
    m.set(name, e);
  }
}

/** A sync found the informer cache older than the controller's own slice writes; it is retried. */
export class StaleSliceCacheError extends Error {
  override readonly name = 'StaleSliceCacheError';
  constructor(
    readonly serviceKey: string,
    readonly slices: readonly string[],
  ) {
    super(`endpointslice: cache does not yet show this controller's writes to ${slices.join(', ')} (service ${serviceKey}); retrying`);
  }
}
