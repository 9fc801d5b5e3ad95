import { assertNever } from './errors.js';
import { KV_UNKNOWN, type KvInput, type KvOperation, type KvOutput } from './kv-model.js';
import type { Prng } from './prng.js';

/**
 * Test support: histories of a real sequential KV execution seen through randomly
 * overlapping client intervals, so they are linearizable by construction, plus mutations
 * that make them provably non-linearizable. Used by the randomized test and the benchmark.
 */
export interface GenOptions {
  readonly clients: number;
  readonly ops: number;
  readonly keys: readonly string[];
  /** Probability that a write's outcome is lost (recorded with `return: Infinity`). */
  readonly unknownWriteRate: number;
}

type Client =
  | { readonly phase: 'idle' }
  | { readonly phase: 'called'; readonly input: KvInput; readonly call: number }
  | { readonly phase: 'applied'; readonly input: KvInput; readonly call: number; readonly output: KvOutput };

/**
 * Each tick one random client advances one phase: idle -> called (call event) ->
 * applied (the operation runs against the real store: its linearization point) ->
 * idle (return event). A write whose outcome is "lost" is recorded as unknown either
 * before it is applied (it never happens) or after (it did happen).
 */
export function generateKvHistory(rng: Prng, opt: GenOptions): KvOperation[] {
  const store = new Map<string, string>();
  const written: string[] = [];
  const clients: Client[] = Array.from({ length: opt.clients }, () => ({ phase: 'idle' }));
  const history: KvOperation[] = [];
  let started = 0;
  let t = 0;
  let valueSeq = 0;

  const randomInput = (): KvInput => {
    const key = rng.pick(opt.keys);
    const r = rng.next();
    if (r < 0.45) return { op: 'get', key };
    if (r < 0.75) return { op: 'put', key, value: `v${valueSeq++}` };
    if (r < 0.82) return { op: 'delete', key };
    const current = store.get(key) ?? null;
    const expectValue = rng.chance(0.5) ? current : rng.chance(0.3) || written.length === 0 ? null : rng.pick(written);
    return { op: 'cas', key, expectValue, value: `v${valueSeq++}` };
  };
  const apply = (input: KvInput): KvOutput => {
    const current = store.get(input.key) ?? null;
    switch (input.op) {
      case 'get':
        return { value: current };
      case 'put':
        store.set(input.key, input.value);
        written.push(input.value);
        return {};
      case 'delete':
        store.delete(input.key);
        return {};
      case 'cas':
        if (current !== input.expectValue) return { ok: false };
        store.set(input.key, input.value);
        written.push(input.value);
        return { ok: true };
      default:
        return assertNever(input, 'kv input');
    }
  };

  while (started < opt.ops || clients.some((c) => c.phase !== 'idle')) {
    t++;
    const id = rng.int(opt.clients);
    const c = clients[id];
    if (c === undefined) continue;
    const lose = (input: KvInput): boolean => input.op !== 'get' && rng.chance(opt.unknownWriteRate);
    switch (c.phase) {
      case 'idle':
        if (started < opt.ops) {
          clients[id] = { phase: 'called', input: randomInput(), call: t };
          started++;
        }
        break;
      case 'called':
        if (lose(c.input)) {
          history.push({ clientId: id, input: c.input, call: c.call, return: Infinity, output: KV_UNKNOWN });
          clients[id] = { phase: 'idle' };
        } else {
          clients[id] = { phase: 'applied', input: c.input, call: c.call, output: apply(c.input) };
        }
        break;
      case 'applied': {
        const lost = lose(c.input);
        history.push({
          clientId: id,
          input: c.input,
          call: c.call,
          return: lost ? Infinity : t,
          output: lost ? KV_UNKNOWN : c.output,
        });
        clients[id] = { phase: 'idle' };
        break;
      }
    }
  }
  return history;
}

/** Reads that must be linearized and whose output is known: the ones worth mutating. */
function knownReads(history: readonly KvOperation[]): number[] {
  const out: number[] = [];
  history.forEach((o, i) => {
    if (o.input.op === 'get' && o.return !== Infinity && 'value' in o.output) out.push(i);
  });
  return out;
}

/** Replaces one known read's result with a value no write ever wrote. Null if no read. */
export function mutateToNeverWritten(rng: Prng, history: readonly KvOperation[]): KvOperation[] | null {
  const reads = knownReads(history);
  if (reads.length === 0) return null;
  const i = rng.pick(reads);
  return history.map((o, j) => (j === i ? { ...o, output: { value: 'never-written' } } : o));
}

/**
 * Replaces one known read R's result with a stale value v: v was written by W, and a
 * later write W2 that changes the key (W returned before W2 was called) completed before
 * R was called. Values are unique, so every linearization orders W < W2 < R and R cannot
 * see v. Null when the history has no such triple.
 */
export function mutateToStale(rng: Prng, history: readonly KvOperation[]): KvOperation[] | null {
  const overwrites = (o: KvOperation): boolean =>
    o.return !== Infinity &&
    (o.input.op === 'put' || o.input.op === 'delete' || (o.input.op === 'cas' && 'ok' in o.output && o.output.ok));
  const writesValue = (o: KvOperation): string | null => {
    if (o.return === Infinity) return null;
    if (o.input.op === 'put') return o.input.value;
    if (o.input.op === 'cas' && 'ok' in o.output && o.output.ok) return o.input.value;
    return null;
  };
  const candidates: { read: number; value: string }[] = [];
  for (const r of knownReads(history)) {
    const read = history[r];
    if (read === undefined) continue;
    // The overwrite finishing before the read with the latest call leaves the most room for W.
    let w2: KvOperation | undefined;
    for (const o of history) {
      if (o.input.key === read.input.key && overwrites(o) && o.return < read.call && (w2 === undefined || o.call > w2.call)) {
        w2 = o;
      }
    }
    if (w2 === undefined) continue;
    const seen = 'value' in read.output ? read.output.value : null;
    for (const w of history) {
      const v = writesValue(w);
      if (v !== null && v !== seen && w.input.key === read.input.key && w.return < w2.call) {
        candidates.push({ read: r, value: v });
      }
    }
  }
  if (candidates.length === 0) return null;
  const { read, value } = rng.pick(candidates);
  return history.map((o, j) => (j === read ? { ...o, output: { value } } : o));
}
