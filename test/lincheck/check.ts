import { assertNever, LincheckInputError } from './errors.js';
import { formatIllegal, illegalDetail, type IllegalDetail } from './explain.js';
import type { Model, Operation } from './model.js';
import { searchLinearization } from './search.js';

export interface CheckOptions {
  /** Total budget for the whole history (all partitions). Unlimited when absent. */
  readonly timeoutMs?: number;
  /** Milliseconds clock for the budget; defaults to `performance.now`. Injected by tests. */
  readonly clock?: () => number;
}

export type CheckVerdict = 'ok' | 'illegal' | 'unknown';

export interface CheckResult<I, O> {
  /** 'unknown' only when the budget ran out before any partition was found illegal. */
  readonly result: CheckVerdict;
  /** Number of non-empty partitions the history was split into. */
  readonly partitions: number;
  /** Set when `result` is 'illegal' (multi-line, for humans) or 'unknown' (why). */
  readonly explanation?: string;
  /** Structured form of `explanation` when `result` is 'illegal'. */
  readonly illegal?: IllegalDetail<I, O>;
}

/**
 * Decides whether `history` is linearizable with respect to `model`.
 *
 * The history is split with `model.partition` when the model has one, and each part is
 * searched independently; the first illegal part decides the answer. Operations with
 * `return === Infinity` may take effect at any time after their call, or never.
 *
 * Throws `LincheckInputError` when an operation breaks the `Operation` contract.
 */
export function checkOperations<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  options: CheckOptions = {},
): CheckResult<I, O> {
  history.forEach(validateOperation);
  const clock = options.clock ?? (() => performance.now());
  const deadline = options.timeoutMs === undefined ? Infinity : clock() + options.timeoutMs;
  const outOfBudget = (): boolean => clock() >= deadline;

  const all = [...history];
  const parts = (model.partition?.(all) ?? [all])
    .map((p) => model.simplify?.(p) ?? p)
    .filter((p) => p.length > 0);
  const unknown = (): CheckResult<I, O> => ({
    result: 'unknown',
    partitions: parts.length,
    explanation: `time budget of ${options.timeoutMs ?? Infinity} ms ran out before the search finished`,
  });
  for (const [index, part] of parts.entries()) {
    if (outOfBudget()) return unknown();
    const r = searchLinearization(model, part, outOfBudget);
    switch (r.kind) {
      case 'ok':
        continue;
      case 'timeout':
        return unknown();
      case 'illegal': {
        const detail = illegalDetail(model, part, index, r.deadEnd);
        return {
          result: 'illegal',
          partitions: parts.length,
          explanation: formatIllegal(model, detail, part.length),
          illegal: detail,
        };
      }
      default:
        return assertNever(r, 'search result');
    }
  }
  return { result: 'ok', partitions: parts.length };
}

function validateOperation<I, O>(o: Operation<I, O>, index: number): void {
  if (!Number.isFinite(o.call)) {
    throw new LincheckInputError(`lincheck: operation ${index}: call must be a finite number, got ${o.call}`);
  }
  if (Number.isNaN(o.return) || o.return < o.call) {
    throw new LincheckInputError(
      `lincheck: operation ${index}: return must be >= call (${o.call}) or Infinity, got ${o.return}`,
    );
  }
}
