import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig, parseDuration, parseHostPort, type Config, type OptionSpec } from '@kemu/common';
import type { NodeLifecycleSettings } from './controller.js';
import { defaultIdentity, LEADER_ELECTION_DEFAULTS, validateTimings, type LeaderElectionTimings } from './leader-election.js';
import { isNodeLifecyclePresetName, NODE_LIFECYCLE_PRESET_NAMES, NODE_LIFECYCLE_PRESETS, type NodeLifecyclePresetName } from './presets.js';

/** Every controller this process runs, by the name --controllers uses. */
export const CONTROLLER_NAMES = [
  'scheduler',
  'replicaset',
  'deployment',
  'endpoints',
  'endpointslice',
  'service-lb',
  'node-lifecycle',
  'garbage-collector',
] as const;
export type ControllerName = (typeof CONTROLLER_NAMES)[number];

/** The process's flags, named after kube-controller-manager's where it has the same setting. */
export const controllerManagerOptions = {
  apiserver: { kind: 'list', description: 'apiserver gRPC addresses, host:port, comma separated', default: ['127.0.2.1:6443'] },
  token: { kind: 'string', description: 'bearer token for the apiserver', default: '' },
  tokenFile: { kind: 'string', description: 'file holding the bearer token (instead of --token)', default: '' },
  opsAddr: { kind: 'string', description: 'host:port for /healthz, /readyz and /metrics', default: '127.0.3.1:10257' },
  controllers: {
    kind: 'list',
    description: `controllers to run: "*" for all, a name to add one, "-name" to leave one out (${CONTROLLER_NAMES.join(', ')})`,
    default: ['*'],
  },
  nodeLifecyclePreset: {
    kind: 'string',
    description: `node lifecycle timings: ${NODE_LIFECYCLE_PRESET_NAMES.join(', ')}`,
    default: 'default',
  },
  nodeMonitorGracePeriod: { kind: 'string', description: 'silence before a node is Ready=Unknown (ms or 40s; overrides the preset)', default: '' },
  podEvictionTimeout: { kind: 'string', description: 'how long pods stay on a NotReady/Unknown node (ms or 5m; overrides the preset)', default: '' },
  nodeEvictionRate: { kind: 'string', description: 'nodes per second whose pods may be evicted in a healthy zone (overrides the preset)', default: '' },
  secondaryNodeEvictionRate: { kind: 'string', description: 'the same in a partially disrupted zone (overrides the preset)', default: '' },
  unhealthyZoneThreshold: { kind: 'string', description: 'fraction of NotReady nodes making a zone partially disrupted (overrides the preset)', default: '' },
  loadBalancerPool: {
    kind: 'list',
    description: 'LoadBalancer IPs to hand out: ranges (a-b) or CIDRs, comma separated; empty: services stay pending',
    default: ['127.0.50.1-127.0.50.254'],
  },
  leaderElect: { kind: 'bool', description: 'elect a leader among replicas; only the leader runs controllers', default: true },
  leaderElectLeaseDuration: { kind: 'string', description: 'how long a leader holds the lease unrenewed', default: '15s' },
  leaderElectRenewDeadline: { kind: 'string', description: 'how long a leader keeps trying to renew before it gives up', default: '10s' },
  leaderElectRetryPeriod: { kind: 'string', description: 'time between tries to acquire or renew', default: '2s' },
  leaderElectIdentity: { kind: 'string', description: 'holder identity in the lease (default <hostname>_<uuid>)', default: '' },
  leaderElectResourceNamespace: { kind: 'string', description: 'namespace of the leader election lease', default: LEADER_ELECTION_DEFAULTS.namespace },
  leaderElectResourceName: { kind: 'string', description: 'name of the leader election lease', default: LEADER_ELECTION_DEFAULTS.name },
} satisfies Record<string, OptionSpec>;

export type ControllerManagerFlags = Config<typeof controllerManagerOptions>;

export interface ControllerManagerConfig {
  apiservers: string[];
  token: string;
  opsHost: string;
  opsPort: number;
  controllers: ControllerName[];
  nodeLifecyclePreset: NodeLifecyclePresetName;
  nodeLifecycle: NodeLifecycleSettings;
  loadBalancerPool: string[];
  leaderElection: LeaderElectionTimings & { enabled: boolean; identity: string; namespace: string; name: string };
}

/** Bad flags; the shared parsers (durations, host:port) throw the base ConfigError. */
export class ControllerManagerConfigError extends ConfigError {
  override readonly name = 'ControllerManagerConfigError';
}

/** Durations read as Go's (re-exported for the CLI and tests). */
export { parseDuration };

function parseFraction(value: string, flag: string, max?: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (max !== undefined && n > max)) {
    throw new ControllerManagerConfigError(`--${flag}: invalid value ${JSON.stringify(value)} (want a number${max !== undefined ? ` from 0 to ${max}` : ' >= 0'})`);
  }
  return n;
}

/** --controllers as kube-controller-manager reads it: "*" is every controller, "-x" removes x. */
export function selectControllers(list: readonly string[]): ControllerName[] {
  const known = new Set<string>(CONTROLLER_NAMES);
  const on = new Set<string>();
  for (const item of list) {
    if (item === '*') for (const n of CONTROLLER_NAMES) on.add(n);
  }
  for (const item of list) {
    if (item === '*') continue;
    const name = item.startsWith('-') ? item.slice(1) : item;
    if (!known.has(name)) {
      throw new ControllerManagerConfigError(`--controllers: unknown controller ${JSON.stringify(name)} (known: ${CONTROLLER_NAMES.join(', ')})`);
    }
    if (item.startsWith('-')) on.delete(name);
    else on.add(name);
  }
  return CONTROLLER_NAMES.filter((n) => on.has(n));
}

/** Turns parsed flags into the process configuration; `readFile` reads --token-file. */
export function resolveConfig(
  flags: ControllerManagerFlags,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): ControllerManagerConfig {
  if (flags.apiserver.length === 0) throw new ControllerManagerConfigError('--apiserver: at least one address is needed');
  for (const a of flags.apiserver) parseHostPort(a, 'apiserver');
  if (flags.token && flags.tokenFile) throw new ControllerManagerConfigError('--token and --token-file: give one, not both');
  let token = flags.token;
  if (flags.tokenFile) {
    try {
      token = readFile(flags.tokenFile).trim();
    } catch (err) {
      throw new ControllerManagerConfigError(`--token-file: cannot read ${flags.tokenFile}: ${(err as Error).message}`, { cause: err });
    }
  }
  const ops = parseHostPort(flags.opsAddr, 'ops-addr');

  if (!isNodeLifecyclePresetName(flags.nodeLifecyclePreset)) {
    throw new ControllerManagerConfigError(
      `--node-lifecycle-preset: ${JSON.stringify(flags.nodeLifecyclePreset)} is not one of ${NODE_LIFECYCLE_PRESET_NAMES.join(', ')}`,
    );
  }
  const nodeLifecycle: NodeLifecycleSettings = { ...NODE_LIFECYCLE_PRESETS[flags.nodeLifecyclePreset] };
  if (flags.nodeMonitorGracePeriod) nodeLifecycle.gracePeriodMs = parseDuration(flags.nodeMonitorGracePeriod, 'node-monitor-grace-period');
  if (flags.podEvictionTimeout) nodeLifecycle.evictionTimeoutMs = parseDuration(flags.podEvictionTimeout, 'pod-eviction-timeout');
  if (flags.nodeEvictionRate) nodeLifecycle.evictionRate = parseFraction(flags.nodeEvictionRate, 'node-eviction-rate');
  if (flags.secondaryNodeEvictionRate) {
    nodeLifecycle.secondaryEvictionRate = parseFraction(flags.secondaryNodeEvictionRate, 'secondary-node-eviction-rate');
  }
  if (flags.unhealthyZoneThreshold) nodeLifecycle.unhealthyZoneThreshold = parseFraction(flags.unhealthyZoneThreshold, 'unhealthy-zone-threshold', 1);
  if (nodeLifecycle.gracePeriodMs <= 0) throw new ControllerManagerConfigError('--node-monitor-grace-period: must be greater than zero');

  const timings: LeaderElectionTimings = {
    leaseDurationMs: parseDuration(flags.leaderElectLeaseDuration, 'leader-elect-lease-duration'),
    renewDeadlineMs: parseDuration(flags.leaderElectRenewDeadline, 'leader-elect-renew-deadline'),
    retryPeriodMs: parseDuration(flags.leaderElectRetryPeriod, 'leader-elect-retry-period'),
  };
  if (flags.leaderElect) {
    try {
      validateTimings(timings);
    } catch (err) {
      throw new ControllerManagerConfigError(`--leader-elect-*: ${(err as Error).message}`, { cause: err });
    }
  }

  return {
    apiservers: flags.apiserver,
    token,
    opsHost: ops.host,
    opsPort: ops.port,
    controllers: selectControllers(flags.controllers),
    nodeLifecyclePreset: flags.nodeLifecyclePreset,
    nodeLifecycle,
    loadBalancerPool: flags.loadBalancerPool,
    leaderElection: {
      enabled: flags.leaderElect,
      ...timings,
      identity: flags.leaderElectIdentity || defaultIdentity(),
      namespace: flags.leaderElectResourceNamespace,
      name: flags.leaderElectResourceName,
    },
  };
}

export function loadControllerManagerConfig(
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): ControllerManagerConfig {
  return resolveConfig(loadConfig(controllerManagerOptions, [...argv], env));
}
