// @ts-check
// The workloads, identical for both clusters. Every loop is bounded in count and in time.
import { randomBytes } from 'node:crypto';
import { sleep } from './client.mjs';

/** Every Put writes this 256-byte value (random once, so nothing compresses it). */
export const VALUE = randomBytes(256);
const PUT_TIMEOUT_MS = 5000;

/**
 * @typedef {object} LoadResult
 * @property {number} ok successful puts
 * @property {number} errors failed puts
 * @property {number} elapsedMs
 * @property {number} rate successful puts per second
 * @property {number} p50 latency ms
 * @property {number} p99 latency ms
 * @property {string} [firstError]
 */

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

/** @param {unknown} err */
export function errText(err) {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Keeps exactly `concurrency` puts outstanding against endpoint `target` until `count`
 * puts were issued or `maxMs` passed. concurrency 1 is the sequential workload.
 * @param {import('./client.mjs').BenchClient} client
 * @param {number} target
 * @param {{ prefix: string, count: number, concurrency: number, maxMs: number }} o
 * @returns {Promise<LoadResult>}
 */
export async function putLoad(client, target, o) {
  /** @type {number[]} */
  const lat = [];
  let issued = 0;
  let errors = 0;
  /** @type {string | undefined} */
  let firstError;
  const start = performance.now();
  const stopAt = start + o.maxMs;
  const worker = async () => {
    while (issued < o.count && performance.now() < stopAt) {
      const key = Buffer.from(`${o.prefix}/${String(issued++).padStart(8, '0')}`);
      const t0 = performance.now();
      try {
        await client.put(target, key, VALUE, PUT_TIMEOUT_MS);
        lat.push(performance.now() - t0);
      } catch (err) {
        errors++;
        firstError ??= errText(err);
        if (errors > 100) throw new Error(`too many failed puts; first: ${firstError}`);
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  const elapsedMs = performance.now() - start;
  lat.sort((a, b) => a - b);
  return {
    ok: lat.length,
    errors,
    elapsedMs,
    rate: (lat.length / elapsedMs) * 1000,
    p50: quantile(lat, 0.5),
    p99: quantile(lat, 0.99),
    ...(firstError !== undefined ? { firstError } : {}),
  };
}

/**
 * One failover round: a sequential writer puts to the leader (moving on to the next member
 * after any failure), the leader is killed with SIGKILL, and the round measures the time
 * from the kill until the first put that was sent after the kill succeeds. Then the killed
 * member is restarted and the round waits until it has caught up, so rounds are independent.
 * @param {import('./clusters.mjs').BenchCluster} cluster
 * @param {import('./client.mjs').BenchClient} client
 * @param {{ attemptTimeoutMs: number, steadyMs: number, maxMs: number }} o
 */
export async function failoverRound(cluster, client, o) {
  const leader = await client.leader(15_000);
  const n = cluster.members.length;
  let target = leader;
  let seq = 0;
  let steadyOk = 0;
  /** @type {number | undefined} */
  let killAt;
  /** @type {number | undefined} */
  let resumedMs;
  let resumedOn = -1;
  let failures = 0;
  const writer = async () => {
    const hardStop = performance.now() + o.steadyMs + o.maxMs + 5000;
    while (resumedMs === undefined && performance.now() < hardStop) {
      const sentAt = performance.now();
      try {
        await client.put(target, Buffer.from(`bench/failover/${String(seq++).padStart(8, '0')}`), VALUE, o.attemptTimeoutMs);
        if (killAt === undefined) steadyOk++;
        else if (sentAt >= killAt) {
          resumedMs = performance.now() - killAt;
          resumedOn = target;
        }
      } catch {
        if (killAt !== undefined) failures++;
        target = (target + 1) % n;
        // A refused connection fails at once; do not spin on it.
        if (performance.now() - sentAt < 5) await sleep(5);
      }
    }
  };
  const writing = writer();
  await sleep(o.steadyMs);
  if (steadyOk === 0) throw new Error('no successful write before the kill');
  killAt = performance.now();
  const killed = cluster.kill(leader);
  await writing;
  await killed;
  if (resumedMs === undefined) throw new Error(`writes did not resume within ${o.maxMs} ms after killing ${cluster.member(leader).name}`);
  // Restore three members before the next round.
  const others = cluster.members.map((_, i) => i).filter((i) => i !== leader);
  const newLeader = await client.leader(15_000, others);
  const target0 = (await client.status(newLeader, 2000)).raftIndex;
  cluster.restart(leader);
  const since = performance.now();
  const back = await client.waitApplied(leader, target0, since, 60_000);
  await client.waitAgreed(15_000);
  return {
    resumedMs,
    killed: cluster.member(leader).name,
    resumedOn: cluster.member(resumedOn).name,
    newLeader: cluster.member(newLeader).name,
    failedAttempts: failures,
    restartCaughtUpMs: back.caughtUpMs,
  };
}

/**
 * Catch-up: kill a follower with SIGKILL, write `keys` puts (64 in flight) to the leader,
 * restart the follower and measure from the restart until its applied index reaches the
 * leader's commit index as read just before the restart.
 * @param {import('./clusters.mjs').BenchCluster} cluster
 * @param {import('./client.mjs').BenchClient} client
 * @param {{ keys: number }} o
 */
export async function catchUp(cluster, client, o) {
  const leader = await client.leader(15_000);
  const follower = cluster.members.findIndex((_, i) => i !== leader);
  const before = (await client.status(follower, 2000)).raftAppliedIndex;
  await cluster.kill(follower);
  const load = await putLoad(client, leader, { prefix: 'bench/catchup', count: o.keys, concurrency: 64, maxMs: 120_000 });
  if (load.ok < o.keys) throw new Error(`only ${load.ok}/${o.keys} puts succeeded while ${cluster.member(follower).name} was down (${load.firstError ?? ''})`);
  const target = (await client.status(leader, 2000)).raftIndex;
  cluster.restart(follower);
  const since = performance.now();
  const r = await client.waitApplied(follower, target, since, 120_000);
  await client.waitAgreed(15_000);
  return { member: cluster.member(follower).name, keys: o.keys, entriesBehind: Number(target - before), ...r };
}
