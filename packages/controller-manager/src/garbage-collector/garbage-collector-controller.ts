import { isApiError, Reason, type Informer, type ObjectMeta } from '@kemu/api';
import type { Controller, ControllerContext } from '../controller.js';
import { WorkQueue } from '../work-queue.js';
import { DependentsIndex } from './dependents-index.js';
import { judgeDependent } from './verdict.js';
import {
  isWatchedResource,
  itemKey,
  ownerStateFrom,
  ownerUids,
  parseItemKey,
  WATCHED_RESOURCES,
  type OwnerState,
  type OwnerTarget,
  type WatchedResource,
} from './owners.js';

/** How many owner uids proven absent are remembered (uids are never reused, so this never goes stale). */
const ABSENT_OWNER_CACHE_SIZE = 4096;
const NOT_SYNCED_RETRY_MS = 1_000;

/**
 * Background cascading deletion (see README.md). An object is deleted only when every
 * owner it names is absent twice over: in the informer caches, and then by a live GET
 * (NotFound, or a different uid at that name). Absence in a cache alone proves nothing;
 * the owner may simply not have reached it yet.
 */
export class GarbageCollectorController implements Controller {
  readonly name = 'garbage-collector';
  private readonly informers = new Map<WatchedResource, Informer<WatchedResource>>();
  private readonly index = new DependentsIndex();
  private readonly absentOwners = new Set<string>();
  private readonly queue: WorkQueue;

  constructor(private readonly ctx: ControllerContext) {
    this.queue = new WorkQueue(
      (key) => this.sync(key),
      (key, err) => ctx.log.warn({ err, item: key }, 'garbage-collector: sync failed'),
      2,
    );
    for (const resource of WATCHED_RESOURCES) this.watch(resource);
  }

  start(): void {
    this.queue.start();
  }

  async stop(): Promise<void> {
    await this.queue.stop();
  }

  private watch(resource: WatchedResource): void {
    const inf = this.ctx.informers.get<WatchedResource>(resource);
    this.informers.set(resource, inf);
    inf.on({
      add: (obj) => this.observe(resource, obj.metadata),
      update: (old, obj) => {
        // The same name with a new uid: the old object (an owner, maybe) is gone.
        if (old.metadata?.uid !== obj.metadata?.uid) this.ownerGone(old.metadata?.uid);
        const changed = JSON.stringify(old.metadata?.ownerReferences ?? []) !== JSON.stringify(obj.metadata?.ownerReferences ?? []);
        if (changed || old.metadata?.uid !== obj.metadata?.uid) this.observe(resource, obj.metadata);
      },
      delete: (obj) => {
        this.index.delete(itemKey(resource, obj.metadata));
        this.ownerGone(obj.metadata?.uid);
      },
    });
  }

  /** Records the object's owners and, if it has any, checks them. */
  private observe(resource: WatchedResource, meta: ObjectMeta | undefined): void {
    const key = itemKey(resource, meta);
    const uids = ownerUids(meta);
    this.index.set(key, uids);
    if (uids.length > 0) this.queue.add(key);
  }

  private ownerGone(uid: string | undefined): void {
    if (!uid) return;
    for (const key of this.index.dependentsOf(uid)) this.queue.add(key);
  }

  private allSynced(): boolean {
    return [...this.informers.values()].every((i) => i.hasSynced());
  }

  private async sync(key: string): Promise<void> {
    const ref = parseItemKey(key);
    if (!ref) return;
    if (!this.allSynced()) {
      this.queue.addAfter(key, NOT_SYNCED_RETRY_MS);
      return;
    }
    const obj = this.informers.get(ref.resource)?.get(ref.namespace, ref.name);
    const meta = obj?.metadata;
    if ((await judgeDependent(meta, (t) => this.cachedState(t), (t) => this.liveState(t))) === 'keep') return;

    try {
      await this.ctx.client.delete(ref.resource, ref.namespace, ref.name, { uid: meta?.uid ?? '' });
      this.ctx.log.info(
        { item: key, owners: (meta?.ownerReferences ?? []).map((o) => `${o.kind ?? ''}/${o.name ?? ''}`) },
        'garbage-collector: deleted object whose owners are gone',
      );
    } catch (err) {
      // Already gone, or replaced by a new object with the same name (uid precondition).
      if (!isApiError(err, Reason.NotFound) && !isApiError(err, Reason.Conflict)) throw err;
    }
  }

  private cachedState(t: OwnerTarget): OwnerState {
    if (this.absentOwners.has(t.uid)) return 'absent';
    // An owner kind nobody here watches looks absent; the live check decides.
    if (!isWatchedResource(t.resource)) return 'absent';
    return ownerStateFrom(this.informers.get(t.resource)?.get(t.namespace, t.name), t);
  }

  private async liveState(t: OwnerTarget): Promise<OwnerState> {
    if (this.absentOwners.has(t.uid)) return 'absent';
    let state: OwnerState;
    try {
      state = ownerStateFrom(await this.ctx.client.get(t.resource, t.namespace, t.name), t);
    } catch (err) {
      if (!isApiError(err, Reason.NotFound)) throw err;
      state = 'absent';
    }
    if (state === 'absent') this.rememberAbsent(t.uid);
    return state;
  }

  private rememberAbsent(uid: string): void {
    if (this.absentOwners.size >= ABSENT_OWNER_CACHE_SIZE) {
      const oldest = this.absentOwners.values().next().value;
      if (oldest !== undefined) this.absentOwners.delete(oldest);
    }
    this.absentOwners.add(uid);
  }
}
