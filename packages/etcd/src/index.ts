export { Member } from './member.js';
export { loadMemberConfig, memberOptions, type MemberConfig } from './config.js';
export { planEtcdCluster, type EtcdMemberPlan, type EtcdClusterPlanOptions } from './cluster-plan.js';
export { memberIdOf, clusterIdOf, hexId } from './ids.js';
export { EtcdError, Errors } from './errors.js';
export {
  readSnapshotKeyspace,
  snapshotStatus,
  BoltFormatError,
  KvDecodeError,
  SnapshotHashError,
  type SnapshotKeyspace,
  type SnapshotStatus,
} from './bbolt/index.js';
