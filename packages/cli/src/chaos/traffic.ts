// Request outcomes of the kemu/client pods, per second, and what they say about the
// Service: first failure, recovery, availability. Pure.

import { jsonObjectLine } from './json-line.js';

/** One per-second line of a kemu/client log (@kemu/node-agent, workloads/client-stats.ts). */
export interface ClientSecond {
  /** Start of the wall-clock second, ms since the epoch. */
  t: number;
  ok: number;
  failed: number;
  /** Deadlines that passed while the client itself was stalled: neither ok nor failed (absent in older logs: 0). */
  stalled: number;
  errors: Record<string, number>;
}

/** The client's per-second lines; its start and done lines and anything unreadable are skipped. */
export function parseClientLog(text: string): ClientSecond[] {
  const out: ClientSecond[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    const o = jsonObjectLine(line);
    if (!o) continue;
    const r = o as { t?: unknown; ok?: unknown; failed?: unknown; stalled?: unknown; errors?: unknown };
    if (typeof r.t !== 'string' || typeof r.ok !== 'number' || typeof r.failed !== 'number') continue;
    const t = Date.parse(r.t);
    if (Number.isNaN(t)) continue;
    const errors: Record<string, number> = {};
    if (typeof r.errors === 'object' && r.errors !== null) {
      for (const [k, v] of Object.entries(r.errors)) if (typeof v === 'number') errors[k] = v;
    }
    out.push({ t, ok: r.ok, failed: r.failed, stalled: typeof r.stalled === 'number' ? r.stalled : 0, errors });
  }
  return out;
}

/** All clients' outcomes in one wall-clock second. */
export interface TrafficSecond {
  t: number;
  ok: number;
  failed: number;
  stalled: number;
  errors: Record<string, number>;
  /** How many clients reported this second. A client whose timer fired late folds missed seconds into its next line, so 0 is possible. */
  reports: number;
}

export const SECOND_MS = 1_000;
export const secondOf = (ms: number): number => Math.floor(ms / SECOND_MS) * SECOND_MS;

/**
 * Sums the clients' lines per second over [from, to) (whole seconds), one row per second
 * in that range (rows no client reported have `reports: 0`).
 */
export function aggregateSeconds(perClient: ReadonlyArray<readonly ClientSecond[]>, from: number, to: number): TrafficSecond[] {
  const start = secondOf(from);
  const rows: TrafficSecond[] = [];
  for (let t = start; t < to; t += SECOND_MS) rows.push({ t, ok: 0, failed: 0, stalled: 0, errors: {}, reports: 0 });
  for (const lines of perClient) {
    for (const l of lines) {
      const row = rows[(secondOf(l.t) - start) / SECOND_MS];
      if (!row || l.t < start) continue;
      row.ok += l.ok;
      row.failed += l.failed;
      row.stalled += l.stalled;
      row.reports++;
      for (const [k, v] of Object.entries(l.errors)) row.errors[k] = (row.errors[k] ?? 0) + v;
    }
  }
  return rows;
}

export interface Counts {
  ok: number;
  failed: number;
  /** ok / (ok + failed), in percent with two decimals; null without requests. */
  availabilityPct: number | null;
}

export interface TrafficSummary {
  /** Every second of the run. */
  total: Counts;
  /** From the second the fault was made in to the end. */
  afterFault: Counts;
  /** Failures by cause over the whole run. */
  errors: Record<string, number>;
  /**
   * Requests not counted as ok or failed: their deadline passed while the client process
   * itself was stalled (the machine starved every process), which says nothing about the Service.
   */
  stalled: number;
  /** Seconds (the fault's second is 0) of the first second with a failed request at or after the fault; null if none failed. */
  firstFailureS: number | null;
  /**
   * Seconds from the fault until the first second after which no request failed and
   * requests succeeded: 0 when nothing failed, null when failures lasted to the end.
   */
  recoveryS: number | null;
  /** Seconds at or after the fault with at least one failed request. */
  failingSeconds: number;
}

export function counts(ok: number, failed: number): Counts {
  const n = ok + failed;
  return { ok, failed, availabilityPct: n === 0 ? null : Math.round((ok / n) * 10_000) / 100 };
}

/** Index of `t`'s second counted from the fault's second (which is 0). */
export const relSecond = (t: number, faultAt: number): number => (secondOf(t) - secondOf(faultAt)) / SECOND_MS;

export function summarizeTraffic(seconds: readonly TrafficSecond[], faultAt: number): TrafficSummary {
  let ok = 0;
  let failed = 0;
  let okAfter = 0;
  let failedAfter = 0;
  let stalled = 0;
  const errors: Record<string, number> = {};
  let firstFailure: number | null = null;
  let lastFailure: number | null = null;
  let failingSeconds = 0;
  for (const s of seconds) {
    ok += s.ok;
    failed += s.failed;
    stalled += s.stalled;
    for (const [k, v] of Object.entries(s.errors)) errors[k] = (errors[k] ?? 0) + v;
    const rel = relSecond(s.t, faultAt);
    if (rel < 0) continue;
    okAfter += s.ok;
    failedAfter += s.failed;
    if (s.failed > 0) {
      failingSeconds++;
      firstFailure ??= rel;
      lastFailure = rel;
    }
  }
  let recoveryS: number | null;
  if (lastFailure === null) recoveryS = 0;
  else {
    const last = lastFailure;
    const healthyAfter = seconds.some((s) => relSecond(s.t, faultAt) > last && s.ok > 0);
    recoveryS = healthyAfter ? last + 1 : null;
  }
  return { total: counts(ok, failed), afterFault: counts(okAfter, failedAfter), errors, stalled, firstFailureS: firstFailure, recoveryS, failingSeconds };
}
