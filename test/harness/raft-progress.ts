import type { EtcdTestCluster } from './etcd-cluster.js';
import { clusterTails } from './verify-acked.js';

/**
 * Polls `name`'s Status until its raftAppliedIndex is at least `target`; returns the
 * index it reached. Throws with every member's log tail when the deadline passes.
 */
export async function waitApplied(cluster: EtcdTestCluster, name: string, target: bigint, timeoutMs = 30_000): Promise<bigint> {
  const deadline = Date.now() + timeoutMs;
  let seen = -1n;
  for (;;) {
    try {
      seen = (await cluster.status(name, 1000)).raftAppliedIndex;
      if (seen >= target) return seen;
    } catch {
      /* restarting */
    }
    if (Date.now() > deadline) {
      throw new Error(`${name} applied index ${seen} did not reach ${target} within ${timeoutMs} ms\n${clusterTails(cluster)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The current leader and its applied index (a catch-up target once writes have stopped). */
export async function leaderApplied(cluster: EtcdTestCluster, timeoutMs = 20_000): Promise<{ leader: string; applied: bigint }> {
  const leader = await cluster.leader(timeoutMs);
  const s = await cluster.status(leader, 2000);
  return { leader, applied: s.raftAppliedIndex };
}
