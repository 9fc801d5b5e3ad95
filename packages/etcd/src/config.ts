import { loadConfig, type Config, type OptionSpec } from '@kemu/common';

/** The member's flags, named as etcd names them where etcd has the same setting. */
export const memberOptions = {
  name: { kind: 'string', description: 'human-readable name of this member', default: 'etcd-0' },
  dataDir: { kind: 'string', description: 'path to the data directory', default: '.kemu/etcd-0' },
  listenClientUrls: { kind: 'string', description: 'URL to serve the etcd v3 gRPC API on', default: 'http://127.0.1.1:2379' },
  advertiseClientUrls: { kind: 'string', description: 'client URL announced to the cluster (default: listen URL)', default: '' },
  listenPeerUrls: { kind: 'string', description: 'URL to serve Raft traffic from other members on', default: 'http://127.0.1.1:2380' },
  listenMetricsUrls: { kind: 'string', description: 'URL for /healthz, /readyz, /metrics and /debug', default: 'http://127.0.1.1:2381' },
  initialCluster: {
    kind: 'string',
    description: 'all members as name=peerURL, comma separated',
    default: 'etcd-0=http://127.0.1.1:2380,etcd-1=http://127.0.1.2:2380,etcd-2=http://127.0.1.3:2380',
  },
  initialClusterToken: { kind: 'string', description: 'cluster token; members with different tokens never talk', default: 'kemu' },
  heartbeatInterval: { kind: 'int', description: 'time between leader heartbeats, ms (one Raft tick)', default: 100 },
  electionTimeout: { kind: 'int', description: 'election timeout, ms', default: 1000 },
  snapshotCount: { kind: 'int', description: 'applied entries between snapshots (etcd 3.4: 100000)', default: 100_000 },
  snapshotCatchupEntries: { kind: 'int', description: 'entries kept after a snapshot for slow followers', default: 5000 },
  maxRequestBytes: { kind: 'int', description: 'largest client request, bytes', default: 1.5 * 1024 * 1024 },
  maxTxnOps: { kind: 'int', description: 'most operations in one transaction', default: 128 },
  watchProgressNotifyInterval: { kind: 'int', description: 'progress notifications to watches that ask for them, ms', default: 600_000 },
  enableFaultInjection: { kind: 'bool', description: 'serve /debug/faults to drop or delay Raft messages (tests, chaos)', default: false },
} satisfies Record<string, OptionSpec>;

export type MemberConfig = Config<typeof memberOptions>;

export function loadMemberConfig(argv?: string[], env?: NodeJS.ProcessEnv): MemberConfig {
  return loadConfig(memberOptions, argv, env);
}

export class MemberConfigError extends Error {
  override readonly name = 'MemberConfigError';
}

/** host:port of an http:// URL (the scheme is accepted for etcd compatibility; no TLS). */
export function hostPort(url: string, flag: string): { host: string; port: number; addr: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch (err) {
    throw new MemberConfigError(`--${flag}: invalid URL ${JSON.stringify(url)}`, { cause: err });
  }
  if (u.protocol !== 'http:') throw new MemberConfigError(`--${flag}: only http:// URLs are supported, got ${JSON.stringify(url)}`);
  const port = Number(u.port || '80');
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return { host, port, addr: `${u.hostname}:${port}` };
}

export function parseInitialCluster(value: string): Array<{ name: string; peerUrl: string }> {
  const out: Array<{ name: string; peerUrl: string }> = [];
  for (const part of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new MemberConfigError(`--initial-cluster: expected name=URL, got ${JSON.stringify(part)}`);
    const name = part.slice(0, eq);
    const peerUrl = part.slice(eq + 1);
    hostPort(peerUrl, 'initial-cluster');
    if (out.some((m) => m.name === name)) throw new MemberConfigError(`--initial-cluster: duplicate member name ${name}`);
    out.push({ name, peerUrl });
  }
  if (out.length === 0) throw new MemberConfigError('--initial-cluster: no members');
  return out;
}
