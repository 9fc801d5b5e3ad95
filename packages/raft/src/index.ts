export {
  MessageType,
  NONE,
  newMessage,
  isLocalMsg,
  isResponseMsg,
  isEmptySnapshot,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type ProgressStateType,
  type ProgressStatus,
  type ReadState,
  type Ready,
  type Role,
  type Snapshot,
  type SnapshotMetadata,
  type SoftState,
  type Status,
} from './types.js';
export {
  ConfigError,
  ErrCompacted,
  ErrSnapOutOfDate,
  ErrSnapshotTemporarilyUnavailable,
  ErrStepLocalMsg,
  ErrStepPeerNotFound,
  ErrUnavailable,
  ProposalDroppedError,
} from './errors.js';
export { MemoryStorage, type Storage } from './storage.js';
export { type Config, type Logger } from './raft.js';
export { RawNode } from './raw-node.js';
export {
  describeData,
  describeEntry,
  describeHardState,
  describeMessage,
  describeReady,
  describeSnapshot,
  describeSoftState,
} from './describe.js';
export { Rng } from './rng.js';
