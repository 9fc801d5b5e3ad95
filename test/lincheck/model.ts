/**
 * The two contracts the checker is built on: a recorded operation and a sequential model.
 */

/**
 * One client operation as observed from outside the system under test.
 *
 * Contract:
 * - `call` and `return` come from one monotonic clock shared by every client of the
 *   history (a logical counter is best: see `HistoryRecorder`). Equal timestamps are
 *   treated as concurrent, never as ordered.
 * - `call` is finite and `call <= return`.
 * - `return === Infinity` means the outcome is unknown (timeout, lost connection): the
 *   operation may take effect at any point after `call`, or never. Its `output` should be
 *   the model's "unknown" marker (for the KV model `{ unknown: true }`).
 * - A finite `return` means the operation took effect exactly once between `call` and
 *   `return`, even if the model's output says it does not know the result.
 */
export interface Operation<I, O> {
  readonly clientId: number;
  readonly input: I;
  readonly call: number;
  readonly return: number;
  readonly output: O;
}

/** Result of applying one operation to a model state. `next` is ignored when `ok` is false. */
export interface StepResult<S> {
  readonly ok: boolean;
  readonly next: S;
}

/**
 * A sequential specification. States must be treated as immutable values: `step` returns
 * a new state (or the same one) and never mutates its argument, because the search keeps
 * old states for backtracking and memoization.
 *
 * Contract: `equal(a, b)` implies `hash(a) === hash(b)`. The hash only buckets the
 * memoization cache; `equal` decides.
 */
export interface Model<S, I, O> {
  init(): S;
  /** Applies `input` to `state`; `ok` is false when `output` is impossible from `state`. */
  step(state: S, input: I, output: O): StepResult<S>;
  equal(a: S, b: S): boolean;
  hash(s: S): string;
  /**
   * Optional hint: true when the operation leaves every state unchanged (a read, a failed
   * compare-and-swap). The search then linearizes such an operation as soon as the model
   * accepts it and never tries it elsewhere, which removes most backtracking around reads.
   * Must be exact: a wrong `true` can turn a linearizable history into 'illegal'.
   */
  readOnly?(input: I, output: O): boolean;
  /**
   * Splits a history into independent sub-histories (P-compositionality): the whole
   * history is linearizable iff every part is. Only offer this when operations in
   * different parts never touch the same state.
   */
  partition?(history: Operation<I, O>[]): Operation<I, O>[][];
  /**
   * Rewrites one part into an equivalent one (linearizable iff `part` is) that is cheaper
   * to search, typically by resolving operations with unknown return. Operations it keeps
   * unchanged must be returned as the same objects.
   */
  simplify?(part: readonly Operation<I, O>[]): Operation<I, O>[];
  /** Human-readable name of one part returned by `partition`, e.g. `key "/a"`. */
  partitionName?(part: readonly Operation<I, O>[]): string;
  /** Human-readable rendering of one operation, e.g. `put "/a" = "1"`. */
  describe?(input: I, output: O): string;
  /** Human-readable rendering of a state, for explanations. */
  describeState?(s: S): string;
}
