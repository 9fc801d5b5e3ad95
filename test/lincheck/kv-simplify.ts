import type { KvOperation } from './kv-model.js';
import { isUnknownOutput } from './kv-model.js';

/**
 * Rewrites one key's history into an equivalent one (linearizable iff the input is) in
 * which fewer operations have an unknown return. Each such operation stays a candidate for
 * the rest of the search, so every one removed or pinned down saves a factor in the worst
 * case. Both rules apply only to a write W with unknown return whose value v is written by
 * no other operation of the key (unique values, as the integration tests use):
 *
 * 1. Observed: some completed get returned v, or some completed cas succeeded comparing
 *    against v. W is the only source of v, so if the history is linearizable at all, W took
 *    effect before the earliest such observer returned: W gets that return.
 * 2. Unobserved: no get returned v and no cas compares against v. Then W can be dropped,
 *    provided no cas that failed (or has an unknown outcome but a known return) could fall
 *    between W and the next overwrite: in a linearization where W took effect, only failed
 *    cas calls can sit in that window, and without W they might succeed instead. Proof
 *    sketch: removing W changes the state only inside that window; no get is there (it
 *    would have read v), and no successful cas (it would have compared against v).
 */
export function simplifyKvHistory(part: readonly KvOperation[]): KvOperation[] {
  const writers = new Map<string, number>();
  for (const o of part) {
    const v = writtenValue(o);
    if (v !== null) writers.set(v, (writers.get(v) ?? 0) + 1);
  }
  const earliestObservation = new Map<string, number>();
  const referenced = new Set<string>();
  let lastRiskyCasReturn = -Infinity;
  for (const o of part) {
    const seen = observedValue(o);
    if (seen !== null && o.return !== Infinity) {
      earliestObservation.set(seen, Math.min(earliestObservation.get(seen) ?? Infinity, o.return));
    }
    if (o.input.op === 'get' && 'value' in o.output && o.output.value !== null) referenced.add(o.output.value);
    if (o.input.op === 'cas' && o.input.expectValue !== null) referenced.add(o.input.expectValue);
    const failed = 'ok' in o.output && !o.output.ok;
    if (o.input.op === 'cas' && (failed || (isUnknownOutput(o.output) && o.return !== Infinity))) {
      lastRiskyCasReturn = Math.max(lastRiskyCasReturn, o.return);
    }
  }

  const out: KvOperation[] = [];
  for (const o of part) {
    const v = o.return === Infinity ? writtenValue(o) : null;
    if (v === null || writers.get(v) !== 1) {
      out.push(o);
      continue;
    }
    const observedBy = earliestObservation.get(v);
    if (observedBy !== undefined) {
      // An observer returning before W was called makes the history illegal anyway.
      out.push(observedBy >= o.call ? { ...o, return: observedBy } : o);
    } else if (referenced.has(v) || lastRiskyCasReturn >= o.call) {
      out.push(o);
    }
    // else: rule 2, dropped.
  }
  return out;
}

/** The value an operation may write, if it is a put or a cas that may have succeeded. */
function writtenValue(o: KvOperation): string | null {
  switch (o.input.op) {
    case 'put':
      return o.input.value;
    case 'cas':
      return 'ok' in o.output && !o.output.ok ? null : o.input.value;
    case 'get':
    case 'delete':
      return null;
  }
}

/** The value a completed operation proves was current at its linearization point. */
function observedValue(o: KvOperation): string | null {
  if (o.input.op === 'get' && 'value' in o.output) return o.output.value;
  if (o.input.op === 'cas' && 'ok' in o.output && o.output.ok) return o.input.expectValue;
  return null;
}
