// @kemu/node-agent: one process per node doing the kubelet's job (kubelet/: Node, Lease,
// pods as real processes, probes, status) and kube-proxy's (proxy/: the pure forwarding
// table and its change trackers; proxy/dataplane/: listeners and the byte movers), plus
// the built-in pod workloads (workloads/).
export { NodeAgent } from './node-agent.js';
/** V8 flags the agent is meant to run with (README.md, "Memory"); the binary's shebang says the same. */
export const NODE_AGENT_V8_FLAGS = ['--max-semi-space-size=2', '--optimize-for-size'] as const;
export { loadNodeAgentConfig, resolveConfig, nodeAgentOptions, type NodeAgentConfig, type ForwarderChoice } from './config.js';
export { Proxier, ProxierError, type ProxierOptions } from './proxier.js';
export * from './kubelet/index.js';
export {
  ForwardingTable,
  type TableDiff,
  type Pick,
  type PickContext,
  type HealthCheckResponse,
  type ServicePortStats,
  type EndpointStats,
  type ForwardingTableOptions,
} from './proxy/forwarding-table.js';
export { printRules } from './proxy/rules-printer.js';
export { BoundedFrequencyRunner, type Scheduler } from './proxy/bounded-frequency-runner.js';
export { ServiceChangeTracker } from './proxy/service-change-tracker.js';
export { EndpointSliceTracker } from './proxy/endpoint-slice-tracker.js';
export { servicePorts, endpointsFor } from './proxy/service-info.js';
export * from './proxy/types.js';
export { loadNative } from './proxy/dataplane/native.js';
export { startEcho, MAX_SLEEP_MS, MAX_BYTES, type EchoOptions, type EchoServer } from './workloads/echo.js';
export { startTcpEcho, type TcpEchoOptions } from './workloads/tcp-echo.js';
export { startUdpEcho, type UdpEchoOptions } from './workloads/udp-echo.js';
export { startClient, type ClientOptions, type ClientRun } from './workloads/client.js';
export type { ServingWorkload, WorkloadBase, LogLine } from './workloads/workload.js';
export { podIdentityFromEnv, type PodIdentity } from './workloads/pod-identity.js';
export { WORKLOADS, WORKLOAD_IMAGES, WORKLOAD_MAIN, workloadForImage, workloadCommand, type WorkloadName } from './workloads/workload-image.js';
export * from './network/index.js';
