import type { ProfileName } from '../plan.js';

/**
 * The timings a `kemu up --profile` chooses, as data: how fast etcd elects a new leader,
 * how often node agents renew their Lease, how long the node lifecycle controller waits
 * before a silent node is NotReady and before its pods are evicted, and how long the
 * controller-managers' leader election Lease lasts. Durations are in the processes' own
 * flag syntax ("20s", "5m").
 *
 * Invariants (checked by the unit test): a node renews its Lease at least three times per
 * grace period; leader election keeps client-go's order, lease > renew deadline >
 * 1.2 x retry period; etcd's election timeout is at least five heartbeats.
 */
export interface ProfileTimings {
  /** One line for `kemu up --help`. */
  summary: string;
  etcd: { heartbeatMs: number; electionMs: number };
  node: { leaseDuration: string; leaseRenewInterval: string };
  controllerManager: {
    nodeMonitorGracePeriod: string;
    podEvictionTimeout: string;
    leaderElectLeaseDuration: string;
    leaderElectRenewDeadline: string;
    leaderElectRetryPeriod: string;
  };
}

export const PROFILE_TIMINGS = {
  default: {
    summary: 'demo-friendly: a silent node is NotReady after 20s, its pods are evicted 60s later',
    etcd: { heartbeatMs: 100, electionMs: 1000 },
    node: { leaseDuration: '20s', leaseRenewInterval: '4s' },
    controllerManager: {
      nodeMonitorGracePeriod: '20s',
      podEvictionTimeout: '60s',
      leaderElectLeaseDuration: '15s',
      leaderElectRenewDeadline: '10s',
      leaderElectRetryPeriod: '2s',
    },
  },
  'fast-recovery': {
    summary: 'NotReady after 8s, pods evicted 15s later, controller-manager failover in about 8s',
    etcd: { heartbeatMs: 100, electionMs: 1000 },
    node: { leaseDuration: '10s', leaseRenewInterval: '2s' },
    controllerManager: {
      nodeMonitorGracePeriod: '8s',
      podEvictionTimeout: '15s',
      leaderElectLeaseDuration: '8s',
      leaderElectRenewDeadline: '6s',
      leaderElectRetryPeriod: '1s',
    },
  },
  'stable-network': {
    summary: "Kubernetes' defaults: NotReady after 40s, pods evicted 5m later",
    etcd: { heartbeatMs: 100, electionMs: 1000 },
    node: { leaseDuration: '40s', leaseRenewInterval: '10s' },
    controllerManager: {
      nodeMonitorGracePeriod: '40s',
      podEvictionTimeout: '5m',
      leaderElectLeaseDuration: '15s',
      leaderElectRenewDeadline: '10s',
      leaderElectRetryPeriod: '2s',
    },
  },
  'unreliable-network': {
    summary: 'lost messages tolerated: slower etcd elections, NotReady after 60s, eviction 10m later',
    etcd: { heartbeatMs: 250, electionMs: 2500 },
    node: { leaseDuration: '60s', leaseRenewInterval: '10s' },
    controllerManager: {
      nodeMonitorGracePeriod: '60s',
      podEvictionTimeout: '10m',
      leaderElectLeaseDuration: '30s',
      leaderElectRenewDeadline: '20s',
      leaderElectRetryPeriod: '4s',
    },
  },
} as const satisfies Record<ProfileName, ProfileTimings>;

/** Node agent flags of a profile. */
export function nodeAgentProfileArgs(profile: ProfileName): string[] {
  const t = PROFILE_TIMINGS[profile].node;
  return ['--node-lease-duration', t.leaseDuration, '--node-lease-renew-interval', t.leaseRenewInterval];
}

/** Controller-manager flags of a profile. */
export function controllerManagerProfileArgs(profile: ProfileName): string[] {
  const t = PROFILE_TIMINGS[profile].controllerManager;
  return [
    '--node-monitor-grace-period', t.nodeMonitorGracePeriod,
    '--pod-eviction-timeout', t.podEvictionTimeout,
    '--leader-elect-lease-duration', t.leaderElectLeaseDuration,
    '--leader-elect-renew-deadline', t.leaderElectRenewDeadline,
    '--leader-elect-retry-period', t.leaderElectRetryPeriod,
  ];
}

/** The profiles as `kemu up --help` lists them (kept under 100 columns). */
export function describeProfiles(): string {
  const lines = ['Profiles (--profile, saved with the cluster): the flags each process is started with.'];
  for (const [name, t] of Object.entries(PROFILE_TIMINGS) as Array<[ProfileName, ProfileTimings]>) {
    const cm = t.controllerManager;
    lines.push(
      `  ${name}: ${t.summary}`,
      `    etcd members        --heartbeat-interval ${t.etcd.heartbeatMs} --election-timeout ${t.etcd.electionMs}`,
      `    node agents         --node-lease-duration ${t.node.leaseDuration} --node-lease-renew-interval ${t.node.leaseRenewInterval}`,
      `    controller-managers --node-monitor-grace-period ${cm.nodeMonitorGracePeriod} --pod-eviction-timeout ${cm.podEvictionTimeout}`,
      `                        --leader-elect-lease-duration ${cm.leaderElectLeaseDuration} --leader-elect-renew-deadline ${cm.leaderElectRenewDeadline}`,
      `                        --leader-elect-retry-period ${cm.leaderElectRetryPeriod}`,
    );
  }
  return lines.join('\n');
}
