// @ts-check
// What the EndpointSlices of one namespace say about each pod IP, kept current by one
// list + watch (as a node proxy would see it), with waiters for "this IP became ready /
// not ready". Every event is timestamped when its message is handed to the client, before
// anything else is done with it, so latencies include the watch path and no bench work.
import { isApiError, Reason } from '@kemu/api';
import { sleep } from './pool.mjs';

/** How many times a broken watch is reopened before the view gives up. */
const MAX_REWATCHES = 20;

/**
 * @typedef {{ want: boolean, resolve: (t: number) => void }} Waiter
 */

export class SliceView {
  /**
   * @param {import('@kemu/api').KubeClient} client a client of its own (the watch's channel)
   * @param {string} namespace
   */
  constructor(client, namespace) {
    this.client = client;
    this.namespace = namespace;
    /** slice key -> (IP -> ready) @type {Map<string, Map<string, boolean>>} */
    this.slices = new Map();
    /** IP -> number of slices listing it as ready @type {Map<string, number>} */
    this.readyIn = new Map();
    /** @type {Map<string, Waiter>} */
    this.waiters = new Map();
    this.events = 0;
    this.rv = '';
    this.rewatches = 0;
    /** @type {string | undefined} */
    this.broken = undefined;
    /** @type {import('@kemu/api').WatchHandle | undefined} */
    this.handle = undefined;
    this.stopped = false;
    /** the last watch ended with 410 Expired: relist before watching again */
    this.expired = false;
  }

  /** Distinct IPs some slice lists as ready. */
  readyCount() {
    return this.readyIn.size;
  }

  sliceCount() {
    return this.slices.size;
  }

  /** @param {string} ip */
  isReady(ip) {
    return (this.readyIn.get(ip) ?? 0) > 0;
  }

  async start() {
    await this.relist();
    this.watchLoop().catch((err) => {
      this.broken = err instanceof Error ? err.message : String(err);
    });
  }

  stop() {
    this.stopped = true;
    this.handle?.close();
    for (const w of this.waiters.values()) w.resolve(NaN);
    this.waiters.clear();
  }

  /**
   * Resolves with the performance.now() of the event that made `ip` ready (want true) or not
   * ready (want false) in the slices, or NaN after timeoutMs / stop(). One waiter per IP.
   * @param {string} ip
   * @param {boolean} want
   * @param {number} timeoutMs
   * @returns {Promise<number>}
   */
  waitFor(ip, want, timeoutMs) {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(ip);
        resolve(NaN);
      }, timeoutMs);
      this.waiters.set(ip, {
        want,
        resolve: (t) => {
          clearTimeout(timer);
          resolve(t);
        },
      });
    });
  }

  /**
   * Waits (bounded) until `count` distinct IPs are ready in the slices.
   * @param {number} count
   * @param {number} timeoutMs
   * @param {(ready: number, elapsedMs: number) => void} [progress] called every 10 s
   * @param {() => void} [check] called every second; throws to give up (e.g. a process died)
   * @returns {Promise<number>} ms waited; throws on timeout
   */
  async waitReadyCount(count, timeoutMs, progress, check) {
    const t0 = performance.now();
    let lastReport = t0;
    let lastCheck = t0;
    while (this.readyCount() < count) {
      if (this.broken) throw new Error(`endpointslice watch broke: ${this.broken}`);
      const now = performance.now();
      if (check && now - lastCheck >= 1000) {
        lastCheck = now;
        check();
      }
      if (now - t0 > timeoutMs) throw new Error(`only ${this.readyCount()} of ${count} endpoints ready in the slices after ${Math.round(timeoutMs / 1000)} s`);
      if (progress && now - lastReport >= 10_000) {
        lastReport = now;
        progress(this.readyCount(), now - t0);
      }
      await sleep(50);
    }
    return performance.now() - t0;
  }

  async relist() {
    const list = await this.client.list('endpointslices', { namespace: this.namespace });
    const t = performance.now();
    const seen = new Set();
    for (const s of list.items) {
      const key = s.metadata?.name ?? '';
      seen.add(key);
      this.apply(key, s, t);
    }
    for (const key of [...this.slices.keys()]) if (!seen.has(key)) this.apply(key, undefined, t);
    this.rv = list.resourceVersion;
  }

  async watchLoop() {
    while (!this.stopped) {
      const handle = this.client.watch('endpointslices', { namespace: this.namespace, resourceVersion: this.rv, allowWatchBookmarks: true }, (e) => {
        const t = performance.now();
        this.events++;
        if (e.type === 'ERROR') {
          this.expired = e.status.reason === Reason.Expired || e.status.code === 410;
          return;
        }
        this.rv = e.object.metadata?.resourceVersion ?? this.rv;
        if (e.type === 'BOOKMARK') return;
        this.apply(e.object.metadata?.name ?? '', e.type === 'DELETED' ? undefined : e.object, t);
      });
      this.handle = handle;
      this.expired = false;
      try {
        await handle.done;
      } catch (err) {
        if (isApiError(err, Reason.Expired) || isApiError(err, Reason.Gone)) this.expired = true;
      }
      if (this.stopped) return;
      if (++this.rewatches > MAX_REWATCHES) throw new Error(`endpointslice watch ended ${MAX_REWATCHES} times`);
      await sleep(200);
      if (this.expired) await this.relist();
    }
  }

  /**
   * @param {string} key slice name
   * @param {import('@kemu/api').EndpointSlice | undefined} slice undefined: deleted
   * @param {number} t when the event arrived
   */
  apply(key, slice, t) {
    const before = this.slices.get(key) ?? new Map();
    /** @type {Map<string, boolean>} */
    const after = new Map();
    for (const e of slice?.endpoints ?? []) for (const a of e.addresses ?? []) after.set(a, e.conditions?.ready === true);
    if (slice) this.slices.set(key, after);
    else this.slices.delete(key);
    /** @type {Set<string>} */
    const touched = new Set();
    for (const [ip, ready] of before) {
      if (ready && after.get(ip) !== true) this.bump(ip, -1);
      touched.add(ip);
    }
    for (const [ip, ready] of after) {
      if (ready && before.get(ip) !== true) this.bump(ip, +1);
      touched.add(ip);
    }
    if (this.waiters.size === 0) return;
    for (const ip of touched) {
      const w = this.waiters.get(ip);
      if (w && this.isReady(ip) === w.want) {
        this.waiters.delete(ip);
        w.resolve(t);
      }
    }
  }

  /** @param {string} ip @param {number} d */
  bump(ip, d) {
    const n = (this.readyIn.get(ip) ?? 0) + d;
    if (n > 0) this.readyIn.set(ip, n);
    else this.readyIn.delete(ip);
  }
}
