import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planEtcdCluster } from '@kemu/etcd';
import { killRecordedPodProcesses } from '@kemu/node-agent';
import { isAlive, readProcesses, startProcess, stopProcesses, waitReady, writeProcesses, type ProcessRecord } from './processes.js';

export const COMPONENTS = ['etcd', 'apiserver', 'controller-manager', 'dns', 'node'] as const;
export type Component = (typeof COMPONENTS)[number];

/** The local address plan (DESIGN.md). */
export const APISERVER_ADDR = '127.0.2.1:6443';
const APISERVER_OPS = '127.0.2.1:6444';
const CONTROLLER_MANAGER_OPS = ['127.0.3.1:10257', '127.0.3.2:10257'];
/** Cluster DNS: on an unprivileged port locally; the kube-dns Service maps port 53 to it. */
export const DNS_ADDR = '127.0.4.1:1053';
const DNS_OPS = '127.0.4.1:9153';

/** Node N of the local cluster (1-based): its IP, zone and pod CIDR (DESIGN.md's address plan). */
export function localNode(n: number, zones = 3): { name: string; ip: string; zone: string; podCIDR: string; opsUrl: string } {
  const ip = `127.0.10.${n}`;
  return { name: `node-${n}`, ip, zone: `zone-${String.fromCharCode(97 + ((n - 1) % zones))}`, podCIDR: `127.244.${n}.0/24`, opsUrl: `http://${ip}:10256` };
}

/** Path of a kemu package's compiled entry point. */
export function entryPoint(pkg: 'etcd' | 'apiserver' | 'controller-manager' | 'dns' | 'node-agent'): string {
  return fileURLToPath(new URL(`../../${pkg}/dist/main.js`, import.meta.url));
}

export interface UpOptions {
  stateDir: string;
  components: Component[];
  /** First three octets of the etcd members' addresses (default 127.0.1, as in DESIGN.md). */
  etcdIpPrefix?: string;
  /** Node agents to start (default 3, one per zone). */
  nodes?: number;
  onProgress?: (line: string) => void;
}

/** Bearer tokens of the local cluster: one per component, made once per state dir. */
export interface Tokens {
  admin: string;
  controllerManager: string;
  node: string;
  dns: string;
}

export function tokens(stateDir: string): Tokens {
  const dir = resolve(stateDir);
  const file = join(dir, 'tokens.json');
  const make = (): string => randomBytes(24).toString('base64url');
  const saved = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<Tokens>) : {};
  const t: Tokens = { admin: saved.admin ?? make(), controllerManager: saved.controllerManager ?? make(), node: saved.node ?? make(), dns: saved.dns ?? make() };
  // A state dir from an older kemu lacks tokens added since: they are added, the rest kept.
  if (saved.dns && existsSync(join(dir, 'dns.token'))) return t;
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, JSON.stringify(t, null, 2) + '\n', { mode: 0o600 });
  // kube-apiserver's --token-auth-file format: token,user,uid[,"groups"]
  writeFileSync(
    join(dir, 'tokens.csv'),
    [
      `${t.admin},kubernetes-admin,uid-admin,"system:masters"`,
      `${t.controllerManager},system:kube-controller-manager,uid-kcm`,
      `${t.node},system:node,uid-node,"system:nodes"`,
      `${t.dns},system:serviceaccount:kube-system:coredns,uid-dns,"system:serviceaccounts"`,
    ].join('\n') + '\n',
    { mode: 0o600 },
  );
  writeFileSync(join(dir, 'controller-manager.token'), t.controllerManager + '\n', { mode: 0o600 });
  writeFileSync(join(dir, 'node.token'), t.node + '\n', { mode: 0o600 });
  writeFileSync(join(dir, 'dns.token'), t.dns + '\n', { mode: 0o600 });
  return t;
}

interface Planned {
  component: Component;
  name: string;
  args: string[];
  opsUrl: string;
  describe: string;
}

function plan(stateDir: string, o: UpOptions): Planned[] {
  const out: Planned[] = [];
  const etcd = planEtcdCluster({ stateDir, ipPrefix: o.etcdIpPrefix });
  const etcdEndpoints = etcd.map((m) => m.clientUrl.replace('http://', '')).join(',');
  if (o.components.includes('etcd')) {
    for (const m of etcd) {
      out.push({ component: 'etcd', name: m.name, args: [entryPoint('etcd'), ...m.args], opsUrl: m.metricsUrl, describe: `client ${m.clientUrl}` });
    }
  }
  if (o.components.includes('apiserver')) {
    tokens(stateDir);
    const [host, port] = APISERVER_ADDR.split(':') as [string, string];
    out.push({
      component: 'apiserver',
      name: 'apiserver',
      args: [
        entryPoint('apiserver'),
        '--etcd-servers', etcdEndpoints,
        '--bind-address', host,
        '--secure-port', port,
        '--ops-addr', APISERVER_OPS,
        '--token-auth-file', join(stateDir, 'tokens.csv'),
      ],
      opsUrl: `http://${APISERVER_OPS}`,
      describe: `gRPC ${APISERVER_ADDR}`,
    });
  }
  if (o.components.includes('controller-manager')) {
    tokens(stateDir);
    CONTROLLER_MANAGER_OPS.forEach((ops, i) => {
      out.push({
        component: 'controller-manager',
        name: `controller-manager-${i}`,
        args: [
          entryPoint('controller-manager'),
          '--apiserver', APISERVER_ADDR,
          '--token-file', join(stateDir, 'controller-manager.token'),
          '--ops-addr', ops,
        ],
        opsUrl: `http://${ops}`,
        describe: `metrics http://${ops}/metrics (leader-elected)`,
      });
    });
  }
  if (o.components.includes('dns')) {
    tokens(stateDir);
    out.push({
      component: 'dns',
      name: 'dns-0',
      args: [
        entryPoint('dns'),
        '--apiserver', APISERVER_ADDR,
        '--token-file', join(stateDir, 'dns.token'),
        '--listen', DNS_ADDR,
        '--ops-addr', DNS_OPS,
      ],
      opsUrl: `http://${DNS_OPS}`,
      describe: `DNS ${DNS_ADDR} (UDP+TCP), zone cluster.local, kube-dns Service at the tenth service IP`,
    });
  }
  if (o.components.includes('node')) {
    tokens(stateDir);
    for (let n = 1; n <= (o.nodes ?? 3); n++) {
      const node = localNode(n);
      out.push({
        component: 'node',
        name: node.name,
        args: [
          // A small young generation: see packages/node-agent/README.md, "Memory".
          '--max-semi-space-size=2',
          entryPoint('node-agent'),
          '--apiserver', APISERVER_ADDR,
          '--token-file', join(stateDir, 'node.token'),
          '--node-name', node.name,
          '--node-ip', node.ip,
          '--zone', node.zone,
          '--pod-cidr', node.podCIDR,
          '--root-dir', join(stateDir, 'nodes', node.name),
          '--stop-pods-on-exit',
        ],
        opsUrl: node.opsUrl,
        describe: `node IP ${node.ip}, ${node.zone}, pods ${node.podCIDR}, rules ${node.opsUrl}/rules`,
      });
    }
  }
  return out;
}

/**
 * Starts the requested components as separate OS processes on loopback (the address plan
 * in DESIGN.md), in dependency order, waiting until each group is ready. Processes
 * already running from this state dir are left alone; a stopped cluster restarts from
 * its data.
 */
export async function up(o: UpOptions): Promise<ProcessRecord[]> {
  const stateDir = resolve(o.stateDir);
  const running = readProcesses(stateDir).filter((r) => isAlive(r.pid));
  const records = [...running];
  const progress = o.onProgress ?? (() => undefined);
  const planned = plan(stateDir, o);
  for (const component of COMPONENTS) {
    const started: ProcessRecord[] = [];
    for (const p of planned.filter((x) => x.component === component)) {
      if (running.some((r) => r.name === p.name)) {
        progress(`${p.name}: already running`);
        continue;
      }
      const rec = startProcess(stateDir, { name: p.name, command: process.execPath, args: p.args, opsUrl: p.opsUrl });
      started.push(rec);
      records.push(rec);
      progress(`${p.name}: started (pid ${rec.pid}), ${p.describe}`);
    }
    writeProcesses(stateDir, records);
    await Promise.all(
      started.map(async (r) => {
        await waitReady(r.opsUrl, 60_000, () => isAlive(r.pid));
        progress(`${r.name}: ready`);
      }),
    );
  }
  return records;
}

export async function down(stateDir: string, onProgress?: (line: string) => void): Promise<void> {
  const dir = resolve(stateDir);
  // Stop in reverse dependency order so nothing logs errors about what stopped first.
  const records = readProcesses(dir).reverse();
  await stopProcesses(records);
  for (const r of records) onProgress?.(`${r.name}: stopped (pid ${r.pid})`);
  writeProcesses(dir, []);
  // A node agent that was killed (kemu chaos kill) could not stop its pods: they are recorded.
  const nodesDir = join(dir, 'nodes');
  if (existsSync(nodesDir)) {
    for (const node of readdirSync(nodesDir)) {
      const n = killRecordedPodProcesses(join(nodesDir, node));
      if (n > 0) onProgress?.(`${node}: killed ${n} pod process${n === 1 ? '' : 'es'} its agent left behind`);
    }
  }
}
