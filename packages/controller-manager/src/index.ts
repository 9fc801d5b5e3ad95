export * from './controller.js';
export { WorkQueue } from './work-queue.js';
export {
  NodeLifecycleController,
  NodeLifecycleCore,
  NODE_LEASE_NAMESPACE,
  type NodeLifecycleAction,
  type NodeLifecycleResult,
  type NodeLifecycleView,
  type ZoneReport,
} from './node-lifecycle/index.js';
export {
  NODE_LIFECYCLE_PRESETS,
  NODE_LIFECYCLE_PRESET_NAMES,
  nodeLifecyclePreset,
  isNodeLifecyclePresetName,
  UnknownPresetError,
  type NodeLifecyclePresetName,
} from './presets.js';
export {
  LeaderElector,
  LEADER_ELECTION_DEFAULTS,
  LeaderElectionConfigError,
  decideLease,
  releaseLease,
  nextLeadership,
  defaultIdentity,
  type LeaderElectorOptions,
  type LeaderElectionTimings,
  type LeaseDecision,
  type Leadership,
} from './leader-election.js';
export {
  CONTROLLER_NAMES,
  controllerManagerOptions,
  loadControllerManagerConfig,
  resolveConfig,
  parseDuration,
  ControllerManagerConfigError,
  type ControllerName,
  type ControllerManagerConfig,
} from './config.js';
export { ControllerManager } from './controller-manager.js';
