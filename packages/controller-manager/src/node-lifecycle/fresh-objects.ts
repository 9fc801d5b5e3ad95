import { objectKey, type ObjectMeta } from '@kemu/api';

interface Obj {
  metadata?: ObjectMeta;
}

/**
 * The objects this controller wrote, kept until the informer cache catches up with them,
 * so a reconcile that runs between a write and its watch event does not act on the old
 * version again (tainting a node twice, spending two eviction tokens on it).
 *
 * Invariant: an entry is only ever returned for an object the cache still holds, with
 * the same uid and an older resourceVersion; an object deleted from the cache is never
 * brought back.
 */
export class FreshObjects<T extends Obj> {
  private readonly written = new Map<string, T>();

  record(obj: T): void {
    this.written.set(objectKey(obj.metadata), obj);
  }

  /** The cached objects, each replaced by the version this controller wrote if that is newer. */
  resolveAll(cached: readonly T[]): T[] {
    const seen = new Set<string>();
    const out = cached.map((c) => {
      seen.add(objectKey(c.metadata));
      return this.resolve(c);
    });
    for (const key of this.written.keys()) if (!seen.has(key)) this.written.delete(key);
    return out;
  }

  resolve(cached: T): T {
    const key = objectKey(cached.metadata);
    const mine = this.written.get(key);
    if (mine && mine.metadata?.uid === cached.metadata?.uid && newer(mine, cached)) return mine;
    this.written.delete(key);
    return cached;
  }
}

/** resourceVersions are etcd revisions: decimal integers that only grow. */
function newer(a: Obj, b: Obj): boolean {
  const ra = a.metadata?.resourceVersion ?? '';
  const rb = b.metadata?.resourceVersion ?? '';
  if (!/^\d+$/.test(ra) || !/^\d+$/.test(rb)) return false;
  return BigInt(ra) > BigInt(rb);
}
