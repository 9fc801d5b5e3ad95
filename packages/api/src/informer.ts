import type { KubeClient, WatchHandle } from './client.js';
import { isApiError, Reason } from './errors.js';
import type { ObjectMeta } from './gen/kemu/api/meta.js';
import type { ResourceName, ResourceTypes } from './resources.js';

export interface InformerHandlers<T> {
  add?(obj: T): void;
  update?(old: T, obj: T): void;
  delete?(obj: T): void;
}

export interface InformerOptions<T = unknown> {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Called with errors that make the informer relist or rewatch (logging only). */
  onError?: (err: unknown) => void;
  /**
   * Shrinks each object before it is cached and handed to handlers (client-go's
   * SetTransform): a cache of 10,000 Services need not keep fields nobody reads. Must keep
   * metadata.name, metadata.namespace and metadata.resourceVersion.
   */
  transform?: (obj: T) => T;
}

/** The cache key of an object: "namespace/name", or "name" for cluster-scoped objects. */
export function objectKey(meta: ObjectMeta | undefined): string {
  return meta?.namespace ? `${meta.namespace}/${meta.name ?? ''}` : (meta?.name ?? '');
}

/**
 * A shared informer: lists a resource, then watches it from the list's resourceVersion,
 * keeping a local cache and calling handlers for every change. A broken watch resumes
 * from the last resourceVersion seen (bookmarks keep that fresh); a "too old" answer
 * (410) makes it relist and deliver the difference as add/update/delete. No polling.
 */
export class Informer<R extends ResourceName> {
  private readonly store = new Map<string, ResourceTypes[R]>();
  private readonly handlers: InformerHandlers<ResourceTypes[R]>[] = [];
  private resourceVersion = '';
  private watch: WatchHandle | undefined;
  private stopped = false;
  private synced = false;
  private readonly syncWaiters: (() => void)[] = [];
  /** client-go style indexers: index name -> value -> keys of the objects that have it. */
  private readonly indexers = new Map<string, (obj: ResourceTypes[R]) => readonly string[]>();
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor(
    private readonly client: KubeClient,
    readonly resource: R,
    private readonly options: InformerOptions<ResourceTypes[R]> = {},
  ) {}

  on(h: InformerHandlers<ResourceTypes[R]>): this {
    this.handlers.push(h);
    return this;
  }

  /**
   * Adds an index: `fn` names the values an object is filed under; byIndex() returns the
   * objects filed under one value without scanning the cache. Call before start().
   */
  addIndexer(name: string, fn: (obj: ResourceTypes[R]) => readonly string[]): this {
    if (this.indexers.has(name)) return this;
    this.indexers.set(name, fn);
    const index = new Map<string, Set<string>>();
    this.indices.set(name, index);
    for (const [key, obj] of this.store) for (const v of fn(obj)) addTo(index, v, key);
    return this;
  }

  hasIndexer(name: string): boolean {
    return this.indexers.has(name);
  }

  byIndex(name: string, value: string): ResourceTypes[R][] {
    const index = this.indices.get(name);
    if (!index) throw new Error(`informer ${this.resource}: no index ${name}`);
    const out: ResourceTypes[R][] = [];
    for (const key of index.get(value) ?? []) {
      const o = this.store.get(key);
      if (o) out.push(o);
    }
    return out;
  }

  /** How many objects are filed under `value` (to pick the smallest of several). */
  indexSize(name: string, value: string): number {
    return this.indices.get(name)?.get(value)?.size ?? 0;
  }

  start(): this {
    void this.run();
    return this;
  }

  stop(): void {
    this.stopped = true;
    this.watch?.close();
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the first list has been delivered to the handlers. */
  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((r) => this.syncWaiters.push(r));
  }

  get(namespace: string, name: string): ResourceTypes[R] | undefined {
    return this.store.get(namespace ? `${namespace}/${name}` : name);
  }

  getByKey(key: string): ResourceTypes[R] | undefined {
    return this.store.get(key);
  }

  list(filter?: (o: ResourceTypes[R]) => boolean): ResourceTypes[R][] {
    const all = [...this.store.values()];
    return filter ? all.filter(filter) : all;
  }

  /** The newest resourceVersion this cache reflects. */
  lastSyncResourceVersion(): string {
    return this.resourceVersion;
  }

  private async run(): Promise<void> {
    let backoff = 100;
    let needList = true;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
        }
        await this.watchOnce();
        backoff = 100;
      } catch (err) {
        if (this.stopped) return;
        if (err instanceof ExpiredWatch || isApiError(err, Reason.Expired) || isApiError(err, Reason.Gone)) needList = true;
        this.options.onError?.(err);
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 2_000);
      }
    }
  }

  private async relist(): Promise<void> {
    const items: ResourceTypes[R][] = [];
    let cont = '';
    let rv = '';
    do {
      const page = await this.client.list(this.resource, {
        namespace: this.options.namespace,
        labelSelector: this.options.labelSelector,
        fieldSelector: this.options.fieldSelector,
        limit: 5000,
        continue: cont,
      });
      items.push(...page.items);
      cont = page.continue;
      rv ||= page.resourceVersion;
    } while (cont);
    const seen = new Set<string>();
    for (const obj of items) {
      const key = objectKey(obj.metadata);
      seen.add(key);
      this.upsert(key, obj);
    }
    for (const [key, old] of this.store) {
      if (!seen.has(key)) {
        this.remove(key, old);
        for (const h of this.handlers) h.delete?.(old);
      }
    }
    this.resourceVersion = rv;
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  private remove(key: string, old: ResourceTypes[R]): void {
    this.store.delete(key);
    for (const [name, fn] of this.indexers) {
      const index = this.indices.get(name)!;
      for (const v of fn(old)) removeFrom(index, v, key);
    }
  }

  private shrink(obj: ResourceTypes[R]): ResourceTypes[R] {
    return this.options.transform ? this.options.transform(obj) : obj;
  }

  private upsert(key: string, full: ResourceTypes[R]): void {
    const obj = this.shrink(full);
    const old = this.store.get(key);
    this.store.set(key, obj);
    for (const [name, fn] of this.indexers) {
      const index = this.indices.get(name)!;
      if (old) for (const v of fn(old)) removeFrom(index, v, key);
      for (const v of fn(obj)) addTo(index, v, key);
    }
    if (!old) {
      for (const h of this.handlers) h.add?.(obj);
    } else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) {
      for (const h of this.handlers) h.update?.(old, obj);
    }
  }

  private watchOnce(): Promise<void> {
    this.watch = this.client.watch(
      this.resource,
      {
        namespace: this.options.namespace,
        labelSelector: this.options.labelSelector,
        fieldSelector: this.options.fieldSelector,
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: true,
      },
      (e) => {
        switch (e.type) {
          case 'ERROR':
            this.watch?.close();
            failed = e.status;
            return;
          case 'BOOKMARK':
            break;
          case 'ADDED':
          case 'MODIFIED':
            this.upsert(objectKey(e.object.metadata), e.object);
            break;
          case 'DELETED': {
            const key = objectKey(e.object.metadata);
            const old = this.store.get(key);
            if (old) {
              this.remove(key, old);
              const gone = this.shrink(e.object);
              for (const h of this.handlers) h.delete?.(gone);
            }
            break;
          }
        }
        this.resourceVersion = e.object.metadata?.resourceVersion ?? this.resourceVersion;
      },
    );
    let failed: { reason?: string; message?: string; code?: number } | undefined;
    return this.watch.done.then(() => {
      if (failed) {
        const err = Object.assign(new Error(failed.message ?? 'watch failed'), failed);
        if (failed.reason === Reason.Expired || failed.reason === Reason.Gone || failed.code === 410) {
          this.resourceVersion = '';
          throw new ExpiredWatch(failed.message ?? 'too old resource version', { cause: err });
        }
        throw err;
      }
    });
  }
}

function addTo(index: Map<string, Set<string>>, value: string, key: string): void {
  let set = index.get(value);
  if (!set) index.set(value, (set = new Set()));
  set.add(key);
}

function removeFrom(index: Map<string, Set<string>>, value: string, key: string): void {
  const set = index.get(value);
  if (!set) return;
  set.delete(key);
  if (set.size === 0) index.delete(value);
}

/** Index functions every controller wants. */
export const indexers = {
  /** Under "<namespace>/<key>=<value>" for each label. */
  labels: (o: { metadata?: ObjectMeta }): string[] =>
    Object.entries(o.metadata?.labels ?? {}).map(([k, v]) => `${o.metadata?.namespace ?? ''}/${k}=${v}`),
  namespace: (o: { metadata?: ObjectMeta }): string[] => [o.metadata?.namespace ?? ''],
};

/**
 * The objects in `namespace` whose labels match a map selector (a Service's), found
 * through the `labels` index: only the smallest posting list is scanned.
 */
export function selectByLabels<R extends ResourceName>(
  informer: Informer<R>,
  namespace: string,
  selector: Readonly<Record<string, string>>,
): ResourceTypes[R][] {
  const pairs = Object.entries(selector);
  if (pairs.length === 0) return informer.byIndex('namespace', namespace);
  let best = '';
  let bestSize = Infinity;
  for (const [k, v] of pairs) {
    const value = `${namespace}/${k}=${v}`;
    const n = informer.indexSize('labels', value);
    if (n < bestSize) [best, bestSize] = [value, n];
  }
  if (bestSize === 0) return [];
  return informer.byIndex('labels', best).filter((o) => {
    const labels = (o as { metadata?: ObjectMeta }).metadata?.labels ?? {};
    return pairs.every(([k, v]) => labels[k] === v);
  });
}

class ExpiredWatch extends Error {
  override readonly name = 'ExpiredWatch';
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
