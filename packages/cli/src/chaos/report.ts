// The availability report of a chaos run: built from what the run recorded (pure), and
// printed as text. report.json is this object; report.txt is formatReport of it.
import type { ScenarioName } from './scenarios.js';
import type { ChartInput } from './svg-chart.js';
import { formatRel, mergeTimelines, type EventKind, type EventSource, type TimelineEvent } from './timeline.js';
import { aggregateSeconds, relSecond, summarizeTraffic, type ClientSecond, type TrafficSummary } from './traffic.js';
import { summarizeWrites, writeSeconds, type WriteAttempt, type WriteSummary } from './writes.js';

/** A fault or heal action the run made. */
export interface FaultRecord {
  at: number;
  phase: 'fault' | 'heal';
  action: string;
  target: string;
  detail: string;
}

export interface ReportInput {
  scenario: ScenarioName;
  description: string;
  driver: string;
  settings: { durationS: number; warmupS: number; rate: number; requestTimeoutS: number; pauseS: number | null; tailS: number };
  service: { namespace: string; name: string; clusterIP: string; port: number; url: string; replicas: number };
  clients: ReadonlyArray<{ pod: string; node: string; rate: number }>;
  /** When traffic was running on every client (warm-up start). */
  trafficFrom: number;
  faultAt: number;
  /** End of the observed window (exclusive, a whole second). */
  until: number;
  faults: readonly FaultRecord[];
  clientLines: ReadonlyArray<readonly ClientSecond[]>;
  writes: readonly WriteAttempt[];
  writeIntervalMs: number;
  writeTarget: string;
  events: readonly TimelineEvent[];
  etcdLeaders: ReadonlyArray<{ at: number; name: string; term: number }>;
  notes: readonly string[];
}

export interface ReportEvent {
  /** Seconds from the fault (ms precision). */
  atS: number;
  at: string;
  source: EventSource;
  kind: EventKind;
  subject: string;
  node?: string;
  message: string;
}

export interface ChaosReport {
  scenario: ScenarioName;
  description: string;
  driver: string;
  startedAt: string;
  faultAt: string;
  healAt: string | null;
  endedAt: string;
  settings: ReportInput['settings'];
  service: ReportInput['service'];
  clients: ReportInput['clients'];
  faults: Array<{ atS: number; at: string; phase: 'fault' | 'heal'; action: string; target: string; detail: string }>;
  requests: TrafficSummary & {
    seconds: Array<{ t: string; rel: number; ok: number; failed: number; stalled: number; errors: Record<string, number>; reports: number }>;
  };
  writes: WriteSummary & { target: string; intervalMs: number; seconds: Array<{ t: string; rel: number; ok: number; failed: number }> };
  etcd: {
    leaderBefore: { name: string; term: number } | null;
    leaderAfter: { name: string; term: number } | null;
    leaders: Array<{ atS: number; name: string; term: number }>;
  };
  timeline: ReportEvent[];
  notes: string[];
  /** Where the report was written (set by the command once the files exist). */
  files?: { json: string; text: string; svg: string; png: string | null; pngNote?: string };
}

const iso = (ms: number): string => new Date(ms).toISOString();
const relS = (ms: number, faultAt: number): number => Math.round(ms - faultAt) / 1_000;

export function buildReport(i: ReportInput): ChaosReport {
  const seconds = aggregateSeconds(i.clientLines, i.trafficFrom, i.until);
  const traffic = summarizeTraffic(seconds, i.faultAt);
  const writes = i.writes.filter((w) => w.start >= i.trafficFrom && w.start < i.until);
  const heal = i.faults.find((f) => f.phase === 'heal');
  const faultEvents = i.faults.map((f) => ({
    at: f.at,
    source: 'fault' as const,
    kind: f.phase,
    subject: f.target,
    message: `${f.phase === 'fault' ? 'FAULT' : 'HEAL'} ${f.action} ${f.target}: ${f.detail}`,
  }));
  const timeline = mergeTimelines(faultEvents, i.events).filter((e) => e.at >= i.trafficFrom && e.at < i.until + 1_000);
  const before = [...i.etcdLeaders].filter((l) => l.at <= i.faultAt).pop() ?? null;
  const last = i.etcdLeaders[i.etcdLeaders.length - 1] ?? null;
  return {
    scenario: i.scenario,
    description: i.description,
    driver: i.driver,
    startedAt: iso(i.trafficFrom),
    faultAt: iso(i.faultAt),
    healAt: heal ? iso(heal.at) : null,
    endedAt: iso(i.until),
    settings: i.settings,
    service: i.service,
    clients: i.clients,
    faults: i.faults.map((f) => ({ atS: relS(f.at, i.faultAt), at: iso(f.at), phase: f.phase, action: f.action, target: f.target, detail: f.detail })),
    requests: {
      seconds: seconds.map((s) => ({ t: iso(s.t), rel: relSecond(s.t, i.faultAt), ok: s.ok, failed: s.failed, stalled: s.stalled, errors: s.errors, reports: s.reports })),
      ...traffic,
    },
    writes: {
      target: i.writeTarget,
      intervalMs: i.writeIntervalMs,
      seconds: writeSeconds(writes, i.trafficFrom, i.until).map((s) => ({ t: iso(s.t), rel: relSecond(s.t, i.faultAt), ok: s.ok, failed: s.failed })),
      ...summarizeWrites(writes, i.faultAt),
    },
    etcd: {
      leaderBefore: before ? { name: before.name, term: before.term } : null,
      leaderAfter: last ? { name: last.name, term: last.term } : null,
      leaders: i.etcdLeaders.map((l) => ({ atS: relS(l.at, i.faultAt), name: l.name, term: l.term })),
    },
    timeline: timeline.map((e) => ({
      atS: relS(e.at, i.faultAt),
      at: iso(e.at),
      source: e.source,
      kind: e.kind,
      subject: e.subject,
      ...(e.node === undefined ? {} : { node: e.node }),
      message: e.message,
    })),
    notes: [...i.notes],
  };
}

export function chartOf(r: ChaosReport): ChartInput {
  const fault = Date.parse(r.faultAt);
  const startS = (t: string): number => (Date.parse(t) - fault) / 1_000;
  return {
    title: `kemu chaos run ${r.scenario}`,
    subtitle: `${r.description}; ${r.requests.total.ok} ok, ${r.requests.total.failed} failed (${pct(r.requests.total.availabilityPct)})`,
    requests: r.requests.seconds.map((s) => ({ startS: startS(s.t), ok: s.ok, failed: s.failed })),
    writes: r.writes.seconds.map((s) => ({ startS: startS(s.t), ok: s.ok, failed: s.failed })),
    markers: markersOf(r.faults),
    events: r.timeline.filter((e) => e.source !== 'fault').map((e) => ({ relS: e.atS, source: e.source, label: e.message })),
  };
}

/** Fault and heal lines; actions of one phase within a second of each other share one line ("fault node-1, node-3"). */
function markersOf(faults: ChaosReport['faults']): ChartInput['markers'] {
  const out: Array<{ relS: number; kind: 'fault' | 'heal'; targets: string[] }> = [];
  for (const f of faults) {
    const near = out.find((m) => m.kind === f.phase && Math.abs(m.relS - f.atS) < 1);
    if (near) {
      if (!near.targets.includes(f.target)) near.targets.push(f.target);
    } else out.push({ relS: f.atS, kind: f.phase, targets: [f.target] });
  }
  return out.map((m) => ({ relS: m.relS, kind: m.kind, label: `${m.kind} ${m.targets.join(', ')}` }));
}

const pct = (p: number | null): string => (p === null ? 'no requests' : `${p.toFixed(2)}%`);
const secs = (s: number | null, none: string): string => (s === null ? none : `+${s} s`);

/** The report as a person reads it (report.txt and the command's output). */
export function formatReport(r: ChaosReport): string {
  const out: string[] = [];
  const q = r.requests;
  const w = r.writes;
  out.push(`kemu chaos run ${r.scenario}: ${r.description}`);
  out.push(`Faults made by: ${r.driver}`);
  out.push(
    `Service ${r.service.namespace}/${r.service.name} (${r.service.replicas} replicas of kemu/echo) at ${r.service.url}; ` +
      `${r.clients.length} kemu/client pod${r.clients.length === 1 ? '' : 's'} (${r.clients.map((c) => `${c.pod} on ${c.node}, ${c.rate}/s`).join('; ')}), ` +
      `each request failed after ${r.settings.requestTimeoutS} s without an answer`,
  );
  out.push(`Warm-up ${r.settings.warmupS} s, fault at ${r.faultAt}, heal ${r.healAt ?? 'never'}, end ${r.endedAt}`);
  out.push('');
  out.push(`Requests: ${q.total.ok} ok, ${q.total.failed} failed: availability ${pct(q.total.availabilityPct)} (after the fault: ${q.afterFault.ok} ok, ${q.afterFault.failed} failed, ${pct(q.afterFault.availabilityPct)})`);
  if (Object.keys(q.errors).length > 0) out.push(`  failures by cause: ${Object.entries(q.errors).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (q.stalled > 0) out.push(`  not counted: ${q.stalled} request${q.stalled === 1 ? '' : 's'} whose deadline passed while the client itself was stalled (its timer fired late: this machine starved every process)`);
  out.push(`  first failure: ${secs(q.firstFailureS, 'none')} after the fault; full recovery: ${q.recoveryS === null ? 'not within the run' : q.recoveryS === 0 ? 'nothing failed' : `+${q.recoveryS} s (no failure from then on)`}`);
  out.push(
    `Writes (${w.target}, one every ${w.intervalMs} ms): ${w.total.ok} ok, ${w.total.failed} failed; ` +
      (w.firstFailureS === null
        ? `no write failed after the fault, first one answered ${secs(w.resumedS, 'never')}, `
        : `first failure ${secs(w.firstFailureS, 'none')}, writes resumed ${secs(w.resumedS, 'never')}, `) +
      `gap around the fault ${w.faultGapMs === null ? 'unknown' : `${w.faultGapMs} ms`}, ` +
      `longest gap ${w.maxGapMs === null ? 'unknown' : `${w.maxGapMs} ms`}`,
  );
  if (r.etcd.leaders.length > 0) out.push(`etcd leaders: ${r.etcd.leaders.map((l) => `${l.name} term ${l.term} (${formatRel(l.atS * 1_000)})`).join(' -> ')}`);
  for (const n of r.notes) out.push(`Note: ${n}`);
  out.push('');
  out.push('Per second (t: seconds from the fault second):');
  out.push(table(
    ['t', 'ok', 'failed', 'writes ok', 'writes failed', 'errors'],
    q.seconds.map((s) => {
      const ws = w.seconds.find((x) => x.rel === s.rel);
      return [
        `${s.rel >= 0 ? '+' : ''}${s.rel}`,
        String(s.ok),
        String(s.failed),
        String(ws?.ok ?? 0),
        String(ws?.failed ?? 0),
        s.reports === 0 ? '(no client report this second)' : [...Object.entries(s.errors).map(([k, v]) => `${k}=${v}`), ...(s.stalled ? [`client-stalled=${s.stalled}`] : [])].join(' '),
      ];
    }),
  ));
  out.push('');
  out.push('Timeline (seconds from the fault):');
  for (const e of r.timeline) out.push(`  ${formatRel(e.atS * 1_000).padStart(11)}  ${e.source.padEnd(18)} ${e.message}`);
  return out.join('\n') + '\n';
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  // Numbers right-aligned; the last column (free text) as is.
  const line = (c: string[]): string => `  ${c.map((x, i) => (i === c.length - 1 ? x : x.padStart(widths[i]!))).join('  ')}`.trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
