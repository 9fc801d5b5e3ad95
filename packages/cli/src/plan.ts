import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The local cluster's address plan (DESIGN.md), as data. `kemu up` makes it once per state
 * dir and saves it in `<state-dir>/cluster.json`; every other command reads it from there,
 * so `kemu get`, `kemu chaos` and the rest find the cluster that `kemu up` started, wherever
 * it lives.
 *
 * The default block, 127.0, is DESIGN.md's plan: etcd 127.0.1.N, apiservers 127.0.2.N,
 * controller-managers 127.0.3.N, dns 127.0.4.N, nodes 127.0.10.N, pods 127.244.N.0/24,
 * Services 127.96.0.0/16. Any other block 127.B keeps everything inside 127.B.0.0/16, so
 * two clusters (or parallel test suites) can run side by side: pods 127.B.(128+N).0/24,
 * Services 127.B.64.0/19, LoadBalancer IPs 127.B.240.0/24 (127.100.0.0/24 in the default block).
 */
export interface ClusterPlan {
  /** The first two octets every address of the cluster starts with. */
  block: string;
  /** First three octets of the etcd members' addresses (members .1 .. .3). */
  etcdIpPrefix: string;
  etcd: Array<{ name: string; client: string; metricsUrl: string }>;
  /** `rest`: host:port of the Kubernetes HTTP API (HTTPS, for kubectl); plans saved before it existed lack it (see restAddress). */
  apiservers: Array<{ name: string; grpc: string; opsUrl: string; rest?: string }>;
  controllerManagers: Array<{ name: string; opsUrl: string }>;
  dns: Array<{ name: string; listen: string; opsUrl: string }>;
  nodes: NodePlan[];
  serviceCIDR: string;
  loadBalancerPool: string;
  profile: ProfileName;
}

export interface NodePlan {
  name: string;
  ip: string;
  zone: string;
  podCIDR: string;
  /** The agent's /healthz, /metrics and /rules. */
  opsUrl: string;
}

export const PROFILES = ['default', 'fast-recovery', 'stable-network', 'unreliable-network'] as const;
export type ProfileName = (typeof PROFILES)[number];

export interface PlanOptions {
  /** "127.0" (the default) or another 127.B. */
  block?: string;
  nodes?: number;
  zones?: number;
  apiservers?: number;
  profile?: ProfileName;
  /** Overrides the etcd members' prefix (the older `--etcd-ip-prefix`). */
  etcdIpPrefix?: string;
}

export class PlanError extends Error {
  override readonly name = 'PlanError';
}

const ZONE_LETTERS = 'abcdefghijklmnopqrstuvwxyz';

export function makePlan(o: PlanOptions = {}): ClusterPlan {
  const block = o.block ?? '127.0';
  const m = /^127\.(\d{1,3})$/.exec(block);
  if (!m || Number(m[1]) > 255) throw new PlanError(`--address-block: want 127.B with B from 0 to 255, got "${block}"`);
  const nodes = o.nodes ?? 3;
  const zones = o.zones ?? 3;
  const apiservers = o.apiservers ?? 1;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 100) throw new PlanError(`--nodes: want a number from 1 to 100, got "${o.nodes}"`);
  if (!Number.isInteger(zones) || zones < 1 || zones > 26) throw new PlanError(`--zones: want a number from 1 to 26, got "${o.zones}"`);
  if (apiservers !== 1 && apiservers !== 2) throw new PlanError(`--apiservers: want 1 or 2, got "${o.apiservers}"`);
  const standard = block === '127.0';
  const etcdIpPrefix = o.etcdIpPrefix ?? `${block}.1`;
  return {
    block,
    etcdIpPrefix,
    etcd: [1, 2, 3].map((i) => ({
      name: `etcd-${i - 1}`,
      client: `${etcdIpPrefix}.${i}:2379`,
      metricsUrl: `http://${etcdIpPrefix}.${i}:2381`,
    })),
    apiservers: Array.from({ length: apiservers }, (_, i) => ({
      name: apiservers === 1 ? 'apiserver' : `apiserver-${i}`,
      grpc: `${block}.2.${i + 1}:6443`,
      opsUrl: `http://${block}.2.${i + 1}:6444`,
      rest: `${block}.2.${i + 1}:8080`,
    })),
    controllerManagers: [0, 1].map((i) => ({ name: `controller-manager-${i}`, opsUrl: `http://${block}.3.${i + 1}:10257` })),
    dns: [{ name: 'dns-0', listen: `${block}.4.1:1053`, opsUrl: `http://${block}.4.1:9153` }],
    nodes: Array.from({ length: nodes }, (_, i) => {
      const n = i + 1;
      const ip = `${block}.10.${n}`;
      return {
        name: `node-${n}`,
        ip,
        zone: `zone-${ZONE_LETTERS[i % zones] ?? 'a'}`,
        podCIDR: standard ? `127.244.${n}.0/24` : `${block}.${128 + n}.0/24`,
        opsUrl: `http://${ip}:10256`,
      };
    }),
    serviceCIDR: standard ? '127.96.0.0/16' : `${block}.64.0/19`,
    loadBalancerPool: standard ? '127.100.0.0/24' : `${block}.240.0/24`,
    profile: o.profile ?? 'default',
  };
}

/** host:port of an apiserver's Kubernetes HTTP API: DESIGN.md's plan puts it on the gRPC address's IP, port 8080. */
export function restAddress(a: ClusterPlan['apiservers'][number]): string {
  return a.rest ?? `${a.grpc.slice(0, a.grpc.lastIndexOf(':'))}:8080`;
}

const planFile = (stateDir: string): string => join(resolve(stateDir), 'cluster.json');

export function savePlan(stateDir: string, plan: ClusterPlan): void {
  mkdirSync(resolve(stateDir), { recursive: true });
  writeFileSync(planFile(stateDir), JSON.stringify(plan, null, 2) + '\n');
}

/** The plan `kemu up` saved in this state dir, or undefined if it never ran there. */
export function loadPlan(stateDir: string): ClusterPlan | undefined {
  const file = planFile(stateDir);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ClusterPlan;
  } catch (err) {
    throw new PlanError(`${file}: not a kemu cluster plan (${(err as Error).message})`, { cause: err });
  }
}

/** The saved plan, or the default one (a state dir from before plans were saved). */
export function planOf(stateDir: string): ClusterPlan {
  return loadPlan(stateDir) ?? makePlan();
}
