import type { Splice } from './splicer.js';

/**
 * Open TCP pairs by service port and endpoint, so that removing an endpoint closes exactly
 * the connections that go to it and nothing else.
 */
export class ConnectionTracker {
  private readonly byPort = new Map<string, Map<string, Set<Splice>>>();
  private readonly perPort = new Map<string, number>();
  private total = 0;

  get size(): number {
    return this.total;
  }

  countFor(servicePort: string): number {
    return this.perPort.get(servicePort) ?? 0;
  }

  /** Records a live pair; the returned function forgets it (call once, when it ends). */
  add(servicePort: string, endpoint: string, splice: Splice): () => void {
    let eps = this.byPort.get(servicePort);
    if (!eps) this.byPort.set(servicePort, (eps = new Map<string, Set<Splice>>()));
    let set = eps.get(endpoint);
    if (!set) eps.set(endpoint, (set = new Set()));
    set.add(splice);
    this.total++;
    this.perPort.set(servicePort, (this.perPort.get(servicePort) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.total--;
      const n = (this.perPort.get(servicePort) ?? 1) - 1;
      if (n === 0) this.perPort.delete(servicePort);
      else this.perPort.set(servicePort, n);
      set.delete(splice);
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
