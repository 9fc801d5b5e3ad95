export { NodeLifecycleController } from './node-lifecycle-controller.js';
export {
  NodeLifecycleCore,
  UNREACHABLE_NO_EXECUTE,
  UNREACHABLE_NO_SCHEDULE,
  NOT_READY_NO_EXECUTE,
  NOT_READY_NO_SCHEDULE,
  UNSCHEDULABLE_NO_SCHEDULE,
  type NodeLifecycleAction,
  type NodeLifecycleResult,
  type NodeLifecycleView,
  type ZoneReport,
} from './node-lifecycle-core.js';
export { NODE_LEASE_NAMESPACE, NodeStatusUnknown, NodeStatusNeverUpdated } from './node-health.js';
export { TaintKey, TaintEffect, tolerates, type TaintRef } from './taints.js';
export { ZoneState, ZoneLabel, zoneOf } from './zones.js';
