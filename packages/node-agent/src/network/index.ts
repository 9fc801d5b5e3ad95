// Container-mode host networking for the node agent: addresses on `lo` (ClusterIPs,
// LoadBalancer IPs, pod IPs), host-gw routes to other nodes' pod CIDRs, and the
// resolv.conf a ClusterFirst pod gets. Local mode (127/8) needs none of it.
export { LoopbackAddresses, LoopbackAddressError, addressBatchScript, parseAddrShow, reconcileAddressOps, pendingAddressOps } from './loopback-addresses.js';
export type { LoopbackAddressesOptions, AddressOp, AddressOpKind, AddrShowEntry } from './loopback-addresses.js';
export { NodeRoutes, NodeRouteError, planRoutes, nodePodCIDRs, nodeInternalIPv4, diffRoutes, routeBatchScript, parseRouteShow } from './node-routes.js';
export type { Route, RouteOp, KernelRoute, NodeRoutesOptions } from './node-routes.js';
export { RouteMonitor } from './route-monitor.js';
export type { RouteMonitorOptions } from './route-monitor.js';
export { clusterResolvConf, clusterSearches, writeNodeResolvConf, ResolvConfError, DEFAULT_NDOTS } from './resolv-conf.js';
export type { ClusterResolvConfOptions } from './resolv-conf.js';
export { IpCommandError, attributeBatchErrors, runIpBatch, runIp } from './ip-batch.js';
export { AddressFormatError } from './ipv4.js';
