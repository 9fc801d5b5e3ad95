import { EtcdError, type TxnResult } from './etcd-client.js';

/**
 * Runs a compare-guarded Txn so that it takes effect at most once and its caller learns
 * whether it did, even when etcd's answer is lost: a member killed or starved past the
 * deadline mid-request fails the call with an ambiguous error (EtcdError.ambiguous), after
 * which the Txn may or may not be applied. Resending it blindly could apply it twice, so
 * `confirm` first reads back whether the write landed (its revision) or not (undefined),
 * and only then is the Txn sent again.
 *
 * The lost attempt may still be in flight when that read is made, and commit just before
 * the resend, which then fails its compare. Once the resend has committed, though, the
 * lost attempt's fate is settled: either it committed earlier in Raft's log, or it will
 * fail the same compare if it ever arrives (whatever made the resend fail, or the resend
 * itself, moved the compared revision on). So a resend that failed its compare is followed
 * by one more `confirm`, which now tells the truth.
 *
 * Errors that are not ambiguous are thrown as they are, as is the last ambiguous one once
 * `attempts` reads back have been tried.
 */
export async function txnOnce(
  txn: () => Promise<TxnResult>,
  confirm: () => Promise<number | undefined>,
  opts: { attempts?: number; backoffMs?: number } = {},
): Promise<TxnResult> {
  const attempts = opts.attempts ?? 10;
  const backoffMs = opts.backoffMs ?? 100;
  let lost: unknown;
  try {
    return await txn();
  } catch (err) {
    if (!isAmbiguous(err)) throw err;
    lost = err;
  }
  for (let i = 0; i < attempts; i++) {
    await new Promise((r) => setTimeout(r, backoffMs * (i + 1)));
    try {
      const landed = await confirm();
      if (landed !== undefined) return { succeeded: true, revision: landed };
      const res = await txn();
      if (res.succeeded) return res;
      const late = await confirm();
      return late !== undefined ? { succeeded: true, revision: late } : res;
    } catch (err) {
      if (!isAmbiguous(err)) throw err;
      lost = err;
    }
  }
  throw lost;
}

function isAmbiguous(err: unknown): boolean {
  return err instanceof EtcdError && err.ambiguous;
}
