import type { EtcdTestCluster } from './etcd-cluster.js';
import { withKvClient } from './kv-client.js';
import type { WriteLedger } from './write-load.js';

/** What one read of a key prefix showed about a ledger's writes. */
export interface AckReport {
  endpoint: string;
  serializable: boolean;
  /** Header revision of the range response. */
  revision: bigint;
  checked: number;
  /** Acknowledged keys the member does not have (a lost write, or a lagging member). */
  missing: string[];
  /** Contract violations that no amount of waiting fixes: wrong value or revision, unknown keys. */
  wrong: string[];
}

/**
 * Reads every key under `prefix` through `endpoint` and compares it with the ledger:
 * each acknowledged key must be present with its value and mod_revision == the put's
 * header revision; a present key that was only attempted must carry the attempted value;
 * no two acknowledged puts may share a revision.
 */
export async function checkAcked(endpoint: string, prefix: string, ledger: WriteLedger, serializable: boolean): Promise<AckReport> {
  const res = await withKvClient(endpoint, (c) => c.rangePrefix(`${prefix}/`, { serializable, timeoutMs: 10_000 }));
  const found = new Map<string, { value: string; mod: bigint }>();
  for (const kv of res.kvs) found.set(kv.key.toString(), { value: kv.value.toString(), mod: kv.modRevision });
  const report: AckReport = { endpoint, serializable, revision: res.header?.revision ?? -1n, checked: 0, missing: [], wrong: [] };
  const byRevision = new Map<bigint, string>();
  for (const a of ledger.acked.values()) {
    if (!a.key.startsWith(`${prefix}/`)) continue;
    report.checked++;
    const other = byRevision.get(a.revision);
    if (other !== undefined) report.wrong.push(`acknowledged puts ${other} and ${a.key} both got revision ${a.revision}`);
    byRevision.set(a.revision, a.key);
    const got = found.get(a.key);
    if (!got) report.missing.push(`${a.key} (acked rev ${a.revision} via ${a.endpoint})`);
    else if (got.value !== a.value) report.wrong.push(`${a.key}: value ${JSON.stringify(got.value)}, acknowledged ${JSON.stringify(a.value)}`);
    else if (got.mod !== a.revision) report.wrong.push(`${a.key}: mod_revision ${got.mod}, acknowledged at revision ${a.revision}`);
  }
  for (const [key, got] of found) {
    const attempted = ledger.attempted.get(key);
    if (attempted === undefined) report.wrong.push(`${key}: present but never written`);
    else if (attempted !== got.value) report.wrong.push(`${key}: value ${JSON.stringify(got.value)}, only ${JSON.stringify(attempted)} was ever written`);
  }
  return report;
}

export function describeReport(r: AckReport, limit = 10): string {
  const lines = [
    `${r.serializable ? 'serializable' : 'linearizable'} read via ${r.endpoint} at revision ${r.revision}: ${r.checked} acknowledged writes checked, ${r.missing.length} missing, ${r.wrong.length} wrong`,
  ];
  for (const m of r.missing.slice(0, limit)) lines.push(`  missing: ${m}`);
  for (const w of r.wrong.slice(0, limit)) lines.push(`  wrong: ${w}`);
  return lines.join('\n');
}

/** The last log lines of every member, for assertion messages. */
export function clusterTails(cluster: EtcdTestCluster, lines = 25): string {
  return cluster.members.map((m) => `--- ${m.plan.name} (${cluster.isRunning(m.plan.name) ? 'running' : 'stopped'}) ---\n${cluster.tail(m.plan.name, lines)}`).join('\n');
}

/**
 * A linearizable read of `prefix` through `endpoint`, retried only while the read itself
 * fails (no leader yet, member still starting). The first answer is final: a linearizable
 * read that misses an acknowledged write is a lost write even if it shows up later.
 */
export async function linearizableCheck(endpoint: string, prefix: string, ledger: WriteLedger, timeoutMs = 30_000): Promise<AckReport> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await checkAcked(endpoint, prefix, ledger, false);
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`linearizable read via ${endpoint} kept failing for ${timeoutMs} ms`, { cause: err });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/**
 * Serializable reads of `prefix` through `endpoint` until nothing is missing (the member
 * may still be catching up) or the deadline passes. Stops at once on a `wrong` finding.
 */
export async function serializableCatchUp(endpoint: string, prefix: string, ledger: WriteLedger, timeoutMs = 30_000): Promise<AckReport> {
  const deadline = Date.now() + timeoutMs;
  let last: AckReport | undefined;
  for (;;) {
    try {
      last = await checkAcked(endpoint, prefix, ledger, true);
      if (last.wrong.length > 0 || last.missing.length === 0) return last;
    } catch {
      /* member not serving yet */
    }
    if (Date.now() > deadline) {
      if (last) return last;
      throw new Error(`serializable read via ${endpoint} kept failing for ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function isClean(r: AckReport): boolean {
  return r.missing.length === 0 && r.wrong.length === 0;
}
