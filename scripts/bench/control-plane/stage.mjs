// @ts-check
// One stage: grow the cluster to `n` Services, then measure propagation, lists, watches and
// RSS at that size. CPU per process is recorded phase by phase.
import { cpuMs, machineCpu, peakRssKiB, rssKiB } from '../proc-stats.mjs';
import { errText, sleep } from './pool.mjs';
import { populate, propagation, timeList, watchBurst, watchReplay } from './workloads.mjs';
import { loadavg } from 'node:os';

/**
 * @typedef {import('./cluster.mjs').BenchProcess} BenchProcess
 * @typedef {import('./report.mjs').StageResult} StageResult
 * @typedef {object} StageContext
 * @property {import('@kemu/api').KubeClient} client the writer
 * @property {import('./slice-view.mjs').SliceView} view
 * @property {() => BenchProcess[]} procs
 * @property {() => string[]} exited names of control plane processes that have exited
 * @property {() => Promise<number | undefined>} etcdTerm the etcd cluster's raft term
 * @property {() => Record<string, number>} logMark how far each process's log has been written
 * @property {(mark: Record<string, number>) => Record<string, Record<string, { count: number, maxMs: number | undefined }>>} warnings
 *   warn/error lines logged since the mark, per process and message
 * @property {() => import('@kemu/api').KubeClient} newClient a client with a connection of its own
 * @property {(s: string) => void} log
 * @property {import('./workloads.mjs').Layout} layout
 * @property {number} concurrency calls in flight while populating
 * @property {number} samples propagation samples
 * @property {number} burst pod updates for the watch burst
 */

/**
 * phase(name) records the CPU each process (and the bench itself) used since the previous call.
 * @param {() => BenchProcess[]} procs
 * @param {StageResult['cpu']} into
 * @param {(s: string) => void} log
 */
function cpuMeter(procs, into, log) {
  const read = () => {
    const own = process.cpuUsage();
    /** @type {Record<string, number>} */
    const m = { bench: (own.user + own.system) / 1000 };
    for (const p of procs()) m[p.name] = cpuMs(p.pid) ?? NaN;
    return m;
  };
  let last = read();
  let t = performance.now();
  return (/** @type {string} */ phase) => {
    const now = read();
    /** @type {Record<string, number>} */
    const cpu = {};
    for (const [k, v] of Object.entries(now)) cpu[k] = v - (last[k] ?? 0);
    const wall = performance.now() - t;
    into.push({ phase, ms: wall, cpu });
    const busiest = Object.entries(cpu)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`);
    log(`    [cpu] ${phase}: ${busiest.join(', ')} in ${(wall / 1000).toFixed(1)} s`);
    last = now;
    t = performance.now();
  };
}

/**
 * Waits (at most maxMs) until the control plane's processes together use less than
 * `idleCores` of CPU over a 2 s window: the controller-manager may still be writing
 * Endpoints (core/v1) after the slices are complete, which would load the latency samples.
 * @param {() => BenchProcess[]} procs
 * @param {number} idleCores
 * @param {number} maxMs
 * @returns {Promise<number>} ms waited
 */
async function waitQuiet(procs, idleCores, maxMs) {
  const t0 = performance.now();
  const total = () => procs().reduce((sum, p) => sum + (cpuMs(p.pid) ?? 0), 0);
  for (;;) {
    const a = total();
    await sleep(2000);
    const used = (total() - a) / 2000;
    if (used < idleCores || performance.now() - t0 > maxMs) return performance.now() - t0;
  }
}

const fmt = (/** @type {number} */ x) => x.toLocaleString('en-US');

/**
 * @param {StageContext} ctx
 * @param {number} from Services that exist already
 * @param {number} n Services after this stage
 * @returns {Promise<StageResult>}
 */
export async function runStage(ctx, from, n) {
  const { client, view, procs, log, layout } = ctx;
  /** @type {StageResult} */
  const r = {
    services: n,
    pods: n * layout.podsPerService,
    populate: /** @type {StageResult['populate']} */ (/** @type {unknown} */ (undefined)),
    propagation: undefined,
    lists: [],
    replays: [],
    burst: undefined,
    procs: [],
    cpu: [],
    load: [loadavg()[0] ?? 0],
    steal: NaN,
    elections: undefined,
    warnings: {},
    warningMessages: [],
    errors: [],
  };
  const cpu0 = machineCpu();
  const term0 = await ctx.etcdTerm();
  const mark = ctx.logMark();
  const phase = cpuMeter(procs, r.cpu, log);
  r.populate = await populate(client, view, { from, to: n, layout, concurrency: ctx.concurrency, maxMs: 15 * 60_000, log, phase, exited: ctx.exited });
  if (r.populate.error) r.errors.push(`setup: ${r.populate.error}`);
  const quietMs = await waitQuiet(procs, 0.3, 5 * 60_000);
  log(`  control plane quiet (< 0.3 cores) ${(quietMs / 1000).toFixed(0)} s later`);
  phase('settling');

  if (r.populate.convergeMs !== undefined) {
    log(`  propagation: ${ctx.samples} samples, one at a time`);
    const podClient = ctx.newClient();
    const p = await propagation(client, view, podClient, { services: n, layout, samples: ctx.samples, maxMs: 4 * 60_000, timeoutMs: 30_000, log }).finally(() => podClient.close());
    r.propagation = p;
    if (p.ready) log(`    pod Ready → slice: p50 ${p.ready.p50.toFixed(1)} ms, p99 ${p.ready.p99.toFixed(1)} ms, max ${p.ready.max.toFixed(1)} ms (${p.ready.n} samples${p.timeouts ? `, ${p.timeouts} timed out` : ''})`);
    if (p.notReady) log(`    pod not Ready → slice: p50 ${p.notReady.p50.toFixed(1)} ms, p99 ${p.notReady.p99.toFixed(1)} ms`);
    if (p.write && p.podSeen && p.sliceAfterPod) {
      log(`    of which (p50 / p99): status write ${p.write.p50.toFixed(1)} / ${p.write.p99.toFixed(1)} ms; pod update on a pod watch ${p.podSeen.p50.toFixed(1)} / ${p.podSeen.p99.toFixed(1)} ms; slice after that ${p.sliceAfterPod.p50.toFixed(1)} / ${p.sliceAfterPod.p99.toFixed(1)} ms`);
    }
    if (p.error) r.errors.push(`propagation: ${p.error}`);
    phase('propagation samples');
  }

  log('  lists');
  const big = r.pods > 20_000;
  for (const [what, resource, opts] of /** @type {const} */ ([
    ['services', 'services', { repeat: 3 }],
    ['endpointslices', 'endpointslices', { repeat: 3 }],
    ['pods', 'pods', { repeat: big ? 2 : 3 }],
    ['pods, pages of 5,000', 'pods', { repeat: 1, limit: 5000 }],
  ])) {
    const l = await timeList(client, what, resource, opts);
    r.lists.push(l);
    log(`    ${what}: ${l.error ? `FAILED: ${l.error}` : `${fmt(l.items)} items in ${l.ms.toFixed(0)} ms (median of ${l.calls})`}`);
    if (l.error) r.errors.push(`list ${what}: ${l.error}`);
  }
  phase('lists');

  log('  watch');
  for (const [resource, expected] of /** @type {const} */ ([
    ['services', n],
    ['pods', r.pods],
  ])) {
    const c = ctx.newClient();
    try {
      const w = await watchReplay(c, resource, expected, 120_000);
      r.replays.push(w);
      log(`    initial events, ${resource}: ${w.error ? `FAILED: ${w.error}` : `${fmt(w.events)} in ${w.ms.toFixed(0)} ms, ${fmt(Math.round(w.rate))} events/s`}`);
      if (w.error) r.errors.push(`watch with initial events of ${resource}: ${w.error}`);
    } finally {
      c.close();
    }
  }
  const watchClients = Array.from({ length: 4 }, () => ctx.newClient());
  try {
    const b = await watchBurst(client, watchClients, { pods: r.pods, layout, updates: ctx.burst, concurrency: 64, round: String(n), timeoutMs: 120_000 });
    r.burst = b;
    log(`    ${b.watchers} watchers, ${fmt(b.updates)} pod updates at ${Math.round(b.writeRate)}/s: ${fmt(Math.round(b.deliveredRate))} events/s delivered, last event ${b.lagMs.toFixed(0)} ms after the last write${b.error ? `; ${b.error}` : ''}`);
    if (b.error) r.errors.push(`watch burst: ${b.error}`);
  } catch (err) {
    r.burst = { error: errText(err) };
    r.errors.push(`watch burst: ${errText(err)}`);
  } finally {
    for (const c of watchClients) c.close();
  }
  phase('watch');

  r.procs = procs().map((p) => ({ name: p.name, role: p.role, kib: rssKiB(p.pid), peakKiB: peakRssKiB(p.pid) }));
  const mib = (/** @type {number | undefined} */ k) => (k === undefined ? '?' : String(Math.round(k / 1024)));
  log(`  RSS ${r.procs.map((p) => `${p.name} ${mib(p.kib)} MiB (peak ${mib(p.peakKiB)})`).join(', ')}`);
  const dead = ctx.exited();
  if (dead.length) r.errors.push(`processes gone: ${dead.join(', ')}`);
  r.load.push(loadavg()[0] ?? 0);
  const term1 = await ctx.etcdTerm();
  r.elections = term0 !== undefined && term1 !== undefined ? term1 - term0 : undefined;
  const warn = ctx.warnings(mark);
  r.warnings = Object.fromEntries(Object.entries(warn).map(([proc, msgs]) => [proc, Object.values(msgs).reduce((sum, m) => sum + m.count, 0)]));
  r.warningMessages = Object.entries(warn).filter(([, msgs]) => Object.keys(msgs).length > 0).map(([proc, msgs]) => {
    const top = Object.entries(msgs)
      .sort((a, b) => b[1].count - a[1].count)
      .slice(0, 3);
    return `${proc}: ${top.map(([msg, m]) => `${m.count}× "${msg}"${m.maxMs !== undefined ? ` (longest ${Math.round(m.maxMs)} ms)` : ''}`).join(', ')}`;
  });
  log(`  etcd elections during the stage: ${r.elections ?? '?'}; warnings logged: ${Object.entries(r.warnings).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  for (const line of r.warningMessages) log(`    ${line}`);
  const cpu1 = machineCpu();
  r.steal = (cpu1.steal - cpu0.steal) / Math.max(1, cpu1.total - cpu0.total);
  log(`  1-minute load average ${r.load.map((x) => x.toFixed(1)).join(' → ')}; CPU time stolen by the hypervisor during the stage: ${(r.steal * 100).toFixed(0)}%`);
  return r;
}
