// @ts-check
// Turns the stages' results into the printed / BENCHMARKS.md tables, judges the issue's
// targets, and writes the control-plane section of BENCHMARKS.md.

/**
 * @typedef {{ error: string }} Failed
 * @typedef {object} ProcessFigures
 * @property {string} name
 * @property {string} role
 * @property {number | undefined} kib RSS after the stage
 * @property {number | undefined} peakKiB peak RSS so far (VmHWM)
 *
 * @typedef {object} StageResult
 * @property {number} services
 * @property {number} pods
 * @property {import('./workloads.mjs').PopulateResult} populate
 * @property {import('./workloads.mjs').PropagationResult | undefined} propagation
 * @property {import('./workloads.mjs').ListTiming[]} lists
 * @property {import('./workloads.mjs').ReplayResult[]} replays
 * @property {import('./workloads.mjs').BurstResult | Failed | undefined} burst
 * @property {ProcessFigures[]} procs
 * @property {Array<{ phase: string, ms: number, cpu: Record<string, number> }>} cpu CPU ms per process per phase
 * @property {number[]} load 1-minute load average at the stage's start and end
 * @property {number} steal fraction of the machine's CPU time the hypervisor stole during the stage
 * @property {number | undefined} elections etcd raft term increase during the stage
 * @property {Record<string, number>} warnings warn/error log lines per process during the stage
 * @property {string[]} warningMessages the commonest of them, per process
 * @property {string[]} errors
 */

/** @param {unknown} x @returns {x is Failed} */
const failed = (x) => typeof x === 'object' && x !== null && 'error' in x && typeof x.error === 'string';

const int = (/** @type {number} */ x) => Math.round(x).toLocaleString('en-US');
const ms = (/** @type {number} */ x) => (!Number.isFinite(x) ? '—' : x >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`);
const sec = (/** @type {number} */ x) => `${(x / 1000).toFixed(1)} s`;
const dur = (/** @type {number} */ x) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : ms(x));
const mib = (/** @type {number | undefined} */ k) => (k === undefined ? '?' : `${Math.round(k / 1024)}`);
const cellText = (/** @type {string} */ s) => s.replace(/\|/g, '/').replace(/\n/g, ' ').slice(0, 90);

/** @param {import('./pool.mjs').PoolResult} p */
const rateCell = (p) => `${int(p.rate)}/s${p.errors ? ` (${p.errors} failed)` : ''}`;

/** @param {StageResult} s @param {string} what */
function listCell(s, what) {
  const l = s.lists.find((x) => x.what === what);
  if (!l) return '—';
  if (l.error) return `failed: ${cellText(l.error)}`;
  return `${dur(l.ms)} (${int(l.items)} items)`;
}

/** @param {StageResult} s @param {string} resource */
function replayCell(s, resource) {
  const r = s.replays.find((x) => x.resource === resource);
  if (!r) return '—';
  if (r.error) return `failed: ${cellText(r.error)}`;
  return `${int(r.rate)} events/s (${int(r.events)} in ${dur(r.ms)})`;
}

/**
 * @typedef {{ label: string, get: (s: StageResult) => string }} Row
 */

/** @type {Row[]} */
const ROWS = [
  { label: 'pods (= endpoints), all Ready', get: (s) => int(s.pods) },
  { label: 'machine: 1-minute load average (start → end); CPU stolen by the hypervisor', get: (s) => `${s.load.map((x) => x.toFixed(1)).join(' → ')}; ${Number.isFinite(s.steal) ? `${(s.steal * 100).toFixed(0)}%` : '?'}` },
  { label: 'apiserver create throughput: pods', get: (s) => rateCell(s.populate.podCreates) },
  { label: 'pod status writes (merge patch)', get: (s) => rateCell(s.populate.podStatuses) },
  { label: 'apiserver create throughput: services', get: (s) => rateCell(s.populate.serviceCreates) },
  {
    label: 'slices complete after the last service create',
    get: (s) => (s.populate.convergeMs === undefined ? `failed: ${cellText(s.populate.error ?? '?')}` : sec(s.populate.convergeMs)),
  },
  { label: 'propagation pod Ready → slice ready, p50', get: (s) => latencyCell(s, 'ready', 'p50') },
  { label: 'propagation pod Ready → slice ready, p99', get: (s) => latencyCell(s, 'ready', 'p99') },
  { label: 'propagation pod Ready → slice ready, max', get: (s) => latencyCell(s, 'ready', 'max') },
  { label: 'propagation pod not Ready → slice not ready, p50 / p99', get: (s) => `${latencyCell(s, 'notReady', 'p50')} / ${latencyCell(s, 'notReady', 'p99')}` },
  { label: 'of which: the pod status write (ack), p50 / p99', get: (s) => `${latencyCell(s, 'write', 'p50')} / ${latencyCell(s, 'write', 'p99')}` },
  { label: 'of which: until a pod watcher sees the update, p50 / p99', get: (s) => `${latencyCell(s, 'podSeen', 'p50')} / ${latencyCell(s, 'podSeen', 'p99')}` },
  { label: 'of which: from that pod event to the slice event, p50 / p99', get: (s) => `${latencyCell(s, 'sliceAfterPod', 'p50')} / ${latencyCell(s, 'sliceAfterPod', 'p99')}` },
  { label: 'list services, unpaginated', get: (s) => listCell(s, 'services') },
  { label: 'list endpointslices, unpaginated', get: (s) => listCell(s, 'endpointslices') },
  { label: 'list pods, unpaginated', get: (s) => listCell(s, 'pods') },
  { label: 'list pods, pages of 5,000', get: (s) => listCell(s, 'pods, pages of 5,000') },
  { label: 'watch: initial events, services', get: (s) => replayCell(s, 'services') },
  { label: 'watch: initial events, pods', get: (s) => replayCell(s, 'pods') },
  {
    label: 'watch: pod updates to 4 watchers',
    get: (s) => {
      const b = s.burst;
      if (!b) return '—';
      if (failed(b) && !('watchers' in b)) return `failed: ${cellText(b.error)}`;
      const r = /** @type {import('./workloads.mjs').BurstResult} */ (b);
      return `${int(r.deliveredRate)} events/s delivered (${int(r.updates)} updates at ${int(r.writeRate)}/s; last event ${ms(r.lagMs)} after the last write)${r.error ? `; ${cellText(r.error)}` : ''}`;
    },
  },
];

/**
 * @param {StageResult} s
 * @param {'ready' | 'notReady' | 'write' | 'podSeen' | 'sliceAfterPod'} which
 * @param {'p50' | 'p99' | 'max'} q
 */
function latencyCell(s, which, q) {
  const p = s.propagation;
  if (!p) return '—';
  const st = p[which];
  if (!st) return p.error ? `failed: ${cellText(p.error)}` : '—';
  return ms(st[q]);
}

/** @param {StageResult[]} stages */
function rssRows(stages) {
  const names = [...new Set(stages.flatMap((s) => s.procs.map((p) => p.name.replace(/ \(leader\)$/, ''))))];
  return names.map((n) => {
    const label = stages.flatMap((s) => s.procs).find((p) => p.name.replace(/ \(leader\)$/, '') === n)?.name ?? n;
    const cells = stages.map((s) => {
      const p = s.procs.find((x) => x.name.replace(/ \(leader\)$/, '') === n);
      return p ? `${mib(p.kib)} MiB (peak ${mib(p.peakKiB)})` : '—';
    });
    return `| RSS ${label} | ${cells.join(' | ')} |`;
  });
}

/** @param {StageResult[]} stages */
export function table(stages) {
  const head = ['', ...stages.map((s) => `${int(s.services)} services`)];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const row of ROWS) lines.push(`| ${row.label} | ${stages.map((s) => row.get(s)).join(' | ')} |`);
  lines.push(...rssRows(stages));
  lines.push(`| etcd elections during the stage (raft term increase) | ${stages.map((s) => (s.elections === undefined ? '?' : String(s.elections))).join(' | ')} |`);
  lines.push(
    `| warn/error log lines during the stage | ${stages
      .map((s) => Object.entries(s.warnings).filter(([, v]) => v !== 0).map(([k, v]) => `${k} ${Number.isNaN(v) ? '?' : int(v)}`).join(', ') || 'none')
      .join(' | ')} |`,
  );
  return lines.join('\n');
}

/**
 * @typedef {{ label: string, measured: string, verdict: 'yes' | 'no' | 'not run' | 'failed' }} TargetLine
 */

/** @param {StageResult[]} stages @returns {TargetLine[]} */
export function targets(stages) {
  /** @param {number} n @param {number} limitMs @returns {TargetLine} */
  const propagationTarget = (n, limitMs) => {
    const label = `propagation p99 at ${int(n)} services ≤ ${int(limitMs)} ms`;
    const s = stages.find((x) => x.services === n);
    if (!s) return { label, measured: '—', verdict: 'not run' };
    const st = s.propagation?.ready;
    if (!st) return { label, measured: cellText(s.propagation?.error ?? s.populate.error ?? 'no samples'), verdict: 'failed' };
    const timeouts = s.propagation?.timeouts ?? 0;
    return { label, measured: `${ms(st.p99)} (${st.n} samples${timeouts ? `, ${timeouts} timed out` : ''})`, verdict: st.p99 <= limitMs && timeouts === 0 ? 'yes' : 'no' };
  };
  /** @type {TargetLine} */
  const list = (() => {
    const label = 'list of 10,000 services ≤ 1 s';
    const s = stages.find((x) => x.services === 10_000);
    const l = s?.lists.find((x) => x.what === 'services');
    if (!s) return { label, measured: '—', verdict: 'not run' };
    if (!l || l.error) return { label, measured: cellText(l?.error ?? 'not measured'), verdict: 'failed' };
    return { label, measured: `${dur(l.ms)} (median of ${l.calls})`, verdict: l.ms <= 1000 ? 'yes' : 'no' };
  })();
  return [propagationTarget(100, 50), propagationTarget(10_000, 500), list];
}

/** @param {TargetLine[]} t */
export function targetTable(t) {
  return ['| target (from the issue) | measured | met |', '|---|---|---|', ...t.map((x) => `| ${x.label} | ${x.measured} | ${x.verdict} |`)].join('\n');
}

/** The commonest warn/error log messages, per stage and process. @param {StageResult[]} stages */
export function warningDetails(stages) {
  return stages
    .flatMap((s) => s.warningMessages.map((m) => `- ${int(s.services)} services, ${m.replace(/\|/g, '/')}`))
    .join('\n');
}

/** Where the CPU went, per stage and phase. @param {StageResult[]} stages */
export function cpuDetails(stages) {
  const out = [];
  for (const s of stages) {
    for (const c of s.cpu) {
      const parts = Object.entries(c.cpu)
        .filter(([, v]) => v >= 50)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`);
      out.push(`- ${int(s.services)} services, ${c.phase} (${sec(c.ms)} wall): ${parts.join(', ') || 'idle'}`);
    }
  }
  return out.join('\n');
}

