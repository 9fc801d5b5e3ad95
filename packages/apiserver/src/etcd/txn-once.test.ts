import assert from 'node:assert/strict';
import { test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { EtcdError } from './etcd-client.js';
import { txnOnce } from './txn-once.js';

/**
 * One key's mod_revision and a compare-and-set on it, the shape of every registry write.
 * `lost` is a Txn whose answer never comes back; its write lands when `applyLost` is
 * called, or never.
 */
class Key {
  rev = 5;
  readonly writes: string[] = [];
  private pending: (() => void) | undefined;

  cas(expect: number, who: string): { succeeded: boolean; revision: number } {
    if (this.rev !== expect) return { succeeded: false, revision: this.rev };
    this.rev++;
    this.writes.push(who);
    return { succeeded: true, revision: this.rev };
  }

  lost(expect: number, who: string): Promise<never> {
    this.pending = () => this.cas(expect, who);
    return Promise.reject(new EtcdError('etcd: etcdserver: request timed out', status.UNAVAILABLE));
  }

  applyLost(): void {
    this.pending?.();
    this.pending = undefined;
  }
}

const fast = { backoffMs: 0 };

test('a Txn answered the first time is sent once and not read back', async () => {
  const k = new Key();
  let confirms = 0;
  const res = await txnOnce(
    async () => k.cas(5, 'me'),
    async () => (confirms++, undefined),
    fast,
  );
  assert.deepEqual(res, { succeeded: true, revision: 6 });
  assert.deepEqual(k.writes, ['me']);
  assert.equal(confirms, 0);
});

test('an error that is not ambiguous is thrown at once, without a resend', async () => {
  let sends = 0;
  const invalid = new EtcdError('etcd: etcdserver: too many operations in txn request', status.INVALID_ARGUMENT);
  await assert.rejects(
    txnOnce(
      async () => {
        sends++;
        throw invalid;
      },
      async () => undefined,
      fast,
    ),
    invalid,
  );
  assert.equal(sends, 1);
});

test('a lost answer whose write landed: the read-back says so and nothing is resent', async () => {
  const k = new Key();
  let sends = 0;
  const res = await txnOnce(
    () => (sends++ === 0 ? k.lost(5, 'me').finally(() => k.applyLost()) : Promise.resolve(k.cas(5, 'me again'))),
    async () => (k.writes.includes('me') ? k.rev : undefined),
    fast,
  );
  assert.deepEqual(res, { succeeded: true, revision: 6 });
  assert.deepEqual(k.writes, ['me']);
  assert.equal(sends, 1);
});

test('a lost answer whose write never landed: the Txn is sent again and its answer returned', async () => {
  const k = new Key();
  let sends = 0;
  const res = await txnOnce(
    () => (sends++ === 0 ? k.lost(5, 'me') : Promise.resolve(k.cas(5, 'me'))),
    async () => (k.writes.includes('me') ? k.rev : undefined),
    fast,
  );
  assert.deepEqual(res, { succeeded: true, revision: 6 });
  assert.deepEqual(k.writes, ['me']);
  assert.equal(sends, 2);
});

test('a lost write that commits after the read-back, just before the resend, is still reported as done', async () => {
  const k = new Key();
  let sends = 0;
  let confirms = 0;
  const res = await txnOnce(
    () => (sends++ === 0 ? k.lost(5, 'first') : Promise.resolve(k.cas(5, 'resend'))),
    async () => {
      const seen = k.writes.includes('first') ? k.rev : undefined;
      // The first read-back comes too early: the lost proposal commits right after it.
      if (confirms++ === 0) k.applyLost();
      return seen;
    },
    fast,
  );
  assert.deepEqual(k.writes, ['first'], 'the resend failed its compare: the write was applied once');
  assert.deepEqual(res, { succeeded: true, revision: 6 }, 'and the caller is told it succeeded, at its revision');
});

test('a resend that fails its compare because someone else wrote is a conflict', async () => {
  const k = new Key();
  let sends = 0;
  const res = await txnOnce(
    () => {
      if (sends++ > 0) return Promise.resolve(k.cas(5, 'me'));
      k.cas(5, 'someone else');
      return k.lost(5, 'me');
    },
    async () => (k.writes.includes('me') ? k.rev : undefined),
    fast,
  );
  assert.equal(res.succeeded, false);
  assert.deepEqual(k.writes, ['someone else']);
});

test('an answer lost every time: the last error is thrown after the given read-backs', async () => {
  let sends = 0;
  let confirms = 0;
  await assert.rejects(
    txnOnce(
      async () => {
        sends++;
        throw new EtcdError(`etcd: deadline exceeded ${sends}`, status.DEADLINE_EXCEEDED);
      },
      async () => (confirms++, undefined),
      { attempts: 3, backoffMs: 0 },
    ),
    /deadline exceeded 4/,
  );
  assert.equal(sends, 4);
  assert.equal(confirms, 3);
});
