import { assertNever, LincheckInputError } from './errors.js';
import { simplifyKvHistory } from './kv-simplify.js';
import type { Model, Operation, StepResult } from './model.js';

/**
 * Sequential model of etcd's key-value API as seen by the integration tests: single-key
 * get, put, delete and compare-and-swap (a Txn comparing the value, then putting).
 */
export type KvInput =
  | { readonly op: 'get'; readonly key: string }
  | { readonly op: 'put'; readonly key: string; readonly value: string }
  | { readonly op: 'delete'; readonly key: string }
  | {
      readonly op: 'cas';
      readonly key: string;
      /** null: the key must be absent (etcd: compare create_revision = 0). */
      readonly expectValue: string | null;
      readonly value: string;
    };

/** Output of a completed get; `null` means the key was absent. */
export interface KvGetOutput { readonly value: string | null }
/** Output of a completed cas: whether the comparison held (and the put happened). */
export interface KvCasOutput { readonly ok: boolean }
/** Output of a completed put or delete. */
export type KvWriteOutput = Readonly<Record<string, never>>;
/** Output of an operation whose outcome is unknown (timeout, lost connection). */
export interface KvUnknownOutput { readonly unknown: true }

export type KvOutput = KvGetOutput | KvCasOutput | KvWriteOutput | KvUnknownOutput;
export type KvOperation = Operation<KvInput, KvOutput>;

/** Values of the keys in one partition; an absent key has no entry. Never mutated. */
export type KvState = ReadonlyMap<string, string>;

export const KV_UNKNOWN: KvUnknownOutput = Object.freeze({ unknown: true });

export function isUnknownOutput(o: KvOutput): o is KvUnknownOutput {
  return 'unknown' in o && o.unknown === true;
}

const EMPTY: KvState = new Map();

/**
 * The KV model. Partitioned by key: operations on different keys never interact, so each
 * key's sub-history is checked alone (which is what keeps etcd histories tractable).
 *
 * An unknown-outcome write (`KV_UNKNOWN`) is accepted from any state: a put or delete
 * applies, a cas applies iff its comparison holds at its linearization point. Combine
 * it with `return: Infinity` so the checker may also decide it never happened. A read with
 * an unknown outcome carries no information: drop it from the history (see
 * `dropUnknownReads`); if kept, it is accepted from any state.
 *
 * Throws `LincheckInputError` when an output does not fit its input (e.g. a get with `{}`).
 */
export const kvModel: Model<KvState, KvInput, KvOutput> = {
  init: () => EMPTY,

  step(state: KvState, input: KvInput, output: KvOutput): StepResult<KvState> {
    const unknown = isUnknownOutput(output);
    const current = state.get(input.key) ?? null;
    switch (input.op) {
      case 'get': {
        if (unknown) return { ok: true, next: state };
        if (!('value' in output)) throw badOutput(input, output);
        return { ok: output.value === current, next: state };
      }
      case 'put':
        if (!unknown && Object.keys(output).length !== 0) throw badOutput(input, output);
        return { ok: true, next: withValue(state, input.key, input.value) };
      case 'delete':
        if (!unknown && Object.keys(output).length !== 0) throw badOutput(input, output);
        return { ok: true, next: withValue(state, input.key, null) };
      case 'cas': {
        const holds = current === input.expectValue;
        if (unknown) return { ok: true, next: holds ? withValue(state, input.key, input.value) : state };
        if (!('ok' in output)) throw badOutput(input, output);
        if (output.ok !== holds) return { ok: false, next: state };
        return { ok: true, next: holds ? withValue(state, input.key, input.value) : state };
      }
      default:
        return assertNever(input, 'kv input');
    }
  },

  equal(a: KvState, b: KvState): boolean {
    if (a === b) return true;
    if (a.size !== b.size) return false;
    for (const [k, v] of a) if (b.get(k) !== v) return false;
    return true;
  },

  // Length-prefixed so that distinct states never produce the same string.
  hash(s: KvState): string {
    if (s.size === 0) return '';
    if (s.size === 1) {
      for (const [k, v] of s) return `${k.length}:${k}${v.length}:${v}`;
    }
    return [...s]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${k.length}:${k}${v.length}:${v}`)
      .join('');
  },

  readOnly(input: KvInput, output: KvOutput): boolean {
    return input.op === 'get' || (input.op === 'cas' && 'ok' in output && !output.ok);
  },

  partition(history: KvOperation[]): KvOperation[][] {
    const byKey = new Map<string, KvOperation[]>();
    for (const o of history) {
      const part = byKey.get(o.input.key);
      if (part === undefined) byKey.set(o.input.key, [o]);
      else part.push(o);
    }
    return [...byKey.values()];
  },

  simplify: (part: readonly KvOperation[]): KvOperation[] => simplifyKvHistory(part),

  partitionName(part: readonly KvOperation[]): string {
    const key = part[0]?.input.key;
    return key === undefined ? 'empty partition' : `key ${JSON.stringify(key)}`;
  },

  describe(input: KvInput, output: KvOutput): string {
    return `${describeInput(input)} -> ${describeOutput(input, output)}`;
  },

  describeState(s: KvState): string {
    if (s.size === 0) return 'all keys absent';
    return [...s].map(([k, v]) => `${JSON.stringify(k)} = ${JSON.stringify(v)}`).join(', ');
  },
};

/** Removes reads whose outcome is unknown: they constrain nothing and only cost search time. */
export function dropUnknownReads(history: readonly KvOperation[]): KvOperation[] {
  return history.filter((o) => !(o.input.op === 'get' && isUnknownOutput(o.output)));
}

function withValue(state: KvState, key: string, value: string | null): KvState {
  if ((state.get(key) ?? null) === value) return state;
  const next = new Map(state);
  if (value === null) next.delete(key);
  else next.set(key, value);
  return next;
}

function describeInput(input: KvInput): string {
  const k = JSON.stringify(input.key);
  switch (input.op) {
    case 'get':
      return `get ${k}`;
    case 'put':
      return `put ${k} = ${JSON.stringify(input.value)}`;
    case 'delete':
      return `delete ${k}`;
    case 'cas': {
      const expect = input.expectValue === null ? 'absent' : JSON.stringify(input.expectValue);
      return `cas ${k} if ${expect} then = ${JSON.stringify(input.value)}`;
    }
    default:
      return assertNever(input, 'kv input');
  }
}

function describeOutput(input: KvInput, output: KvOutput): string {
  if (isUnknownOutput(output)) return 'outcome unknown';
  if ('value' in output) return output.value === null ? 'absent' : JSON.stringify(output.value);
  if ('ok' in output) return output.ok ? 'succeeded' : 'failed';
  return input.op === 'delete' ? 'deleted' : 'done';
}

function badOutput(input: KvInput, output: KvOutput): LincheckInputError {
  return new LincheckInputError(
    `lincheck kv model: output ${JSON.stringify(output)} does not fit input ${JSON.stringify(input)}`,
  );
}
