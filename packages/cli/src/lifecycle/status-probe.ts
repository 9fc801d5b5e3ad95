import { isApiError, Reason } from '@kemu/api';
import { CliError, openContext } from '../context.js';
import { etcdStatus } from '../etcd-status.js';
import { grpcMessage } from './grpc-message.js';
import type { ClusterPlan } from '../plan.js';
import { isAlive, readProcesses } from '../processes.js';
import { roster } from './roster.js';
import type { ClusterFacts, Health, ProcessFacts } from './status.js';
import { fetchText } from '@kemu/common/fetch';

/** GET <opsUrl>/readyz?verbose: 200 is ready; otherwise the checks it lists as failed. */
export async function probeReadyz(opsUrl: string, timeoutMs = 1500): Promise<Health> {
  try {
    const res = await fetchText(`${opsUrl}/readyz?verbose`, timeoutMs);
    const body = res.text;
    if (res.ok) return { kind: 'ready' };
    const failing = body
      .split('\n')
      .filter((l) => l.startsWith('[-]'))
      .map((l) => l.slice(3).split(/\s/)[0] ?? '')
      .filter(Boolean);
    return { kind: 'not-ready', failing };
  } catch {
    return { kind: 'no-answer' };
  }
}

/** leader_election_master_status from a controller-manager's /metrics (undefined: no answer). */
export async function probeLeaderMetric(opsUrl: string, timeoutMs = 1500): Promise<boolean | undefined> {
  try {
    const m = /^leader_election_master_status\{[^}]*\}\s+(\d+)/m.exec((await fetchText(`${opsUrl}/metrics`, timeoutMs)).text);
    return m ? m[1] === '1' : undefined;
  } catch {
    return undefined;
  }
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms).unref())]);

/** Asks every process, the etcd members and (if it answers) the apiserver, all at once. */
export async function gatherFacts(stateDir: string, plan: ClusterPlan): Promise<ClusterFacts> {
  const records = readProcesses(stateDir);
  const opsOf = new Map(roster(plan).map((p) => [p.name, p.opsUrl]));
  const processes = await Promise.all(
    records.map(async (r): Promise<ProcessFacts> => {
      if (!isAlive(r)) return { name: r.name, pid: r.pid, health: { kind: 'exited' } };
      return { name: r.name, pid: r.pid, health: await probeReadyz(r.opsUrl || opsOf.get(r.name) || '') };
    }),
  );
  const running = (name: string): boolean => processes.some((p) => p.name === name && p.health.kind !== 'exited');
  const [etcd, cms, fromApi] = await Promise.all([
    etcdStatus(plan.etcd.filter((m) => running(m.name)).map((m) => m.client), 1500),
    Promise.all(plan.controllerManagers.map(async (c) => [c.name, running(c.name) ? await probeLeaderMetric(c.opsUrl) : undefined] as const)),
    askApiserver(stateDir, plan),
  ]);
  const controllerManagers = new Map<string, boolean>();
  for (const [name, active] of cms) if (active !== undefined) controllerManagers.set(name, active);
  return { plan, processes, etcd, controllerManagers, leaseHolder: fromApi.leaseHolder, nodes: fromApi.nodes };
}

async function askApiserver(stateDir: string, plan: ClusterPlan): Promise<{ leaseHolder?: string; nodes: ClusterFacts['nodes'] }> {
  const servers = plan.apiservers.map((a) => a.grpc).join(', ');
  let ctx;
  try {
    ctx = openContext({ stateDir });
  } catch (err) {
    return { nodes: { error: err instanceof CliError ? err.message : String(err) } };
  }
  try {
    const nodes = await withTimeout(ctx.client.list('nodes'), 5000, `apiserver ${servers}`);
    let leaseHolder: string | undefined;
    try {
      const lease = await withTimeout(ctx.client.get('leases', 'kube-system', 'kube-controller-manager'), 3000, 'lease');
      leaseHolder = lease.spec?.holderIdentity ?? '';
    } catch (err) {
      if (isApiError(err, Reason.NotFound)) leaseHolder = '';
    }
    return { leaseHolder, nodes: { items: nodes.items } };
  } catch (err) {
    return { nodes: { error: `cannot reach the apiserver at ${servers}: ${grpcMessage(err)}` } };
  } finally {
    ctx.client.close();
  }
}
