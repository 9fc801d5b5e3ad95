// WatchHub: etcd 3.4's watchable store + watch streams without goroutines,
// channels or timers. The driver calls it and sends what it returns:
//
//   create()        on a WatchCreateRequest (answer: Created response; if the
//                   result is `compacted`, follow it with the compacted output)
//   notify()        after every applied write, with the write's events
//   sync()          while hasUnsynced(): catches up watchers that started in
//                   the past, at most MAX_WATCHERS_PER_SYNC watchers and
//                   WATCH_BATCH_MAX_REVS revisions per watcher per call
//   progressTick()  on the progress-notify interval (etcd: 10 minutes)
//   cancel(), cancelStream(), requestProgress()
//
// Invariants: a watcher is in exactly one of synced / unsynced / compacted.
// A synced watcher has seen every revision < minRev and minRev > store
// revision at the time it became synced; an unsynced one has minRev <= store
// revision. A response never splits the events of one revision.

import { EmptyWatcherRangeError, WatcherDuplicateIdError } from './errors.js';
import type { MvccStore } from './mvcc-store.js';
import type { Event } from './types.js';

export const MAX_WATCHERS_PER_SYNC = 512;
export const WATCH_BATCH_MAX_REVS = 1000;

export type StreamId = number | string;

export const WatchFilter = { NOPUT: 'NOPUT', NODELETE: 'NODELETE' } as const;
export type WatchFilter = (typeof WatchFilter)[keyof typeof WatchFilter];

export interface WatchCreateOptions {
  /** Empty = [0x00], the smallest key. */
  readonly key: Buffer;
  /** Absent/empty = the single key; [0x00] = every key >= key; else [key, rangeEnd). */
  readonly rangeEnd?: Buffer;
  /** 0/absent = from the next revision. */
  readonly startRevision?: number;
  readonly prevKv?: boolean;
  readonly filters?: readonly WatchFilter[];
  readonly progressNotify?: boolean;
  /** 0/absent = let the stream pick the next free id (starting at 0). */
  readonly watchId?: number;
}

export type WatchCreateResult =
  /** Send WatchResponse{created: true, watchId, header.revision: headerRevision}. */
  | { readonly kind: 'registered'; readonly watchId: number; readonly headerRevision: number }
  /**
   * etcd sends the Created response, then (see `output`) a canceled response
   * carrying compactRevision. The watch id stays taken until cancel().
   */
  | {
      readonly kind: 'compacted';
      readonly watchId: number;
      readonly headerRevision: number;
      readonly compactRevision: number;
      readonly output: WatchOutput;
    };

export type WatchOutput =
  /** WatchResponse{watchId, events, header.revision: revision}. */
  | {
      readonly kind: 'events';
      readonly streamId: StreamId;
      readonly watchId: number;
      readonly revision: number;
      readonly events: Event[];
    }
  /** WatchResponse{watchId, canceled: true, compactRevision, header.revision: 0} (etcd leaves it 0). */
  | {
      readonly kind: 'compacted';
      readonly streamId: StreamId;
      readonly watchId: number;
      readonly revision: 0;
      readonly compactRevision: number;
    }
  /** An empty WatchResponse{watchId, header.revision: revision}; watchId -1 = the whole stream. */
  | { readonly kind: 'progress'; readonly streamId: StreamId; readonly watchId: number; readonly revision: number };

type WatcherState = 'synced' | 'unsynced' | 'compacted';

interface Watcher {
  readonly streamId: StreamId;
  readonly id: number;
  readonly skey: string;
  /** undefined = single key; null = no upper bound; else exclusive end (latin1). */
  readonly end: string | undefined | null;
  readonly prevKv: boolean;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  readonly progressNotify: boolean;
  minRev: number;
  state: WatcherState;
  /** etcd's per-watcher progress flag: true = no events sent since the last tick. */
  progressDue: boolean;
}

interface Stream {
  nextId: number;
  readonly watchers: Map<number, Watcher>;
  /** The client is not reading (its transport buffer is full): deliver nothing for now. */
  paused: boolean;
}

interface EventBatch {
  events: Event[];
  revs: number;
  moreRev: number;
}

export class WatchHub {
  private store: MvccStore;
  private readonly streams = new Map<StreamId, Stream>();
  // Synced watchers indexed for notify: single-key ones by key, range ones in a list
  // (range watches are few: one per watched prefix).
  private readonly syncedByKey = new Map<string, Set<Watcher>>();
  private readonly syncedRanges = new Set<Watcher>();
  /** Insertion order is the catch-up order; a watcher with more to read goes to the back. */
  private readonly unsynced = new Set<Watcher>();

  constructor(store: MvccStore) {
    this.store = store;
  }

  /**
   * Registers a watcher. Throws EmptyWatcherRangeError (key >= rangeEnd) or
   * WatcherDuplicateIdError; etcd turns both into a created+canceled response.
   */
  create(streamId: StreamId, opts: WatchCreateOptions): WatchCreateResult {
    const key = opts.key.length === 0 ? Buffer.from([0]) : opts.key;
    const skey = key.toString('latin1');
    const re = opts.rangeEnd;
    const end =
      re === undefined || re.length === 0 ? undefined : re.length === 1 && re[0] === 0 ? null : re.toString('latin1');
    if (typeof end === 'string' && skey >= end) throw new EmptyWatcherRangeError();

    let stream = this.streams.get(streamId);
    if (stream === undefined) {
      stream = { nextId: 0, watchers: new Map(), paused: false };
      this.streams.set(streamId, stream);
    }
    let id = opts.watchId ?? 0;
    if (id === 0) {
      while (stream.watchers.has(stream.nextId)) stream.nextId += 1;
      id = stream.nextId;
      stream.nextId += 1;
    } else if (stream.watchers.has(id)) {
      throw new WatcherDuplicateIdError();
    }

    const curRev = this.store.revision;
    const filters = opts.filters ?? [];
    // etcd's gRPC layer turns start revision 0 into "current + 1".
    const startRev = opts.startRevision === undefined || opts.startRevision === 0 ? curRev + 1 : opts.startRevision;
    const w: Watcher = {
      streamId,
      id,
      skey,
      end,
      prevKv: opts.prevKv === true,
      noPut: filters.includes('NOPUT'),
      noDelete: filters.includes('NODELETE'),
      progressNotify: opts.progressNotify === true,
      minRev: startRev,
      state: 'unsynced',
      progressDue: true,
    };
    stream.watchers.set(id, w);

    const compactRev = this.store.compactRevision;
    if (startRev <= curRev && startRev < compactRev) {
      w.state = 'compacted';
      const output: WatchOutput = { kind: 'compacted', streamId, watchId: id, revision: 0, compactRevision: compactRev };
      return { kind: 'compacted', watchId: id, headerRevision: curRev, compactRevision: compactRev, output };
    }
    if (startRev > curRev) {
      w.minRev = Math.max(curRev + 1, startRev);
      this.addSynced(w);
    } else {
      this.addUnsynced(w);
    }
    return { kind: 'registered', watchId: id, headerRevision: curRev };
  }

  /** Removes a watcher; false when the stream has no such id (etcd then sends nothing). */
  cancel(streamId: StreamId, watchId: number): boolean {
    const stream = this.streams.get(streamId);
    const w = stream?.watchers.get(watchId);
    if (stream === undefined || w === undefined) return false;
    this.detach(w);
    stream.watchers.delete(watchId);
    return true;
  }

  /** Drops every watcher of a closed stream. */
  cancelStream(streamId: StreamId): void {
    const stream = this.streams.get(streamId);
    if (stream === undefined) return;
    for (const w of stream.watchers.values()) this.detach(w);
    this.streams.delete(streamId);
  }

  /** Whether sync() has work: unsynced watchers of streams that are not paused. */
  hasUnsynced(): boolean {
    for (const w of this.unsynced) if (!this.isPaused(w)) return true;
    return false;
  }

  /**
   * A stream whose client stopped reading (etcd: its send buffer is full). Its synced
   * watchers become unsynced, like etcd's victims: nothing more is produced for them
   * until resumeStream(), after which sync() catches them up from history (or reports
   * compaction if history moved past them). Memory stays bounded however slow the client.
   */
  pauseStream(streamId: StreamId): void {
    const stream = this.streams.get(streamId);
    if (stream === undefined || stream.paused) return;
    stream.paused = true;
    for (const w of stream.watchers.values()) {
      if (w.state !== 'synced') continue;
      this.detach(w);
      this.addUnsynced(w);
    }
  }

  resumeStream(streamId: StreamId): void {
    const stream = this.streams.get(streamId);
    if (stream !== undefined) stream.paused = false;
  }

  private isPaused(w: Watcher): boolean {
    return this.streams.get(w.streamId)?.paused === true;
  }

  /** Delivers the events of one committed revision to synced watchers. */
  notify(events: readonly Event[], revision: number): WatchOutput[] {
    if (events.length === 0) return [];
    const batches = new Map<Watcher, Event[]>();
    for (const ev of events) {
      const skey = ev.kv.key.toString('latin1');
      const add = (w: Watcher): void => {
        if (ev.kv.modRevision < w.minRev) return; // don't double notify
        let list = batches.get(w);
        if (list === undefined) {
          list = [];
          batches.set(w, list);
        }
        list.push(ev);
      };
      const single = this.syncedByKey.get(skey);
      if (single !== undefined) for (const w of single) add(w);
      for (const w of this.syncedRanges) if (inRange(w, skey)) add(w);
    }
    const out: WatchOutput[] = [];
    for (const [w, evs] of batches) {
      // Deviation from etcd 3.4 (which leaves minRev alone here): remember what was
      // delivered so that a restore() re-sync cannot send these events twice.
      w.minRev = Math.max(w.minRev, revision + 1);
      this.emit(w, evs, revision, out);
    }
    return out;
  }

  /**
   * Catches up unsynced watchers from the store's history (etcd syncWatchers):
   * compacted ones get a compacted output and stop; others get up to
   * WATCH_BATCH_MAX_REVS revisions and become synced once they reach the
   * current revision.
   */
  sync(maxWatchers: number = MAX_WATCHERS_PER_SYNC): WatchOutput[] {
    if (this.unsynced.size === 0) return [];
    const curRev = this.store.revision;
    const compactRev = this.store.compactRevision;
    const out: WatchOutput[] = [];

    const chosen: Watcher[] = [];
    for (const w of this.unsynced) {
      if (chosen.length >= maxWatchers) break;
      if (!this.isPaused(w)) chosen.push(w);
    }
    const active: Watcher[] = [];
    let minRev = Infinity;
    for (const w of chosen) {
      if (w.minRev < compactRev) {
        this.unsynced.delete(w);
        w.state = 'compacted';
        out.push({ kind: 'compacted', streamId: w.streamId, watchId: w.id, revision: 0, compactRevision: compactRev });
        continue;
      }
      active.push(w);
      minRev = Math.min(minRev, w.minRev);
    }
    if (active.length === 0) return out;

    const batches = new Map<Watcher, EventBatch>();
    let full = 0;
    for (const ev of this.store.eventsFrom(minRev)) {
      if (ev.kv.modRevision > curRev) break;
      const skey = ev.kv.key.toString('latin1');
      for (const w of active) {
        if (ev.kv.modRevision < w.minRev || !inRange(w, skey)) continue;
        let b = batches.get(w);
        if (b === undefined) {
          b = { events: [], revs: 0, moreRev: 0 };
          batches.set(w, b);
        }
        if (addToBatch(b, ev)) full += 1;
      }
      if (full === active.length) break; // every watcher has a full batch
    }

    for (const w of active) {
      this.unsynced.delete(w);
      w.minRev = curRev + 1;
      const b = batches.get(w);
      if (b === undefined) {
        this.addSynced(w);
        continue;
      }
      if (b.moreRev !== 0) {
        w.minRev = b.moreRev;
        this.unsynced.add(w); // stays unsynced, behind the others
      } else {
        this.addSynced(w);
      }
      this.emit(w, b.events, curRev, out);
    }
    return out;
  }

  /** Progress for one watcher: only a synced watcher reports (etcd RequestProgress). */
  requestProgress(streamId: StreamId, watchId: number): WatchOutput[] {
    const w = this.streams.get(streamId)?.watchers.get(watchId);
    if (w === undefined || w.state !== 'synced') return [];
    return [{ kind: 'progress', streamId, watchId, revision: this.store.revision }];
  }

  /** A WatchProgressRequest: one stream-wide progress response (watch id -1). */
  requestProgressAll(streamId: StreamId): WatchOutput {
    return { kind: 'progress', streamId, watchId: -1, revision: this.store.revision };
  }

  /**
   * The periodic progress tick of etcd's sendLoop: each progress_notify
   * watcher that got no events since the previous tick reports progress (if synced).
   */
  progressTick(): WatchOutput[] {
    const out: WatchOutput[] = [];
    for (const [streamId, stream] of this.streams) {
      for (const w of stream.watchers.values()) {
        if (!w.progressNotify) continue;
        if (w.progressDue) out.push(...this.requestProgress(streamId, w.id));
        w.progressDue = true;
      }
    }
    return out;
  }

  /**
   * Points the hub at a store restored from a snapshot. Like etcd, every synced
   * watcher goes back to unsynced and catches up from its next revision.
   */
  restore(store: MvccStore): void {
    this.store = store;
    const synced = [...this.syncedByKey.values()].flatMap((s) => [...s]).concat([...this.syncedRanges]);
    this.syncedByKey.clear();
    this.syncedRanges.clear();
    for (const w of synced) this.addUnsynced(w);
  }

  // ---- internals ---------------------------------------------------------------

  private emit(w: Watcher, events: readonly Event[], revision: number, out: WatchOutput[]): void {
    let evs = events.filter((ev) => !((w.noPut && ev.type === 'PUT') || (w.noDelete && ev.type === 'DELETE')));
    if (evs.length === 0) return; // everything filtered out: send nothing
    if (w.prevKv) {
      evs = evs.map((ev) => {
        const prev = this.store.kvAt(ev.kv.key, ev.kv.modRevision - 1);
        return prev === undefined ? ev : { type: ev.type, kv: ev.kv, prevKv: prev };
      });
    }
    w.progressDue = false;
    out.push({ kind: 'events', streamId: w.streamId, watchId: w.id, revision, events: evs });
  }

  private addSynced(w: Watcher): void {
    w.state = 'synced';
    if (w.end === undefined) {
      let set = this.syncedByKey.get(w.skey);
      if (set === undefined) {
        set = new Set();
        this.syncedByKey.set(w.skey, set);
      }
      set.add(w);
    } else {
      this.syncedRanges.add(w);
    }
  }

  private addUnsynced(w: Watcher): void {
    w.state = 'unsynced';
    this.unsynced.add(w);
  }

  private detach(w: Watcher): void {
    switch (w.state) {
      case 'synced':
        if (w.end === undefined) {
          const set = this.syncedByKey.get(w.skey);
          set?.delete(w);
          if (set !== undefined && set.size === 0) this.syncedByKey.delete(w.skey);
        } else {
          this.syncedRanges.delete(w);
        }
        break;
      case 'unsynced':
        this.unsynced.delete(w);
        break;
      case 'compacted':
        break;
    }
  }
}

function inRange(w: Watcher, skey: string): boolean {
  if (w.end === undefined) return skey === w.skey;
  return skey >= w.skey && (w.end === null || skey < w.end);
}

/** etcd eventBatch.add: at most WATCH_BATCH_MAX_REVS distinct revisions. Returns true when it just filled up. */
function addToBatch(b: EventBatch, ev: Event): boolean {
  if (b.revs > WATCH_BATCH_MAX_REVS) return false;
  if (b.events.length === 0) {
    b.revs = 1;
    b.events.push(ev);
    return false;
  }
  const last = b.events[b.events.length - 1]!.kv.modRevision;
  if (ev.kv.modRevision > last) {
    b.revs += 1;
    if (b.revs > WATCH_BATCH_MAX_REVS) {
      b.moreRev = ev.kv.modRevision;
      return true;
    }
  }
  b.events.push(ev);
  return false;
}
