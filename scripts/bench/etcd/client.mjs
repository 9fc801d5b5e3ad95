// @ts-check
// The one client both clusters are measured with: the generated grpc-js clients from
// @kemu/api, one channel per member endpoint (KV and Maintenance share it).
import { credentials, Metadata } from '@grpc/grpc-js';
import { etcdserverpb } from '@kemu/api';

/** Short reconnect backoff so a restarted member is seen again within ~100 ms, not grpc's 1-120 s. */
const CHANNEL_OPTIONS = {
  'grpc.initial_reconnect_backoff_ms': 50,
  'grpc.max_reconnect_backoff_ms': 100,
};

export const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

export class BenchClient {
  /** @param {string[]} endpoints */
  constructor(endpoints) {
    this.endpoints = endpoints;
    this.conns = endpoints.map((addr) => {
      const kv = new etcdserverpb.KVClient(addr, credentials.createInsecure(), CHANNEL_OPTIONS);
      const maint = new etcdserverpb.MaintenanceClient(addr, credentials.createInsecure(), { ...CHANNEL_OPTIONS, channelOverride: kv.getChannel() });
      return { kv, maint };
    });
  }

  /** @param {number} i */
  conn(i) {
    const c = this.conns[i];
    if (!c) throw new Error(`no endpoint #${i}`);
    return c;
  }

  /**
   * One Put; resolves when the member answered OK.
   * @param {number} i endpoint index
   * @param {Buffer} key
   * @param {Buffer} value
   * @param {number} timeoutMs
   * @returns {Promise<void>}
   */
  put(i, key, value, timeoutMs) {
    const req = { key, value, lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false };
    return new Promise((resolve, reject) => {
      this.conn(i).kv.put(req, new Metadata(), { deadline: Date.now() + timeoutMs }, (err) => (err ? reject(err) : resolve()));
    });
  }

  /**
   * @param {number} i
   * @param {number} timeoutMs
   * @returns {Promise<etcdserverpb.StatusResponse>}
   */
  status(i, timeoutMs) {
    return new Promise((resolve, reject) => {
      this.conn(i).maint.status({}, new Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }

  /** @param {number} i @param {number} timeoutMs */
  async tryStatus(i, timeoutMs) {
    try {
      return await this.status(i, timeoutMs);
    } catch {
      return undefined;
    }
  }

  /**
   * The member that says it is leader, among `candidates` (default all); polls until `timeoutMs`.
   * @param {number} timeoutMs
   * @param {number[]} [candidates]
   * @returns {Promise<number>}
   */
  async leader(timeoutMs, candidates = this.endpoints.map((_, i) => i)) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = await Promise.all(candidates.map(async (i) => {
        const s = await this.tryStatus(i, 500);
        return s && s.leader !== 0n && s.header && s.leader === s.header.memberId ? i : undefined;
      }));
      const i = found.find((x) => x !== undefined);
      if (i !== undefined) return i;
      await sleep(50);
    }
    throw new Error(`no leader within ${timeoutMs} ms`);
  }

  /**
   * Waits until every endpoint in `members` answers Status and all name the same leader.
   * @param {number} timeoutMs
   * @param {number[]} [members]
   */
  async waitAgreed(timeoutMs, members = this.endpoints.map((_, i) => i)) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const st = await Promise.all(members.map((i) => this.tryStatus(i, 500)));
      const leaders = new Set(st.map((s) => s?.leader ?? 0n));
      if (st.every((s) => s !== undefined) && leaders.size === 1 && !leaders.has(0n)) return;
      await sleep(50);
    }
    throw new Error(`members ${members.join(',')} did not agree on a leader within ${timeoutMs} ms`);
  }

  /**
   * Polls member `i` until its applied index reaches `target`. Returns ms until the first
   * Status answer and until caught up, measured from `since` (performance.now()).
   * @param {number} i
   * @param {bigint} target
   * @param {number} since
   * @param {number} timeoutMs
   */
  async waitApplied(i, target, since, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    /** @type {number | undefined} */
    let firstAnswerMs;
    let last = 0n;
    while (Date.now() < deadline) {
      const s = await this.tryStatus(i, 300);
      if (s) {
        firstAnswerMs ??= performance.now() - since;
        last = s.raftAppliedIndex;
        if (s.raftAppliedIndex >= target) return { caughtUpMs: performance.now() - since, firstAnswerMs };
      }
      await sleep(10);
    }
    throw new Error(`member #${i} applied index ${last} did not reach ${target} within ${timeoutMs} ms`);
  }

  close() {
    for (const c of this.conns) {
      c.maint.close();
      c.kv.close();
    }
  }
}
