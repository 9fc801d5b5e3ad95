import type { Logger } from '@kemu/common';
import { WatchHub, type MvccStore, type WatchCreateOptions, type WatchCreateResult, type WatchOutput, type Event } from './mvcc/index.js';

export type WatchSink = (out: WatchOutput) => void;

/**
 * The driver around the pure WatchHub: it owns the gRPC streams (as sinks), feeds the
 * hub each applied write, and runs catch-up of watchers that started in the past in
 * small steps on the event loop so one slow catch-up never blocks applying entries.
 */
export class WatchBroker {
  private readonly hub: WatchHub;
  private readonly sinks = new Map<number, WatchSink>();
  private nextStream = 1;
  private syncScheduled = false;

  constructor(
    private readonly store: () => MvccStore,
    private readonly log: Logger,
  ) {
    this.hub = new WatchHub(store());
  }

  openStream(sink: WatchSink): number {
    const id = this.nextStream++;
    this.sinks.set(id, sink);
    return id;
  }

  closeStream(streamId: number): void {
    this.hub.cancelStream(streamId);
    this.sinks.delete(streamId);
  }

  /** Throws EmptyWatcherRangeError / WatcherDuplicateIdError (answered as created+canceled). */
  create(streamId: number, opts: WatchCreateOptions): WatchCreateResult {
    const r = this.hub.create(streamId, opts);
    this.scheduleSync();
    return r;
  }

  cancel(streamId: number, watchId: number): boolean {
    return this.hub.cancel(streamId, watchId);
  }

  /** The stream's client stopped reading: stop producing for it (see WatchHub.pauseStream). */
  pause(streamId: number): void {
    this.hub.pauseStream(streamId);
  }

  /** The stream drained: its watchers catch up from history. */
  resume(streamId: number): void {
    this.hub.resumeStream(streamId);
    this.scheduleSync();
  }

  requestProgress(streamId: number): void {
    this.dispatch([this.hub.requestProgressAll(streamId)]);
  }

  /** After every applied write (on the apply path: must stay cheap). */
  notify(events: Event[], revision: number): void {
    if (events.length === 0 || this.sinks.size === 0) return;
    this.dispatch(this.hub.notify(events, revision));
  }

  compacted(_compactRevision: number): void {
    this.scheduleSync();
  }

  /** The store was replaced by a snapshot: every watcher catches up again. */
  restored(): void {
    this.hub.restore(this.store());
    this.scheduleSync();
  }

  progressNotify(): void {
    this.dispatch(this.hub.progressTick());
  }

  closeAll(): void {
    for (const id of [...this.sinks.keys()]) this.closeStream(id);
  }

  private dispatch(outputs: WatchOutput[]): void {
    for (const o of outputs) {
      const sink = this.sinks.get(o.streamId as number);
      if (!sink) continue;
      try {
        sink(o);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'watch stream failed; closing it');
        this.closeStream(o.streamId as number);
      }
    }
  }

  private scheduleSync(): void {
    if (this.syncScheduled) return;
    this.syncScheduled = true;
    setImmediate(() => {
      this.syncScheduled = false;
      if (!this.hub.hasUnsynced()) return;
      this.dispatch(this.hub.sync());
      if (this.hub.hasUnsynced()) this.scheduleSync();
    });
  }
}
