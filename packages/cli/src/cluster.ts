import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planEtcdCluster } from '@kemu/etcd';
import { NODE_AGENT_V8_FLAGS, signalRecordedPodProcesses } from '@kemu/node-agent';
import { addressInUseFromLog, busyMessage, firstBusyAddress, tcpListen, type ListenAddress } from './lifecycle/port-check.js';
import { controllerManagerProfileArgs, nodeAgentProfileArgs, PROFILE_TIMINGS } from './lifecycle/profiles.js';
import { PROFILES, restAddress, savePlan, type ClusterPlan, type ProfileName } from './plan.js';
import { isAlive, logSize, logTail, readProcesses, startProcess, stopProcesses, waitReady, writeProcesses, type ProcessRecord } from './processes.js';

import { COMPONENTS, type Component } from './components.js';
import { kubeconfigYaml } from './kubeconfig.js';
export { COMPONENTS, type Component };

/** Path of a kemu package's compiled entry point. */
export function entryPoint(pkg: 'etcd' | 'apiserver' | 'controller-manager' | 'dns' | 'node-agent'): string {
  return fileURLToPath(new URL(`../../${pkg}/dist/main.js`, import.meta.url));
}

export interface UpOptions {
  stateDir: string;
  components: Component[];
  /** The addresses; a state dir that has a saved plan keeps it (see clusterPlanFor). */
  plan: ClusterPlan;
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
  /** Every address the process binds at start (checked before anything is started). */
  listens: ListenAddress[];
}

/** `kemu up` could not start the cluster; `process` names the one that failed. */
export class UpError extends Error {
  override readonly name = 'UpError';
  constructor(
    message: string,
    readonly process: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

function plan(stateDir: string, o: UpOptions): Planned[] {
  const out: Planned[] = [];
  const cluster = o.plan;
  const apiserverAddrs = cluster.apiservers.map((a) => a.grpc).join(',');
  const hostPort = (url: string): string => url.replace('http://', '');
  // A plan saved before profiles existed has none: it ran with the default timings.
  const profile: ProfileName = (PROFILES as readonly string[]).includes(cluster.profile) ? cluster.profile : 'default';
  const timings = PROFILE_TIMINGS[profile];
  const etcd = planEtcdCluster({ stateDir, ipPrefix: cluster.etcdIpPrefix, heartbeatMs: timings.etcd.heartbeatMs, electionMs: timings.etcd.electionMs });
  const etcdEndpoints = etcd.map((m) => m.clientUrl.replace('http://', '')).join(',');
  if (o.components.includes('etcd')) {
    for (const m of etcd) {
      out.push({
        component: 'etcd',
        name: m.name,
        args: [entryPoint('etcd'), ...m.args],
        opsUrl: m.metricsUrl,
        describe: `client ${m.clientUrl}`,
        listens: [tcpListen(m.clientUrl), tcpListen(m.peerUrl), tcpListen(m.metricsUrl)],
      });
    }
  }
  if (o.components.includes('apiserver')) {
    tokens(stateDir);
    for (const a of cluster.apiservers) {
      const [host, port] = a.grpc.split(':') as [string, string];
      const rest = restAddress(a);
      out.push({
        component: 'apiserver',
        name: a.name,
        args: [
          entryPoint('apiserver'),
          '--etcd-servers', etcdEndpoints,
          '--bind-address', host,
          '--secure-port', port,
          '--ops-addr', hostPort(a.opsUrl),
          '--token-auth-file', join(stateDir, 'tokens.csv'),
          '--service-cluster-ip-range', cluster.serviceCIDR,
          '--rest-addr', rest,
          '--tls-cert-file', servingCertFile(stateDir, a.name),
          '--tls-private-key-file', join(stateDir, 'tls', `${a.name}.key`),
        ],
        opsUrl: a.opsUrl,
        describe: `gRPC ${a.grpc}, Kubernetes API https://${rest}`,
        listens: [tcpListen(a.grpc), tcpListen(a.opsUrl), tcpListen(rest)],
      });
    }
  }
  if (o.components.includes('controller-manager')) {
    tokens(stateDir);
    for (const cm of cluster.controllerManagers) {
      out.push({
        component: 'controller-manager',
        name: cm.name,
        args: [
          entryPoint('controller-manager'),
          '--apiserver', apiserverAddrs,
          '--token-file', join(stateDir, 'controller-manager.token'),
          '--ops-addr', hostPort(cm.opsUrl),
          // The election Lease then names the process that holds it (kemu status, kemu chaos).
          '--leader-elect-identity', cm.name,
          '--load-balancer-pool', cluster.loadBalancerPool,
          ...controllerManagerProfileArgs(profile),
        ],
        opsUrl: cm.opsUrl,
        describe: `metrics ${cm.opsUrl}/metrics (leader-elected)`,
        listens: [tcpListen(cm.opsUrl)],
      });
    }
  }
  if (o.components.includes('dns')) {
    tokens(stateDir);
    for (const d of cluster.dns) {
      out.push({
        component: 'dns',
        name: d.name,
        args: [
          entryPoint('dns'),
          '--apiserver', apiserverAddrs,
          '--token-file', join(stateDir, 'dns.token'),
          '--listen', d.listen,
          '--ops-addr', hostPort(d.opsUrl),
        ],
        opsUrl: d.opsUrl,
        describe: `DNS ${d.listen} (UDP+TCP), zone cluster.local, kube-dns Service at the tenth service IP`,
        listens: [tcpListen(d.listen), { ...tcpListen(d.listen), proto: 'udp' }, tcpListen(d.opsUrl)],
      });
    }
  }
  if (o.components.includes('node')) {
    tokens(stateDir);
    for (const node of cluster.nodes) {
      out.push({
        component: 'node',
        name: node.name,
        args: [
          // A small, frugal heap: see packages/node-agent/README.md, "Memory".
          ...NODE_AGENT_V8_FLAGS,
          entryPoint('node-agent'),
          '--apiserver', apiserverAddrs,
          '--token-file', join(stateDir, 'node.token'),
          '--node-name', node.name,
          '--node-ip', node.ip,
          '--zone', node.zone,
          '--pod-cidr', node.podCIDR,
          '--root-dir', join(stateDir, 'nodes', node.name),
          '--stop-pods-on-exit',
          ...nodeAgentProfileArgs(profile),
        ],
        opsUrl: node.opsUrl,
        describe: `node IP ${node.ip}, ${node.zone}, pods ${node.podCIDR}, rules ${node.opsUrl}/rules`,
        listens: [tcpListen(node.opsUrl)],
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
 *
 * Before anything starts, every address the new processes will listen on is bound for a
 * moment: one that is taken fails the whole call with an UpError naming the process and
 * the address, and nothing is started. If a process dies or stays unready, the ones this
 * call started are stopped again and the UpError carries the end of its log.
 */
export async function up(o: UpOptions): Promise<ProcessRecord[]> {
  const stateDir = resolve(o.stateDir);
  const running = readProcesses(stateDir).filter(isAlive);
  const records = [...running];
  const progress = o.onProgress ?? (() => undefined);
  const planned = plan(stateDir, o);
  const toStart = planned.filter((p) => !running.some((r) => r.name === p.name));
  const busy = await firstBusyAddress(toStart);
  if (busy) throw new UpError(busyMessage(busy, stateDir), busy.process);
  savePlan(stateDir, o.plan);
  const t0 = Date.now();
  const startedNow: ProcessRecord[] = [];
  // Where each log stood before this start: a failure is explained by what follows only.
  const logFrom = new Map<string, number>();
  try {
    for (const component of COMPONENTS) {
      const started: ProcessRecord[] = [];
      for (const p of planned.filter((x) => x.component === component)) {
        if (!toStart.includes(p)) {
          progress(`${p.name}: already running`);
          continue;
        }
        logFrom.set(p.name, logSize(join(stateDir, 'logs', `${p.name}.log`)));
        const rec = startProcess(stateDir, { name: p.name, command: process.execPath, args: p.args, opsUrl: p.opsUrl });
        started.push(rec);
        startedNow.push(rec);
        records.push(rec);
        progress(`${p.name}: started (pid ${rec.pid}), ${p.describe}`);
      }
      writeProcesses(stateDir, records);
      await Promise.all(started.map(async (r) => {
        try {
          await waitReady(r.opsUrl, 60_000, () => isAlive(r));
        } catch (err) {
          throw startFailure(r, logFrom.get(r.name) ?? 0, err);
        }
        progress(`${r.name}: ready (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      }));
    }
  } catch (err) {
    await stopProcesses(startedNow);
    writeProcesses(stateDir, records.filter((r) => !startedNow.includes(r) && isAlive(r)));
    throw err;
  }
  if (o.components.includes('apiserver')) {
    const file = writeKubeconfig(stateDir, o.plan);
    progress(`kubectl: export KUBECONFIG=${file}`);
  }
  return records;
}

/** Where an apiserver keeps the self-signed certificate of its HTTP API (made on first start). */
function servingCertFile(stateDir: string, apiserver: string): string {
  return join(stateDir, 'tls', `${apiserver}.crt`);
}

/**
 * `<state-dir>/kubeconfig` for kubectl and Kubernetes client libraries: the first
 * apiserver's HTTP API, its certificate as the CA, and the admin bearer token.
 */
export function writeKubeconfig(stateDir: string, cluster: ClusterPlan): string {
  const dir = resolve(stateDir);
  const first = cluster.apiservers[0];
  if (!first) throw new UpError('the cluster plan has no apiserver', 'apiserver');
  const ca = readFileSync(servingCertFile(dir, first.name)).toString('base64');
  const file = join(dir, 'kubeconfig');
  const name = `kemu-${cluster.block}`;
  writeFileSync(file, kubeconfigYaml({ name, server: `https://${restAddress(first)}`, caBase64: ca, token: tokens(dir).admin }), { mode: 0o600 });
  return file;
}

/** Why a started process did not become ready, with the end of its log. */
function startFailure(r: ProcessRecord, logFrom: number, err: unknown): UpError {
  const tail = logTail(r.logFile, 8_192, logFrom);
  const inUse = addressInUseFromLog(tail);
  if (inUse) return new UpError(`${r.name}: ${inUse} is already in use (another kemu up? stop it with kemu down --state-dir <its dir>)`, r.name, { cause: err });
  const lines = tail.trimEnd().split('\n').slice(-10).map((l) => `    ${l}`).join('\n');
  return new UpError(`${r.name}: ${(err as Error).message}\n  last lines of ${r.logFile}:\n${lines}`, r.name, { cause: err });
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
      const n = signalRecordedPodProcesses(join(nodesDir, node), 'SIGKILL');
      if (n > 0) onProgress?.(`${node}: killed ${n} pod process${n === 1 ? '' : 'es'} its agent left behind`);
    }
  }
}
