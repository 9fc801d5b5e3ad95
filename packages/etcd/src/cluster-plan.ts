import { join } from 'node:path';

/** How to start the members of one etcd cluster: addresses, data dirs and flags. */
export interface EtcdMemberPlan {
  name: string;
  ip: string;
  clientUrl: string;
  peerUrl: string;
  metricsUrl: string;
  dataDir: string;
  /** Flags for packages/etcd/dist/main.js. */
  args: string[];
}

export interface EtcdClusterPlanOptions {
  /** Directory that holds one data dir per member. */
  stateDir: string;
  size?: number;
  /** First three octets; member i (0-based) gets `${ipPrefix}.${i + 1}`. kemu up uses 127.0.1. */
  ipPrefix?: string;
  clientPort?: number;
  peerPort?: number;
  metricsPort?: number;
  token?: string;
  heartbeatMs?: number;
  electionMs?: number;
  extraArgs?: string[];
}

export function planEtcdCluster(o: EtcdClusterPlanOptions): EtcdMemberPlan[] {
  const size = o.size ?? 3;
  const prefix = o.ipPrefix ?? '127.0.1';
  const clientPort = o.clientPort ?? 2379;
  const peerPort = o.peerPort ?? 2380;
  const metricsPort = o.metricsPort ?? 2381;
  const members = Array.from({ length: size }, (_, i) => {
    const ip = `${prefix}.${i + 1}`;
    return { name: `etcd-${i}`, ip, peerUrl: `http://${ip}:${peerPort}` };
  });
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  return members.map((m) => {
    const clientUrl = `http://${m.ip}:${clientPort}`;
    const metricsUrl = `http://${m.ip}:${metricsPort}`;
    const dataDir = join(o.stateDir, m.name);
    const args = [
      '--name', m.name,
      '--data-dir', dataDir,
      '--listen-client-urls', clientUrl,
      '--listen-peer-urls', m.peerUrl,
      '--listen-metrics-urls', metricsUrl,
      '--initial-cluster', initialCluster,
      '--initial-cluster-token', o.token ?? 'kemu',
      '--heartbeat-interval', String(o.heartbeatMs ?? 100),
      '--election-timeout', String(o.electionMs ?? 1000),
      ...(o.extraArgs ?? []),
    ];
    return { ...m, clientUrl, metricsUrl, dataDir, args };
  });
}
