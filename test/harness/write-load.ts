import { randomBytes } from 'node:crypto';
import { KvClient } from './kv-client.js';

/** A put the cluster acknowledged: from here on it must never be lost. */
export interface AckedWrite {
  key: string;
  value: string;
  /** header.revision of the put response; the key's mod_revision must equal it. */
  revision: bigint;
  endpoint: string;
  /** Date.now() when the request was sent. */
  startedAt: number;
}

/**
 * Every write a test issued, by key. A key is written at most once, so any value found
 * for it must be the one issued; writes that failed are indeterminate (present or not).
 */
export class WriteLedger {
  readonly attempted = new Map<string, string>();
  readonly acked = new Map<string, AckedWrite>();
  /** Acknowledged responses that break the contract (no header, non-positive revision). */
  readonly malformed: string[] = [];
  failures = 0;

  ackedStartedAtOrAfter(t: number): number {
    let n = 0;
    for (const a of this.acked.values()) if (a.startedAt >= t) n++;
    return n;
  }

  /** Issues one put and records its outcome; resolves false (never rejects) when it failed. */
  async put(client: KvClient, key: string, value: string, timeoutMs: number): Promise<boolean> {
    if (this.attempted.has(key)) throw new Error(`write ledger: key ${key} written twice`);
    this.attempted.set(key, value);
    const startedAt = Date.now();
    try {
      const res = await client.put(key, value, timeoutMs);
      const revision = res.header?.revision;
      if (revision === undefined || revision <= 0n) {
        this.malformed.push(`put ${key} via ${client.endpoint} acknowledged with header ${JSON.stringify(res.header, bigintJson)}`);
        return false;
      }
      this.acked.set(key, { key, value, revision, endpoint: client.endpoint, startedAt });
      return true;
    } catch {
      this.failures++;
      return false;
    }
  }
}

export interface WriteLoadOptions {
  endpoints: string[];
  /** Every key starts with `${keyPrefix}/`; use a prefix of the test's own. */
  keyPrefix: string;
  ledger?: WriteLedger;
  writers?: number;
  /** Hard bounds: the load stops by itself after this long or this many requests. */
  maxDurationMs?: number;
  maxWrites?: number;
  requestTimeoutMs?: number;
}

/**
 * Concurrent writers, each putting unique keys through one member's endpoint and moving
 * to the next endpoint after a failure (the failed key is never reused: a retry is a new
 * key, because the failed put may still be applied). Bounded in time and count.
 */
export class WriteLoad {
  readonly ledger: WriteLedger;
  private stopped = false;
  private issued = 0;
  private readonly clients: KvClient[];
  private readonly done: Promise<void>;

  private constructor(private readonly opts: WriteLoadOptions) {
    this.ledger = opts.ledger ?? new WriteLedger();
    this.clients = opts.endpoints.map((e) => new KvClient(e));
    const deadline = Date.now() + (opts.maxDurationMs ?? 30_000);
    const tag = randomBytes(4).toString('hex');
    this.done = Promise.all(Array.from({ length: opts.writers ?? 8 }, (_, w) => this.writer(w, tag, deadline))).then(() => undefined);
  }

  static start(opts: WriteLoadOptions): WriteLoad {
    return new WriteLoad(opts);
  }

  private async writer(w: number, tag: string, deadline: number): Promise<void> {
    const maxWrites = this.opts.maxWrites ?? 20_000;
    let ep = w % this.clients.length;
    for (let seq = 0; !this.stopped && Date.now() < deadline && this.issued < maxWrites; seq++) {
      this.issued++;
      const key = `${this.opts.keyPrefix}/${tag}/w${w}/${seq}`;
      const ok = await this.ledger.put(this.clients[ep]!, key, `v:${key}:${randomBytes(3).toString('hex')}`, this.opts.requestTimeoutMs ?? 3000);
      if (!ok) {
        ep = (ep + 1) % this.clients.length;
        // A dead endpoint fails fast; do not spin on it.
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** Polls until at least `n` writes sent at or after `since` are acknowledged. */
  async waitAcks(n: number, since: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const have = this.ledger.ackedStartedAtOrAfter(since);
      if (have >= n) return;
      if (Date.now() > deadline) {
        throw new Error(`write load: only ${have} of ${n} writes sent since ${new Date(since).toISOString()} were acknowledged within ${timeoutMs} ms (${this.ledger.failures} failed)`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Stops the writers and waits for the requests in flight to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
    for (const c of this.clients) c.close();
  }
}

/**
 * Puts through one endpoint until `n` keys under `${prefix}/` are acknowledged, `concurrency`
 * at a time. A put that failed (a starved machine's leader change drops the proposals in
 * flight) may still be applied, so its key is never reused: another put takes the next key,
 * as WriteLoad does. Throws once more than `n` puts have failed.
 */
export async function putKeys(ledger: WriteLedger, endpoint: string, prefix: string, n: number, concurrency = 8): Promise<void> {
  const client = new KvClient(endpoint);
  let next = 0;
  /** Puts acknowledged or still in flight. */
  let live = 0;
  const failed: string[] = [];
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (live < n && failed.length <= n) {
          live++;
          const key = `${prefix}/${String(next++).padStart(5, '0')}`;
          if (await ledger.put(client, key, `v:${key}:${randomBytes(3).toString('hex')}`, 10_000)) continue;
          live--;
          failed.push(key);
          await new Promise((r) => setTimeout(r, 50));
        }
      }),
    );
  } finally {
    client.close();
  }
  if (live < n) throw new Error(`putKeys: ${failed.length} of ${next} puts via ${endpoint} failed (first: ${failed[0]}); ${live} of ${n} acknowledged`);
}

export function bigintJson(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}
