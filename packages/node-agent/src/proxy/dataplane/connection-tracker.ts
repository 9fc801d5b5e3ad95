import type { Splice } from './splicer.js';

/**
 * Open TCP pairs by service port and endpoint, so that removing an endpoint closes exactly
 * the connections that go to it and nothing else. Clients still being dialled for are
 * counted too (reserve()): a burst of accepts must not outrun the limits while every
 * backend connect is still in flight, each holding two descriptors.
 */
export class ConnectionTracker {
  private readonly byPort = new Map<string, Map<string, Set<Splice>>>();
  private readonly perPort = new Map<string, number>();
  private total = 0;

  /** Pairs open plus clients being dialled for. */
  get size(): number {
    return this.total;
  }

  countFor(servicePort: string): number {
    return this.perPort.get(servicePort) ?? 0;
  }

  /** Counts a client being dialled for; the returned function (call once) uncounts it. */
  reserve(servicePort: string): () => void {
    this.count(servicePort, +1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.count(servicePort, -1);
    };
  }

  private count(servicePort: string, by: number): void {
    this.total += by;
    const n = (this.perPort.get(servicePort) ?? 0) + by;
    if (n <= 0) this.perPort.delete(servicePort);
    else this.perPort.set(servicePort, n);
  }

  /** Records a live pair; the returned function forgets it (call once, when it ends). */
  add(servicePort: string, endpoint: string, splice: Splice): () => void {
    let eps = this.byPort.get(servicePort);
    if (!eps) this.byPort.set(servicePort, (eps = new Map<string, Set<Splice>>()));
    let set = eps.get(endpoint);
    if (!set) eps.set(endpoint, (set = new Set()));
    set.add(splice);
    const release = this.reserve(servicePort);
    return () => {
      if (!set.delete(splice)) return;
      release();
      if (set.size === 0) eps.delete(endpoint);
      if (eps.size === 0) this.byPort.delete(servicePort);
    };
  }

  /** Closes every pair of `servicePort` going to one of `endpoints`; returns how many. */
  closeEndpoints(servicePort: string, endpoints: readonly string[]): number {
    const eps = this.byPort.get(servicePort);
    if (!eps) return 0;
    let n = 0;
    for (const ep of endpoints) {
      for (const s of [...(eps.get(ep) ?? [])]) {
        s.close();
        n++;
      }
    }
    return n;
  }
}
