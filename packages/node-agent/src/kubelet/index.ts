export { Kubelet, type KubeletOptions, type PodSource, type ServiceLister } from './kubelet.js';
export type { KubeletClient } from './pod-status-sync.js';
export { podNetwork, LoopbackAliasNetwork, type PodNetwork, type NetworkMode } from './pod-network.js';
export { serviceEnv } from './service-env.js';
export { DEFAULT_BACKOFF, type BackoffSettings } from './restart-policy.js';
export { signalRecordedPodProcesses } from './orphans.js';
export { procStat } from './process-runner.js';
