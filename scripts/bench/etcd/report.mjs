// @ts-check
// Turns both clusters' results into one side-by-side table, judges kemu against the
// targets from the issue, and writes the etcd section of BENCHMARKS.md.

/**
 * @typedef {import('./workloads.mjs').LoadResult} LoadResult
 * @typedef {{ error: string }} Failed
 * @typedef {object} ClusterResult
 * @property {string} label
 * @property {LoadResult | Failed | undefined} seq
 * @property {LoadResult | Failed | undefined} inflight
 * @property {Array<{ name: string, kib: number | undefined }> | undefined} rss
 * @property {{ member: string, keys: number, entriesBehind: number, caughtUpMs: number, firstAnswerMs: number | undefined } | Failed | undefined} catchUp
 * @property {{ rounds: Array<{ resumedMs: number, killed: string, resumedOn: string, newLeader: string, failedAttempts: number, restartCaughtUpMs: number }>, medianMs: number | undefined, error?: string } | undefined} failover
 * @property {string | undefined} error a failure that ended this cluster's run early
 * @property {{ seq?: number, inflight?: number }} cpu CPU ms used by all members together per 1000 puts, per workload
 * @property {number[]} load 1-minute load average when the cluster started and when it was destroyed
 */

/** @typedef {'lower' | 'higher' | 'none'} Better */

/**
 * One row: how to read the figure from a result, how to print it, which direction is better,
 * and whether the issue sets a target for it.
 * @typedef {{ label: string, get: (r: ClusterResult) => number | string | undefined, fmt: (x: number) => string, better: Better, target: string }} Row
 */

/** @param {unknown} x @returns {x is Failed} */
const failed = (x) => typeof x === 'object' && x !== null && 'error' in x && typeof x.error === 'string';

/**
 * @template T
 * @param {T | Failed | undefined} x
 * @param {(v: T) => number | undefined} f
 * @returns {number | string | undefined}
 */
const pick = (x, f) => (x === undefined ? undefined : failed(x) ? `failed: ${x.error}` : f(x));

const ms = (/** @type {number} */ x) => (x >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(2)} ms`);
const sec = (/** @type {number} */ x) => `${(x / 1000).toFixed(2)} s`;
const rate = (/** @type {number} */ x) => `${Math.round(x).toLocaleString('en-US')} puts/s`;

/** @type {Row[]} */
export const ROWS = [
  { label: 'sequential put p50', get: (r) => pick(r.seq, (v) => v.p50), fmt: ms, better: 'lower', target: '≤ etcd' },
  { label: 'sequential put p99', get: (r) => pick(r.seq, (v) => v.p99), fmt: ms, better: 'lower', target: '≤ etcd' },
  { label: 'sequential puts/s', get: (r) => pick(r.seq, (v) => v.rate), fmt: rate, better: 'higher', target: '≥ etcd' },
  { label: '64 in flight: throughput', get: (r) => pick(r.inflight, (v) => v.rate), fmt: rate, better: 'higher', target: '≥ etcd' },
  { label: '64 in flight: put p50', get: (r) => pick(r.inflight, (v) => v.p50), fmt: ms, better: 'lower', target: '≤ etcd' },
  { label: '64 in flight: put p99', get: (r) => pick(r.inflight, (v) => v.p99), fmt: ms, better: 'lower', target: '≤ etcd' },
  {
    label: 'writes resume after kill -9 of leader (median)',
    get: (r) => (r.failover === undefined ? undefined : r.failover.medianMs ?? `failed: ${r.failover.error ?? 'no round completed'}`),
    fmt: sec,
    better: 'lower',
    target: '< etcd',
  },
  { label: 'member CPU per 1,000 puts at 64 in flight (all 3)', get: (r) => r.cpu.inflight, fmt: (x) => `${Math.round(x)} ms`, better: 'none', target: '—' },
  { label: 'catch-up of restarted member', get: (r) => pick(r.catchUp, (v) => v.caughtUpMs), fmt: sec, better: 'none', target: '—' },
];

/** @param {ClusterResult} r */
function rssCell(r) {
  if (!r.rss) return '—';
  return r.rss.map((m) => (m.kib === undefined ? '?' : `${Math.round(m.kib / 1024)}`)).join(' / ') + ' MiB';
}

/**
 * @param {Row} row
 * @param {number | string | undefined} kemu
 * @param {number | string | undefined} etcd
 * @returns {string}
 */
function verdict(row, kemu, etcd) {
  if (row.better === 'none') return '—';
  if (typeof kemu !== 'number' || typeof etcd !== 'number') return 'n/a';
  switch (row.target) {
    case '< etcd':
      return kemu < etcd ? 'yes' : 'no';
    case '≤ etcd':
      return kemu <= etcd ? 'yes' : 'no';
    case '≥ etcd':
      return kemu >= etcd ? 'yes' : 'no';
    default:
      return 'n/a';
  }
}

/** @param {number | string | undefined} x @param {(n: number) => string} fmt */
const cell = (x, fmt) => (x === undefined ? '—' : typeof x === 'number' ? fmt(x) : x.replace(/\|/g, '/').slice(0, 80));

/**
 * The side-by-side markdown table. `results` holds etcd first (if run), then kemu (if run).
 * @param {{ etcd?: ClusterResult, kemu?: ClusterResult }} results
 */
export function table(results) {
  const cols = [results.etcd, results.kemu].filter((x) => x !== undefined);
  const both = results.etcd !== undefined && results.kemu !== undefined;
  const head = ['', ...cols.map((c) => c.label), ...(both ? ['target for kemu', 'kemu meets it'] : [])];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const row of ROWS) {
    const vals = cols.map((c) => row.get(c));
    const extra = both && results.kemu && results.etcd ? [row.target, verdict(row, row.get(results.kemu), row.get(results.etcd))] : [];
    lines.push(`| ${[row.label, ...vals.map((v) => cell(v, row.fmt)), ...extra].join(' | ')} |`);
  }
  lines.push(`| ${['RSS per member after the load', ...cols.map(rssCell), ...(both ? ['—', '—'] : [])].join(' | ')} |`);
  return lines.join('\n');
}

/** @param {{ etcd?: ClusterResult, kemu?: ClusterResult }} results */
export function details(results) {
  const out = [];
  for (const r of [results.etcd, results.kemu]) {
    if (!r) continue;
    const parts = [];
    if (r.seq && !failed(r.seq)) parts.push(`sequential ${r.seq.ok} puts in ${sec(r.seq.elapsedMs)}${r.seq.errors ? `, ${r.seq.errors} failed` : ''}`);
    if (r.inflight && !failed(r.inflight)) parts.push(`64 in flight ${r.inflight.ok} puts in ${sec(r.inflight.elapsedMs)}${r.inflight.errors ? `, ${r.inflight.errors} failed (${r.inflight.firstError ?? ''})` : ''}`);
    if (r.failover) {
      const rounds = r.failover.rounds.map((x) => `${sec(x.resumedMs)} (killed ${x.killed}, new leader ${x.newLeader})`);
      parts.push(`failover rounds: ${rounds.join(', ') || 'none'}${r.failover.error ? `; stopped: ${r.failover.error}` : ''}`);
    }
    if (r.catchUp && !failed(r.catchUp)) {
      parts.push(`catch-up: ${r.catchUp.member} was ${r.catchUp.entriesBehind} entries behind (${r.catchUp.keys} puts); first Status answer after ${r.catchUp.firstAnswerMs === undefined ? '?' : sec(r.catchUp.firstAnswerMs)}, caught up after ${sec(r.catchUp.caughtUpMs)}`);
    }
    parts.push(`1-minute load average ${r.load.map((x) => x.toFixed(1)).join(' → ')}`);
    if (r.error) parts.push(`run ended early: ${r.error}`);
    out.push(`- **${r.label}**: ${parts.join('; ')}.`);
  }
  return out.join('\n');
}

