import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseDuration, parseHostPort, type Config, type OptionSpec } from '@kemu/common';
import { parseCidr4, parseIPv4 } from './network/ipv4.js';
import type { Algorithm } from './proxy/types.js';

const ALGORITHMS: readonly Algorithm[] = ['random', 'round-robin', 'least-connections'];
const FORWARDERS = ['auto', 'native', 'js'] as const;

/**
 * Connect timeouts per network mode. Local mode: a dead pod refuses at once on the shared
 * loopback, so the timeout only matters in a burst of thousands of connects, where a short
 * one aborts dials that were about to succeed (see DataPlaneLimits.dialTimeoutsMs). Container
 * mode: a node that died takes its address with it and SYNs to its pods vanish without an
 * answer until the neighbour entry fails (seconds), so the next endpoint is tried sooner.
 */
const DEFAULT_DIAL_TIMEOUTS = { local: '1.2s,2.5s,5s', container: '400ms,1.2s,2.5s' } as const;
export type ForwarderChoice = (typeof FORWARDERS)[number];

/** The agent's flags (kubelet's and kube-proxy's names where they have the same setting). */
export const nodeAgentOptions = {
  apiserver: { kind: 'list', description: 'apiserver gRPC addresses, host:port, comma separated', default: ['127.0.2.1:6443'] },
  token: { kind: 'string', description: 'bearer token for the apiserver', default: '' },
  tokenFile: { kind: 'string', description: 'file holding the bearer token (instead of --token)', default: '' },
  nodeName: { kind: 'string', description: 'name of this node (required)', default: '' },
  nodeIp: { kind: 'string', description: 'this node\'s IP: NodePorts and health check ports listen here (required)', default: '' },
  zone: { kind: 'string', description: 'topology.kubernetes.io/zone label of the node', default: '' },
  podCidr: { kind: 'string', description: 'pod IPs of this node, e.g. 127.244.1.0/24 (required)', default: '' },
  rootDir: { kind: 'string', description: 'node state: pod state files and pod logs (default <tmp>/kemu/<node>)', default: '' },
  networkMode: { kind: 'string', description: 'local (every node on the host loopback) or container (own network namespace)', default: 'local' },
  opsAddr: { kind: 'string', description: 'host:port for /healthz, /readyz, /metrics and /rules (default <node-ip>:10256)', default: '' },
  proxyAlgorithm: { kind: 'string', description: `endpoint choice: ${ALGORITHMS.join(', ')}`, default: 'random' },
  forwarder: { kind: 'string', description: 'TCP byte mover: auto (native if built), native, js', default: 'auto' },
  forwarderThreads: { kind: 'string', description: 'native forwarder: byte-moving threads (0: one per core, at most 8)', default: '0' },
  maxConnections: { kind: 'string', description: 'TCP connections open at once through this agent (default: from the open-file limit)', default: '' },
  udpIdleTimeout: { kind: 'string', description: 'UDP session idle timeout', default: '30s' },
  dialTimeouts: {
    kind: 'string',
    description: 'connect timeouts of successive endpoint attempts, comma separated (default: 1.2s,2.5s,5s in local mode, 400ms,1.2s,2.5s in container mode)',
    default: '',
  },
  minSyncPeriod: { kind: 'string', description: 'least time between two applications of Service/EndpointSlice changes', default: '0s' },
  syncPeriod: { kind: 'string', description: 'most time between two full checks of the forwarding table', default: '30s' },
  nodeLeaseDuration: { kind: 'string', description: 'leaseDurationSeconds of the node Lease', default: '40s' },
  nodeLeaseRenewInterval: { kind: 'string', description: 'how often the node Lease is renewed', default: '10s' },
  nodeStatusUpdateFrequency: { kind: 'string', description: 'how often node status is checked and written if changed', default: '10s' },
  frontendCidrs: {
    kind: 'list',
    description: 'container mode: ranges whose addresses the agent adds to lo for Service frontends (the service CIDR, the LoadBalancer pool)',
    default: ['10.96.0.0/16'],
  },
  clusterCidr: { kind: 'string', description: 'container mode: the pod network; other nodes\' pod CIDRs in it are routed via their node IPs', default: '10.244.0.0/16' },
  clusterDomain: { kind: 'string', description: 'the cluster DNS domain', default: 'cluster.local' },
  resolvConf: { kind: 'string', description: 'container mode: file pointed at the kube-dns Service ("" leaves it alone)', default: '/etc/resolv.conf' },
  stopPodsOnExit: { kind: 'bool', description: 'stop this node\'s pod processes when the agent exits (kemu down)', default: false },
  proxy: { kind: 'bool', description: 'run the proxy half (forwarding Services)', default: true },
  kubelet: { kind: 'bool', description: 'run the kubelet half (node, lease, pods)', default: true },
} satisfies Record<string, OptionSpec>;

export type NodeAgentFlags = Config<typeof nodeAgentOptions>;

export interface NodeAgentConfig {
  apiservers: string[];
  token: string;
  nodeName: string;
  nodeIP: string;
  zone: string;
  podCIDR: string;
  rootDir: string;
  networkMode: 'local' | 'container';
  opsHost: string;
  opsPort: number;
  algorithm: Algorithm;
  forwarder: ForwarderChoice;
  /** 0: one per core. */
  forwarderThreads: number;
  /** undefined: derived from the open-file limit at start. */
  maxConnections: number | undefined;
  udpIdleTimeoutMs: number;
  /** Connect timeout of each attempt, one attempt per entry (another endpoint when there is one). */
  dialTimeoutsMs: number[];
  minSyncPeriodMs: number;
  syncPeriodMs: number;
  leaseDurationSeconds: number;
  leaseRenewIntervalMs: number;
  nodeStatusUpdateFrequencyMs: number;
  frontendCIDRs: string[];
  clusterCIDR: string;
  clusterDomain: string;
  resolvConf: string;
  stopPodsOnExit: boolean;
  runProxy: boolean;
  runKubelet: boolean;
}

function ipv4(value: string, flag: string): string {
  if (parseIPv4(value) === undefined) throw new ConfigError(`--${flag}: ${JSON.stringify(value)} is not an IPv4 address`);
  return value;
}

function cidr(value: string, flag: string): string {
  const c = value.includes('/') ? parseCidr4(value) : undefined;
  if (!c || c.prefix < 8) throw new ConfigError(`--${flag}: ${JSON.stringify(value)} is not an IPv4 CIDR with a prefix from /8 to /32`);
  return value;
}

/** Turns parsed flags into the agent's configuration; `readFile` reads --token-file. */
export function resolveConfig(flags: NodeAgentFlags, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): NodeAgentConfig {
  if (!flags.nodeName) throw new ConfigError('--node-name: required');
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(flags.nodeName)) {
    throw new ConfigError(`--node-name: ${JSON.stringify(flags.nodeName)} is not a valid node name (lowercase DNS subdomain)`);
  }
  if (!flags.nodeIp) throw new ConfigError('--node-ip: required');
  const nodeIP = ipv4(flags.nodeIp, 'node-ip');
  if (flags.kubelet && !flags.podCidr) throw new ConfigError('--pod-cidr: required');
  if (flags.apiserver.length === 0) throw new ConfigError('--apiserver: at least one address is needed');
  for (const a of flags.apiserver) parseHostPort(a, 'apiserver');
  if (flags.token && flags.tokenFile) throw new ConfigError('--token and --token-file: give one, not both');
  let token = flags.token;
  if (flags.tokenFile) {
    try {
      token = readFile(flags.tokenFile).trim();
    } catch (err) {
      throw new ConfigError(`--token-file: cannot read ${flags.tokenFile}: ${(err as Error).message}`, { cause: err });
    }
  }
  if (flags.networkMode !== 'local' && flags.networkMode !== 'container') {
    throw new ConfigError(`--network-mode: ${JSON.stringify(flags.networkMode)} is not one of local, container`);
  }
  const algorithm = ALGORITHMS.find((a) => a === flags.proxyAlgorithm);
  if (!algorithm) throw new ConfigError(`--proxy-algorithm: ${JSON.stringify(flags.proxyAlgorithm)} is not one of ${ALGORITHMS.join(', ')}`);
  const forwarder = FORWARDERS.find((f) => f === flags.forwarder);
  if (!forwarder) throw new ConfigError(`--forwarder: ${JSON.stringify(flags.forwarder)} is not one of ${FORWARDERS.join(', ')}`);
  const forwarderThreads = Number(flags.forwarderThreads);
  if (!Number.isInteger(forwarderThreads) || forwarderThreads < 0 || forwarderThreads > 8) {
    throw new ConfigError(`--forwarder-threads: ${JSON.stringify(flags.forwarderThreads)} is not a number from 0 to 8`);
  }
  let maxConnections: number | undefined;
  if (flags.maxConnections) {
    maxConnections = Number(flags.maxConnections);
    if (!Number.isInteger(maxConnections) || maxConnections < 1) {
      throw new ConfigError(`--max-connections: ${JSON.stringify(flags.maxConnections)} is not a positive integer`);
    }
  }
  const dialTimeoutsMs = (flags.dialTimeouts || DEFAULT_DIAL_TIMEOUTS[flags.networkMode])
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean)
    .map((d) => parseDuration(d, 'dial-timeouts'));
  if (dialTimeoutsMs.length === 0 || dialTimeoutsMs.length > 8 || dialTimeoutsMs.some((t) => t < 50)) {
    throw new ConfigError(`--dial-timeouts: ${JSON.stringify(flags.dialTimeouts)}: want 1 to 8 durations of at least 50ms`);
  }
  const ops = parseHostPort(flags.opsAddr || `${nodeIP}:10256`, 'ops-addr');
  const leaseDurationMs = parseDuration(flags.nodeLeaseDuration, 'node-lease-duration');
  if (leaseDurationMs < 1000) throw new ConfigError('--node-lease-duration: must be at least 1s');
  return {
    apiservers: flags.apiserver,
    token,
    nodeName: flags.nodeName,
    nodeIP,
    zone: flags.zone,
    podCIDR: flags.podCidr ? cidr(flags.podCidr, 'pod-cidr') : '',
    rootDir: flags.rootDir || join(tmpdir(), 'kemu', flags.nodeName),
    networkMode: flags.networkMode,
    opsHost: ops.host,
    opsPort: ops.port,
    algorithm,
    forwarder,
    forwarderThreads,
    maxConnections,
    udpIdleTimeoutMs: parseDuration(flags.udpIdleTimeout, 'udp-idle-timeout'),
    dialTimeoutsMs,
    minSyncPeriodMs: parseDuration(flags.minSyncPeriod, 'min-sync-period'),
    syncPeriodMs: parseDuration(flags.syncPeriod, 'sync-period'),
    leaseDurationSeconds: Math.round(leaseDurationMs / 1000),
    leaseRenewIntervalMs: parseDuration(flags.nodeLeaseRenewInterval, 'node-lease-renew-interval'),
    nodeStatusUpdateFrequencyMs: parseDuration(flags.nodeStatusUpdateFrequency, 'node-status-update-frequency'),
    frontendCIDRs: flags.frontendCidrs.map((c) => cidr(c, 'frontend-cidrs')),
    clusterCIDR: cidr(flags.clusterCidr, 'cluster-cidr'),
    clusterDomain: flags.clusterDomain,
    resolvConf: flags.resolvConf,
    stopPodsOnExit: flags.stopPodsOnExit,
    runProxy: flags.proxy,
    runKubelet: flags.kubelet,
  };
}

export function loadNodeAgentConfig(argv: readonly string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): NodeAgentConfig {
  return resolveConfig(loadConfig(nodeAgentOptions, [...argv], env));
}
