// @ts-check
// Bounded parallel work: at most `concurrency` calls in flight, at most `count` calls, no
// new call after `maxMs`, and it gives up after `maxErrors` failures.
import { isApiError, Reason } from '@kemu/api';

export const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/** @param {unknown} err */
export function errText(err) {
  return err instanceof Error ? err.message : String(err);
}

/** @param {number[]} sorted ascending @param {number} q 0..1 */
export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return /** @type {number} */ (sorted[idx]);
}

/** @param {number[]} xs */
export function median(xs) {
  return quantile([...xs].sort((a, b) => a - b), 0.5);
}

/**
 * @typedef {object} PoolResult
 * @property {number} ok
 * @property {number} errors
 * @property {number} elapsedMs
 * @property {number} rate successful calls per second
 * @property {boolean} complete every call was made and none failed
 * @property {string} [firstError]
 */

/**
 * @param {number} count
 * @param {number} concurrency
 * @param {(i: number) => Promise<void>} fn
 * @param {{ maxMs: number, maxErrors?: number, progress?: (done: number, elapsedMs: number) => void, progressMs?: number }} o
 * @returns {Promise<PoolResult>}
 */
export async function runPool(count, concurrency, fn, o) {
  const t0 = performance.now();
  const maxErrors = o.maxErrors ?? 50;
  let next = 0;
  let ok = 0;
  let errors = 0;
  /** @type {string | undefined} */
  let firstError;
  const progress = o.progress;
  const timer = progress ? setInterval(() => progress(ok + errors, performance.now() - t0), o.progressMs ?? 10_000) : undefined;
  const worker = async () => {
    while (next < count && errors < maxErrors && performance.now() - t0 < o.maxMs) {
      const i = next++;
      try {
        await fn(i);
        ok++;
      } catch (err) {
        errors++;
        firstError ??= errText(err);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
  } finally {
    clearInterval(timer);
  }
  const elapsedMs = performance.now() - t0;
  return { ok, errors, elapsedMs, rate: ok / (elapsedMs / 1000), complete: ok === count, firstError };
}

const TRANSIENT = [Reason.ServiceUnavailable, Reason.Timeout, Reason.InternalError];

/**
 * Retries a call that failed for a transient reason (apiserver or etcd overloaded), up to
 * `tries` times; `alreadyDone` turns an error on a retry into success (e.g. AlreadyExists
 * after a create whose first answer was lost).
 * @template T
 * @param {() => Promise<T>} call
 * @param {{ tries?: number, alreadyDone?: (err: unknown) => boolean }} [o]
 * @returns {Promise<T | undefined>}
 */
export async function withRetry(call, o = {}) {
  const tries = o.tries ?? 4;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt > 1 && o.alreadyDone?.(err)) return undefined;
      if (attempt >= tries || !TRANSIENT.some((r) => isApiError(err, r))) throw err;
      await sleep(200 * attempt);
    }
  }
}
