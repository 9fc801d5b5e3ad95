// @ts-check
// The workloads: populating services and pods, endpoint propagation latency, list and watch
// throughput. Every loop is bounded in count and in time.
import { NAMESPACE, nodeIP, nodeName } from './cluster.mjs';
import { errText, median, quantile, runPool, sleep, withRetry } from './pool.mjs';
import { isApiError, Reason } from '@kemu/api';

/** @typedef {import('@kemu/api').KubeClient} KubeClient */
/** @typedef {import('./pool.mjs').PoolResult} PoolResult */

/** @param {number} i */
export const serviceName = (i) => `svc-${String(i).padStart(5, '0')}`;
/** @param {number} i @param {number} j */
export const podName = (i, j) => `${serviceName(i)}-${j}`;

/**
 * Pod IPs are data only (nothing is bound to them): 127.244.0.0 onwards, one per pod,
 * so 100,000 pods reach into 127.245.x.y.
 * @param {number} g the pod's global index
 */
export function podIP(g) {
  return `127.${244 + (g >> 16)}.${(g >> 8) & 255}.${g & 255}`;
}
export const MAX_PODS = 11 << 16;

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** @param {boolean} ready @param {string} t */
function conditions(ready, t) {
  const s = ready ? 'True' : 'False';
  return [
    { type: 'PodScheduled', status: 'True', lastTransitionTime: t },
    { type: 'Initialized', status: 'True', lastTransitionTime: t },
    { type: 'ContainersReady', status: s, lastTransitionTime: t },
    { type: 'Ready', status: s, lastTransitionTime: t },
  ];
}

/**
 * @typedef {object} Layout
 * @property {number} podsPerService
 * @property {number} nodes
 */

/**
 * Sets a pod Ready or not Ready, as a kubelet's status update would.
 * @param {KubeClient} client
 * @param {string} name
 * @param {boolean} ready
 */
export function setPodReady(client, name, ready) {
  return client.patch('pods', NAMESPACE, name, { status: { conditions: conditions(ready, now()) } }, { status: true });
}

const alreadyExists = (/** @type {unknown} */ err) => isApiError(err, Reason.AlreadyExists);

/**
 * @typedef {object} PopulateResult
 * @property {number} services total services after this stage
 * @property {number} pods total pods after this stage
 * @property {PoolResult} podCreates
 * @property {PoolResult} podStatuses
 * @property {PoolResult} serviceCreates
 * @property {number | undefined} convergeMs from the last Service create until every pod IP was ready in the slices
 * @property {number | undefined} publishMs from the first Service create of the stage until then
 * @property {string} [error]
 */

/**
 * Adds Services [from, to) with `podsPerService` pods each: pods first (bound to a node,
 * labelled for their Service), then their status (Running, Ready, a pod IP; the apiserver
 * resets status on create), then the Services, so the controller-manager sees each Service
 * with its pods ready. Waits until the slices list every pod IP as ready.
 * @param {KubeClient} client
 * @param {import('./slice-view.mjs').SliceView} view
 * @param {{ from: number, to: number, layout: Layout, concurrency: number, maxMs: number, log: (s: string) => void, phase?: (name: string) => void, exited?: () => string[] }} o
 *   `phase` is called as each step ends (for CPU accounting)
 * @returns {Promise<PopulateResult>}
 */
export async function populate(client, view, o) {
  const { from, to, layout, concurrency, maxMs, log } = o;
  const pps = layout.podsPerService;
  const count = (to - from) * pps;
  const podOf = (/** @type {number} */ k) => {
    const g = from * pps + k;
    return { i: Math.floor(g / pps), j: g % pps, g };
  };
  const progress = (/** @type {string} */ what, /** @type {number} */ total) => (/** @type {number} */ done, /** @type {number} */ ms) =>
    log(`    ${what}: ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} (${Math.round(done / (ms / 1000))}/s)`);

  const podCreates = await runPool(
    count,
    concurrency,
    async (k) => {
      const { i, j, g } = podOf(k);
      await withRetry(
        () =>
          client.create('pods', {
            metadata: { name: podName(i, j), namespace: NAMESPACE, labels: { app: serviceName(i) } },
            spec: {
              nodeName: nodeName(g % layout.nodes),
              containers: [{ name: 'app', image: 'kemu/http-echo', ports: [{ name: 'http', containerPort: 8080 }] }],
            },
          }),
        { alreadyDone: alreadyExists },
      );
    },
    { maxMs, progress: progress('pod creates', count) },
  );
  log(`    pod creates: ${podCreates.ok.toLocaleString('en-US')} in ${(podCreates.elapsedMs / 1000).toFixed(1)} s, ${Math.round(podCreates.rate)}/s${podCreates.errors ? `, ${podCreates.errors} failed (${podCreates.firstError})` : ''}`);

  o.phase?.('pod creates');
  const started = now();
  const podStatuses = await runPool(
    count,
    concurrency,
    async (k) => {
      const { i, j, g } = podOf(k);
      const ip = podIP(g);
      await withRetry(() =>
        client.patch(
          'pods',
          NAMESPACE,
          podName(i, j),
          { status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], hostIP: nodeIP(g % layout.nodes), startTime: started, conditions: conditions(true, started) } },
          { status: true },
        ),
      );
    },
    { maxMs, progress: progress('pod status writes', count) },
  );
  log(`    pod status writes: ${podStatuses.ok.toLocaleString('en-US')} in ${(podStatuses.elapsedMs / 1000).toFixed(1)} s, ${Math.round(podStatuses.rate)}/s${podStatuses.errors ? `, ${podStatuses.errors} failed (${podStatuses.firstError})` : ''}`);

  o.phase?.('pod status writes');
  const tServices = performance.now();
  const serviceCreates = await runPool(
    to - from,
    concurrency,
    async (k) => {
      const name = serviceName(from + k);
      await withRetry(
        () =>
          client.create('services', {
            metadata: { name, namespace: NAMESPACE },
            spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
          }),
        { alreadyDone: alreadyExists },
      );
    },
    { maxMs, progress: progress('service creates', to - from) },
  );
  const tLastService = performance.now();
  log(`    service creates: ${serviceCreates.ok.toLocaleString('en-US')} in ${(serviceCreates.elapsedMs / 1000).toFixed(1)} s, ${Math.round(serviceCreates.rate)}/s${serviceCreates.errors ? `, ${serviceCreates.errors} failed (${serviceCreates.firstError})` : ''}`);

  /** @type {PopulateResult} */
  const r = { services: to, pods: to * pps, podCreates, podStatuses, serviceCreates, convergeMs: undefined, publishMs: undefined };
  const failed = [podCreates, podStatuses, serviceCreates].find((x) => !x.complete);
  if (failed) {
    r.error = `setup incomplete: ${failed.ok} of the calls succeeded${failed.firstError ? ` (${failed.firstError})` : ' (time limit)'}`;
    return r;
  }
  try {
    await view.waitReadyCount(
      to * pps,
      maxMs,
      (ready, ms) => log(`    waiting for the slices: ${ready.toLocaleString('en-US')}/${(to * pps).toLocaleString('en-US')} endpoints ready, ${view.sliceCount().toLocaleString('en-US')} slices (${(ms / 1000).toFixed(0)} s)`),
      () => {
        const gone = o.exited?.() ?? [];
        if (gone.length) throw new Error(`${gone.join(', ')} exited`);
      },
    );
    const t = performance.now();
    r.convergeMs = t - tLastService;
    r.publishMs = t - tServices;
    log(`    every endpoint ready in the slices ${(r.convergeMs / 1000).toFixed(1)} s after the last service create (${(r.publishMs / 1000).toFixed(1)} s after the first)`);
  } catch (err) {
    r.error = errText(err);
  }
  o.phase?.('service creates until slices complete');
  return r;
}

/**
 * @typedef {object} LatencyStats
 * @property {number} n samples
 * @property {number} p50
 * @property {number} p99
 * @property {number} max
 */

/** @param {number[]} xs @returns {LatencyStats | undefined} */
export function stats(xs) {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50: quantile(s, 0.5), p99: quantile(s, 0.99), max: /** @type {number} */ (s[s.length - 1]) };
}

/**
 * @typedef {object} PropagationResult
 * @property {LatencyStats | undefined} ready pod Ready -> slice says ready
 * @property {LatencyStats | undefined} notReady pod not Ready -> slice says not ready
 * @property {LatencyStats | undefined} write the status write's own round trip (part of both)
 * @property {LatencyStats | undefined} podSeen pod Ready -> a pod watcher sees the update (the
 *   controller-manager's informer sees it about then): the apiserver's share
 * @property {LatencyStats | undefined} sliceAfterPod that pod event -> the slice event: the
 *   controller-manager's reaction, its slice write and the slice's way back
 * @property {number} timeouts
 * @property {number} elapsedMs
 * @property {string} [error]
 */

/**
 * Timestamps pod updates as a watcher (like the controller-manager's informer) receives
 * them: waitFor(name, ready) resolves with the arrival time of the update that shows the pod
 * with that readiness.
 */
class PodWatch {
  /** @param {KubeClient} client a client of its own @param {string} rv */
  constructor(client, rv) {
    /** @type {Map<string, { want: boolean, resolve: (t: number) => void }>} */
    this.waiters = new Map();
    this.handle = client.watch('pods', { namespace: NAMESPACE, resourceVersion: rv }, (e) => {
      const t = performance.now();
      if (e.type !== 'MODIFIED') return;
      const name = e.object.metadata?.name ?? '';
      const w = this.waiters.get(name);
      if (!w) return;
      const ready = e.object.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      if (ready === w.want) {
        this.waiters.delete(name);
        w.resolve(t);
      }
    });
  }

  /** @param {string} name @param {boolean} want @param {number} timeoutMs @returns {Promise<number>} NaN on timeout */
  waitFor(name, want, timeoutMs) {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(name);
        resolve(NaN);
      }, timeoutMs);
      this.waiters.set(name, {
        want,
        resolve: (t) => {
          clearTimeout(timer);
          resolve(t);
        },
      });
    });
  }

  close() {
    this.handle.close();
    for (const w of this.waiters.values()) w.resolve(NaN);
    this.waiters.clear();
  }
}

/**
 * One sample at a time: a Ready pod is made not Ready, then Ready again. Each latency runs
 * from just before the status write to the watch event of the slice that shows the change.
 * Samples spread evenly over Services [0, services).
 * @param {KubeClient} client
 * @param {import('./slice-view.mjs').SliceView} view
 * @param {KubeClient} podClient a client of its own, for the pod watch
 * @param {{ services: number, layout: Layout, samples: number, maxMs: number, timeoutMs: number, log: (s: string) => void }} o
 * @returns {Promise<PropagationResult>}
 */
export async function propagation(client, view, podClient, o) {
  const pps = o.layout.podsPerService;
  /** @type {number[]} */
  const ready = [];
  /** @type {number[]} */
  const notReady = [];
  /** @type {number[]} */
  const write = [];
  /** @type {number[]} */
  const podSeen = [];
  /** @type {number[]} */
  const sliceAfterPod = [];
  let timeouts = 0;
  /** @type {string | undefined} */
  let error;
  const t0 = performance.now();
  let lastReport = t0;
  const pods = new PodWatch(podClient, (await client.list('pods', { namespace: NAMESPACE, limit: 1 })).resourceVersion);
  /**
   * @param {string} name @param {string} ip @param {boolean} want
   * @returns {Promise<number>} latency ms or NaN on timeout
   */
  const flip = async (name, ip, want) => {
    const seen = view.waitFor(ip, want, o.timeoutMs);
    const podEvent = pods.waitFor(name, want, o.timeoutMs);
    const start = performance.now();
    await setPodReady(client, name, want);
    write.push(performance.now() - start);
    const [tSlice, tPod] = await Promise.all([seen, podEvent]);
    if (want && !Number.isNaN(tPod)) {
      podSeen.push(tPod - start);
      if (!Number.isNaN(tSlice)) sliceAfterPod.push(tSlice - tPod);
    }
    return tSlice - start;
  };
  try {
    for (let k = 0; k < o.samples; k++) {
      if (performance.now() - t0 > o.maxMs) break;
      if (timeouts >= 5) {
        error = `${timeouts} samples timed out after ${o.timeoutMs} ms: stopped`;
        break;
      }
      const i = Math.min(o.services - 1, Math.floor(((k + 0.5) * o.services) / o.samples));
      const j = k % pps;
      const name = podName(i, j);
      const ip = podIP(i * pps + j);
      try {
        if (!view.isReady(ip)) {
          // A previous sample timed out half-way: bring it back first.
          await setPodReady(client, name, true);
          await sleep(100);
        }
        const down = await flip(name, ip, false);
        if (Number.isNaN(down)) timeouts++;
        else notReady.push(down);
        const up = await flip(name, ip, true);
        if (Number.isNaN(up)) timeouts++;
        else ready.push(up);
      } catch (err) {
        error = errText(err);
        break;
      }
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        log(o, ready);
      }
    }
  } finally {
    pods.close();
  }
  return {
    ready: stats(ready),
    notReady: stats(notReady),
    write: stats(write),
    podSeen: stats(podSeen),
    sliceAfterPod: stats(sliceAfterPod),
    timeouts,
    elapsedMs: performance.now() - t0,
    ...(error ? { error } : {}),
  };
}

/** @param {{ samples: number, log: (s: string) => void }} o @param {number[]} ready */
function log(o, ready) {
  const s = stats(ready);
  o.log(`    ${ready.length}/${o.samples} samples${s ? `, so far p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms` : ''}`);
}

/**
 * @typedef {object} ListTiming
 * @property {string} what
 * @property {number} items
 * @property {number} ms median wall time of the calls, including decoding every item
 * @property {number} calls
 * @property {string} [error]
 */

/**
 * Times one list call shape `repeat` times; paginated lists follow `continue` to the end.
 * @param {KubeClient} client
 * @param {string} what
 * @param {import('@kemu/api').ResourceName} resource
 * @param {{ repeat: number, limit?: number }} o
 * @returns {Promise<ListTiming>}
 */
export async function timeList(client, what, resource, o) {
  /** @type {number[]} */
  const times = [];
  let items = 0;
  try {
    for (let k = 0; k < o.repeat; k++) {
      const t0 = performance.now();
      let n = 0;
      let cont = '';
      let pages = 0;
      do {
        const page = await client.list(resource, { namespace: NAMESPACE, limit: o.limit ?? 0, continue: cont });
        n += page.items.length;
        cont = page.continue;
        if (++pages > 10_000) throw new Error('more than 10,000 pages');
      } while (cont);
      times.push(performance.now() - t0);
      items = n;
    }
    return { what, items, ms: median(times), calls: times.length };
  } catch (err) {
    return { what, items, ms: times.length ? median(times) : NaN, calls: times.length, error: errText(err) };
  }
}

/**
 * @typedef {object} ReplayResult
 * @property {string} resource
 * @property {number} expected
 * @property {number} events ADDED events received
 * @property {number} ms until the last one
 * @property {number} rate events per second
 * @property {string} [error] the watch ended or timed out early
 */

/**
 * A new watch that asks for the current state first (sendInitialEvents): how fast the
 * apiserver streams `expected` objects to one watcher.
 * @param {KubeClient} client a client of its own
 * @param {import('@kemu/api').ResourceName} resource
 * @param {number} expected
 * @param {number} timeoutMs
 * @returns {Promise<ReplayResult>}
 */
export async function watchReplay(client, resource, expected, timeoutMs) {
  let events = 0;
  let tLast = 0;
  const t0 = performance.now();
  /** @type {(v: void) => void} */
  let got = () => undefined;
  const all = new Promise((r) => (got = r));
  const handle = client.watch(resource, { namespace: NAMESPACE, sendInitialEvents: true }, (e) => {
    if (e.type !== 'ADDED') return;
    events++;
    tLast = performance.now();
    if (events >= expected) got();
  });
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const timeout = new Promise((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
  const outcome = await Promise.race([all.then(() => 'all'), handle.done.then(() => 'ended', (err) => `ended: ${errText(err)}`), timeout]);
  clearTimeout(timer);
  handle.close();
  const ms = tLast - t0;
  /** @type {ReplayResult} */
  const r = { resource, expected, events, ms, rate: events / (ms / 1000) };
  if (outcome !== 'all') r.error = outcome === 'timeout' ? `${events} of ${expected} events after ${timeoutMs / 1000} s` : `watch ${outcome} after ${events} of ${expected} events`;
  return r;
}

/**
 * @typedef {object} BurstResult
 * @property {number} watchers
 * @property {number} updates status updates written (and acknowledged)
 * @property {number} writeRate updates per second
 * @property {number} delivered events received by all watchers together
 * @property {number} deliveredRate events per second, all watchers together, from the first write to the last event
 * @property {number} lagMs from the last acknowledged write to the last event delivered
 * @property {string} [error]
 */

/**
 * K watchers on the namespace's pods (each with its own client, from the current
 * resourceVersion), then `updates` pod status writes that change nothing the controllers
 * care about (status.message), `concurrency` in flight; every watcher must see every one.
 * @param {KubeClient} writer
 * @param {KubeClient[]} watchClients one per watcher
 * @param {{ pods: number, layout: Layout, updates: number, concurrency: number, round: string, timeoutMs: number }} o
 * @returns {Promise<BurstResult>}
 */
export async function watchBurst(writer, watchClients, o) {
  const pps = o.layout.podsPerService;
  const updates = Math.min(o.updates, o.pods);
  const marker = `bench-burst-${o.round}`;
  const rv = (await writer.list('pods', { namespace: NAMESPACE, limit: 1 })).resourceVersion;
  const counts = watchClients.map(() => 0);
  let tLast = 0;
  /** @type {(v: void) => void} */
  let allSeen = () => undefined;
  const seen = new Promise((r) => (allSeen = r));
  let complete = 0;
  const handles = watchClients.map((c, w) =>
    c.watch('pods', { namespace: NAMESPACE, resourceVersion: rv }, (e) => {
      if (e.type !== 'MODIFIED' || e.object.status?.message !== marker) return;
      tLast = performance.now();
      if (++counts[w] === updates && ++complete === watchClients.length) allSeen();
    }),
  );
  try {
    await sleep(200);
    const step = Math.max(1, Math.floor(o.pods / updates));
    const t0 = performance.now();
    const writes = await runPool(
      updates,
      o.concurrency,
      async (k) => {
        const g = k * step;
        await withRetry(() => writer.patch('pods', NAMESPACE, podName(Math.floor(g / pps), g % pps), { status: { message: marker } }, { status: true }));
      },
      { maxMs: o.timeoutMs },
    );
    const tWritten = performance.now();
    /** @type {NodeJS.Timeout | undefined} */
    let timer;
    const ok = await Promise.race([seen.then(() => true), new Promise((r) => (timer = setTimeout(() => r(false), o.timeoutMs)))]);
    clearTimeout(timer);
    const delivered = counts.reduce((a, b) => a + b, 0);
    /** @type {BurstResult} */
    const r = {
      watchers: watchClients.length,
      updates: writes.ok,
      writeRate: writes.rate,
      delivered,
      deliveredRate: delivered / ((tLast - t0) / 1000),
      lagMs: tLast - tWritten,
    };
    if (!writes.complete) r.error = `${writes.ok} of ${updates} writes succeeded${writes.firstError ? ` (${writes.firstError})` : ''}`;
    else if (!ok) r.error = `watchers saw ${counts.join(', ')} of ${updates} updates within ${o.timeoutMs / 1000} s`;
    return r;
  } finally {
    for (const h of handles) h.close();
  }
}
