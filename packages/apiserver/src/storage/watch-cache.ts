import { errors, type FieldRequirement, type ObjectMeta, type ResourceInfo, type Selector } from '@kemu/api';
import type { Logger } from '@kemu/common';
import type { EtcdClient, KeyValue } from '../etcd/etcd-client.js';
import type { EtcdEvent, EtcdWatchMux } from '../etcd/watch-mux.js';

/** A stored object as the cache keeps it: parsed once, serialized once, shared by all. */
export class CachedObject {
  private json: Buffer | undefined;
  constructor(
    readonly obj: { metadata?: ObjectMeta } & Record<string, unknown>,
    readonly rv: number,
  ) {}
  get meta(): ObjectMeta {
    return this.obj.metadata ?? {};
  }
  bytes(): Buffer {
    return (this.json ??= Buffer.from(JSON.stringify(this.obj)));
  }
}

export type CacheEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface CacheEvent {
  type: CacheEventType;
  rv: number;
  /** The object after the event (for DELETED: the last state, at the deletion's revision). */
  cur: CachedObject;
  prev: CachedObject | undefined;
}

export interface Filter {
  namespace: string;
  labels: Selector;
  fields: readonly FieldRequirement[];
}

export interface CacheWatcher {
  filter: Filter;
  /** Returns false when the watcher cannot keep up and should be dropped. */
  send(type: CacheEventType | 'BOOKMARK', obj: CachedObject | number): boolean;
  close(reason: string): void;
}

const FIELD_GETTERS: Record<string, (o: Record<string, unknown>) => string> = {
  'metadata.name': (o) => (o['metadata'] as ObjectMeta | undefined)?.name ?? '',
  'metadata.namespace': (o) => (o['metadata'] as ObjectMeta | undefined)?.namespace ?? '',
  'spec.nodeName': (o) => ((o['spec'] as { nodeName?: string } | undefined)?.nodeName ?? ''),
  'status.phase': (o) => ((o['status'] as { phase?: string } | undefined)?.phase ?? ''),
};
export const SUPPORTED_FIELDS = Object.keys(FIELD_GETTERS);

export function matches(f: Filter, c: CachedObject): boolean {
  const m = c.meta;
  if (f.namespace && m.namespace !== f.namespace) return false;
  if (!f.labels.matches(m.labels)) return false;
  for (const r of f.fields) {
    const v = FIELD_GETTERS[r.field]!(c.obj);
    if ((v === r.value) !== (r.op === '=')) return false;
  }
  return true;
}

/**
 * The apiserver's cache of one resource, fed by one etcd watch on its prefix (after
 * kube-apiserver's cacher): every watcher and every plain list is served from here, so
 * a thousand watchers cost one etcd watch. It keeps a window of recent events so a watch
 * can resume from a resourceVersion; older versions get 410 Expired ("too old").
 *
 * Invariant: `rv` is a revision such that every etcd event on the prefix up to it is
 * reflected in `objects` and (if newer than `windowStart`) in `events`.
 */
export class WatchCache {
  private readonly objects = new Map<string, CachedObject>();
  private events: CacheEvent[] = [];
  /** Events with rv > windowStart are in `events`; a watch from rv >= windowStart can resume. */
  private windowStart = 0;
  rv = 0;
  private readonly watchers = new Set<CacheWatcher>();
  private readyWaiters: (() => void)[] = [];
  private rvWaiters: { rv: number; resolve: () => void }[] = [];
  private ready = false;
  /** Told about every change to `objects` (prev, cur), after a reset on every relist. */
  private readonly changeListeners: { reset(): void; change(prev: CachedObject | undefined, cur: CachedObject | undefined): void }[] = [];

  constructor(
    readonly info: ResourceInfo,
    private readonly etcd: EtcdClient,
    private readonly mux: EtcdWatchMux,
    private readonly log: Logger,
    private readonly decode: (kv: KeyValue) => CachedObject,
    private readonly capacity = 100_000,
  ) {}

  get prefix(): string {
    return `${this.info.etcdPrefix}/`;
  }

  async start(): Promise<void> {
    const page = await this.etcd.range(this.prefix);
    this.objects.clear();
    for (const l of this.changeListeners) l.reset();
    for (const kv of page.kvs) {
      const c = this.decode(kv);
      this.objects.set(kv.key, c);
      for (const l of this.changeListeners) l.change(undefined, c);
    }
    this.rv = page.revision;
    this.windowStart = page.revision;
    this.events = [];
    this.mux.watch(this.prefix, page.revision + 1, {
      events: (evs) => this.apply(evs),
      compacted: (rev) => {
        this.log.warn({ resource: this.info.resource, rev }, 'watch cache fell behind compaction; relisting');
        for (const w of this.watchers) w.close('cache relisted');
        this.watchers.clear();
        void this.start();
      },
      progress: (rev) => this.advance(rev),
    });
    this.ready = true;
    for (const w of this.readyWaiters.splice(0)) w();
  }

  /** Keeps a derived index in step with the cache (e.g. the allocated ClusterIPs). */
  subscribe(l: { reset(): void; change(prev: CachedObject | undefined, cur: CachedObject | undefined): void }): void {
    this.changeListeners.push(l);
  }

  whenReady(): Promise<void> {
    return this.ready ? Promise.resolve() : new Promise((r) => this.readyWaiters.push(r));
  }

  /** Waits until the cache reflects at least revision `rv` (an etcd progress request nudges it). */
  async waitFor(rv: number, timeoutMs = 5_000): Promise<void> {
    await this.whenReady();
    if (this.rv >= rv) return;
    const reached = new Promise<void>((resolve) => this.rvWaiters.push({ rv, resolve }));
    let timer: NodeJS.Timeout | undefined;

    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(errors.timeout(`Too large resource version: ${rv}, current: ${this.rv}`)),
        timeoutMs,
      );
    });
    const ask = (): void => {
      this.mux.requestProgress().then(
        (r) => this.advance(r),
        () => undefined,
      );
    };
    ask();
    // A progress request can be lost with a broken stream: ask again until answered.
    const nudge = setInterval(ask, 500);
    try {
      await Promise.race([reached, timeout]);
    } finally {
      clearTimeout(timer);
      clearInterval(nudge);
    }
  }

  list(f: Filter): { items: CachedObject[]; rv: number } {
    const items: CachedObject[] = [];
    for (const c of this.objects.values()) if (matches(f, c)) items.push(c);
    items.sort((a, b) => (a.meta.namespace ?? '').localeCompare(b.meta.namespace ?? '') || (a.meta.name ?? '').localeCompare(b.meta.name ?? ''));
    return { items, rv: this.rv };
  }

  getByKey(key: string): CachedObject | undefined {
    return this.objects.get(key);
  }

  size(): number {
    return this.objects.size;
  }

  all(): IterableIterator<CachedObject> {
    return this.objects.values();
  }

  /**
   * Registers a watcher from `fromRv`: "" or "0" replays the current state as ADDED
   * events first; a number replays the events after it (410 if they left the window).
   */
  watch(w: CacheWatcher, fromRv: string, sendInitialEvents: boolean): () => void {
    if (fromRv === '' || fromRv === '0' || sendInitialEvents) {
      for (const c of this.objects.values()) if (matches(w.filter, c)) w.send('ADDED', c);
    } else {
      const from = Number(fromRv);
      if (!Number.isSafeInteger(from) || from < 0) throw errors.badRequest(`invalid resourceVersion: ${fromRv}`);
      if (from < this.windowStart) {
        throw errors.expired(`too old resource version: ${from} (${this.windowStart})`);
      }
      for (const e of this.events) if (e.rv > from) this.deliver(w, e);
    }
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }

  /** Sends a bookmark with the cache's revision to every watcher. */
  bookmark(want: (w: CacheWatcher) => boolean): void {
    for (const w of this.watchers) if (want(w)) w.send('BOOKMARK', this.rv);
  }

  watcherCount(): number {
    return this.watchers.size;
  }

  private apply(evs: EtcdEvent[]): void {
    for (const e of evs) {
      const prev = this.objects.get(e.kv.key);
      let ev: CacheEvent;
      if (e.type === 'put') {
        const cur = this.decode(e.kv);
        this.objects.set(e.kv.key, cur);
        ev = { type: prev ? 'MODIFIED' : 'ADDED', rv: e.kv.modRevision, cur, prev };
      } else {
        this.objects.delete(e.kv.key);
        const last = prev ?? (e.prev ? this.decode(e.prev) : undefined);
        if (!last) continue;
        const obj = structuredClone(last.obj);
        obj.metadata = { ...obj.metadata, resourceVersion: String(e.kv.modRevision) };
        ev = { type: 'DELETED', rv: e.kv.modRevision, cur: new CachedObject(obj, e.kv.modRevision), prev: last };
      }
      for (const l of this.changeListeners) l.change(ev.prev, ev.type === 'DELETED' ? undefined : ev.cur);
      this.events.push(ev);
      for (const w of this.watchers) this.deliver(w, ev);
    }
    if (this.events.length > this.capacity) {
      const drop = this.events.length - this.capacity;
      this.windowStart = this.events[drop - 1]!.rv;
      this.events = this.events.slice(drop);
    }
    const last = evs[evs.length - 1];
    if (last) this.advance(last.kv.modRevision);
  }

  private advance(rv: number): void {
    if (rv <= this.rv) return;
    this.rv = rv;
    if (this.rvWaiters.length) {
      const still: typeof this.rvWaiters = [];
      for (const w of this.rvWaiters) {
        if (w.rv <= rv) w.resolve();
        else still.push(w);
      }
      this.rvWaiters = still;
    }
  }

  private deliver(w: CacheWatcher, e: CacheEvent): void {
    const now = matches(w.filter, e.cur);
    const before = e.prev !== undefined && e.type !== 'DELETED' ? matches(w.filter, e.prev) : false;
    let ok = true;
    switch (e.type) {
      case 'ADDED':
        if (now) ok = w.send('ADDED', e.cur);
        break;
      case 'MODIFIED':
        if (now && before) ok = w.send('MODIFIED', e.cur);
        else if (now) ok = w.send('ADDED', e.cur);
        else if (before) ok = w.send('DELETED', e.cur);
        break;
      case 'DELETED':
        if (now) ok = w.send('DELETED', e.cur);
        break;
    }
    if (!ok) {
      this.watchers.delete(w);
      w.close('watcher could not keep up');
    }
  }
}
