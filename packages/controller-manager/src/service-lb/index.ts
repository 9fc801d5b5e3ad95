export { ServiceLoadBalancerController } from './service-lb-controller.js';
export {
  reconcileLoadBalancer,
  adoptRecordedAddresses,
  wantsLoadBalancer,
  PendingReason,
  type LoadBalancerOutcome,
  type LoadBalancerStep,
} from './reconcile-load-balancer.js';
export { IpAllocator } from './ip-allocator.js';
export { IpPool, LoadBalancerPoolError, ipToNumber, numberToIp, type IpRange } from './ip-pool.js';
