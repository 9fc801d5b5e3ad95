// The write probe's outcomes: does the control plane still accept writes, and for how
// long did it not. Pure.
import { counts, SECOND_MS, secondOf, type Counts } from './traffic.js';

/** One write of the probe: it started at `start` and its answer (or failure) came at `end`. */
export interface WriteAttempt {
  start: number;
  end: number;
  ok: boolean;
  /** The failure's reason, e.g. "Timeout", "ServiceUnavailable". */
  error?: string;
}

export interface WriteSecond {
  t: number;
  ok: number;
  failed: number;
}

/** Attempts per second of their start over [from, to). */
export function writeSeconds(attempts: readonly WriteAttempt[], from: number, to: number): WriteSecond[] {
  const start = secondOf(from);
  const rows: WriteSecond[] = [];
  for (let t = start; t < to; t += SECOND_MS) rows.push({ t, ok: 0, failed: 0 });
  for (const a of attempts) {
    const row = rows[(secondOf(a.start) - start) / SECOND_MS];
    if (!row || a.start < start) continue;
    if (a.ok) row.ok++;
    else row.failed++;
  }
  return rows;
}

export interface WriteSummary {
  total: Counts;
  afterFault: Counts;
  errors: Record<string, number>;
  /** Seconds after the fault (ms precision) when the first write that failed after it started; null if none. */
  firstFailureS: number | null;
  /** Seconds after the fault when the first write started after it succeeded (its answer); null if none did. */
  resumedS: number | null;
  /**
   * The write gap around the fault: from the last successful write before it to the first
   * after it, in ms; null when no write succeeded on one side.
   */
  faultGapMs: number | null;
  /** The longest time between two successful writes anywhere in the run, and where it began (s from the fault). */
  maxGapMs: number | null;
  maxGapFromS: number | null;
}

const seconds = (ms: number): number => Math.round(ms) / 1_000;

export function summarizeWrites(attempts: readonly WriteAttempt[], faultAt: number): WriteSummary {
  const sorted = [...attempts].sort((a, b) => a.start - b.start);
  const after = sorted.filter((a) => a.start >= faultAt);
  const errors: Record<string, number> = {};
  for (const a of sorted) if (!a.ok) errors[a.error ?? 'error'] = (errors[a.error ?? 'error'] ?? 0) + 1;
  const firstFailure = after.find((a) => !a.ok);
  const firstOk = after.find((a) => a.ok);
  const okEnds = sorted.filter((a) => a.ok).map((a) => a.end).sort((a, b) => a - b);
  const lastOkBefore = okEnds.filter((e) => e <= faultAt).pop();
  let maxGapMs: number | null = null;
  let maxGapFrom: number | null = null;
  for (let i = 1; i < okEnds.length; i++) {
    const gap = okEnds[i]! - okEnds[i - 1]!;
    if (maxGapMs === null || gap > maxGapMs) {
      maxGapMs = gap;
      maxGapFrom = okEnds[i - 1]!;
    }
  }
  return {
    total: counts(sorted.filter((a) => a.ok).length, sorted.filter((a) => !a.ok).length),
    afterFault: counts(after.filter((a) => a.ok).length, after.filter((a) => !a.ok).length),
    errors,
    firstFailureS: firstFailure ? seconds(firstFailure.start - faultAt) : null,
    resumedS: firstOk ? seconds(firstOk.end - faultAt) : null,
    faultGapMs: firstOk && lastOkBefore !== undefined ? Math.round(firstOk.end - lastOkBefore) : null,
    maxGapMs: maxGapMs === null ? null : Math.round(maxGapMs),
    maxGapFromS: maxGapFrom === null ? null : seconds(maxGapFrom - faultAt),
  };
}
