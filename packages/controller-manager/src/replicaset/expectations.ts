import type { Clock } from '../controller.js';

interface Expectation {
  /** Pods created by this controller that the informer has not shown yet. */
  adds: number;
  /** Uids of pods this controller deleted that the informer still shows as live. */
  readonly deletes: Set<string>;
  setAt: number;
}

/**
 * What a controller has asked the apiserver for and not yet seen in its informer, per
 * owner key (as client-go's ControllerExpectations with uid-tracked deletions). While an
 * owner has unmet expectations its pod count from the cache is stale, so it must not
 * create or delete again. Expectations expire after `ttlMs` so a lost watch event cannot
 * stall an owner forever.
 */
export class Expectations {
  private readonly byKey = new Map<string, Expectation>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = 5 * 60_000,
  ) {}

  /** Invariant: called before the creates are issued, so an early watch event cannot be missed. */
  expectCreations(key: string, n: number): void {
    if (n <= 0) return;
    const e = this.entry(key);
    e.adds += n;
    e.setAt = this.clock.now();
  }

  /** A create was observed in the cache, or failed / was skipped and will never be. */
  creationObserved(key: string, n = 1): void {
    const e = this.byKey.get(key);
    if (e) e.adds = Math.max(0, e.adds - n);
  }

  /** Invariant: called before the deletes are issued. */
  expectDeletions(key: string, uids: Iterable<string>): void {
    const e = this.entry(key);
    for (const uid of uids) e.deletes.add(uid);
    e.setAt = this.clock.now();
  }

  /** The pod is gone or terminating in the cache, or its delete failed. */
  deletionObserved(key: string, uid: string): void {
    this.byKey.get(key)?.deletes.delete(uid);
  }

  satisfied(key: string): boolean {
    const e = this.byKey.get(key);
    if (!e) return true;
    if (e.adds <= 0 && e.deletes.size === 0) return true;
    return this.clock.now() - e.setAt > this.ttlMs;
  }

  /** Outstanding counts, for logs and tests. */
  pending(key: string): { adds: number; deletes: number } {
    const e = this.byKey.get(key);
    return { adds: e?.adds ?? 0, deletes: e?.deletes.size ?? 0 };
  }

  forget(key: string): void {
    this.byKey.delete(key);
  }

  private entry(key: string): Expectation {
    let e = this.byKey.get(key);
    if (!e || this.satisfied(key)) {
      e = { adds: 0, deletes: new Set(), setAt: this.clock.now() };
      this.byKey.set(key, e);
    }
    return e;
  }
}
