/** Node identity. Positive integer; 0 (NONE) means "no node". */
export type NodeId = number;
export const NONE: NodeId = 0;

/** One log entry. `data.length === 0` marks the empty entry a new leader appends. */
export interface Entry {
  term: number;
  index: number;
  data: Uint8Array;
}

/** What must be durable before messages of the same Ready are sent. */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

export interface SnapshotMetadata {
  index: number;
  term: number;
  voters: NodeId[];
}

export interface Snapshot {
  metadata: SnapshotMetadata;
  data: Uint8Array;
}

export const MessageType = {
  MsgHup: 'MsgHup',
  MsgBeat: 'MsgBeat',
  MsgProp: 'MsgProp',
  MsgApp: 'MsgApp',
  MsgAppResp: 'MsgAppResp',
  MsgVote: 'MsgVote',
  MsgVoteResp: 'MsgVoteResp',
  MsgSnap: 'MsgSnap',
  MsgHeartbeat: 'MsgHeartbeat',
  MsgHeartbeatResp: 'MsgHeartbeatResp',
  MsgUnreachable: 'MsgUnreachable',
  MsgSnapStatus: 'MsgSnapStatus',
  MsgCheckQuorum: 'MsgCheckQuorum',
  MsgTransferLeader: 'MsgTransferLeader',
  MsgTimeoutNow: 'MsgTimeoutNow',
  MsgReadIndex: 'MsgReadIndex',
  MsgReadIndexResp: 'MsgReadIndexResp',
  MsgPreVote: 'MsgPreVote',
  MsgPreVoteResp: 'MsgPreVoteResp',
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/**
 * Flat, wire-friendly message (maps 1:1 to etcd's raftpb.Message).
 * Messages are immutable once sent: the core never mutates a received message or its
 * entries, so a transport may deliver the same object more than once.
 * MsgReadIndex / MsgReadIndexResp carry the request context in `entries[0].data`
 * (as etcd does); heartbeats carry it in `context`.
 */
export interface Message {
  type: MessageType;
  to: NodeId;
  from: NodeId;
  term: number;
  logTerm: number;
  index: number;
  entries: Entry[];
  commit: number;
  snapshot?: Snapshot;
  reject: boolean;
  rejectHint: number;
  context?: Uint8Array;
}

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

/** Volatile state, reported in a Ready only when it changed. */
export interface SoftState {
  lead: NodeId;
  role: Role;
}

/** A linearizable read may be served once the state machine applied `index`. */
export interface ReadState {
  index: number;
  requestCtx: Uint8Array;
}

export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  readStates: ReadState[];
  entries: Entry[];
  snapshot?: Snapshot;
  committedEntries: Entry[];
  messages: Message[];
  mustSync: boolean;
}

export type ProgressStateType = 'probe' | 'replicate' | 'snapshot';

export interface ProgressStatus {
  match: number;
  next: number;
  state: ProgressStateType;
}

export interface Status {
  id: NodeId;
  term: number;
  vote: NodeId;
  commit: number;
  applied: number;
  lead: NodeId;
  role: Role;
  leadTransferee: NodeId;
  /** Only on the leader. */
  progress?: Map<NodeId, ProgressStatus>;
}

/** Builds a message with every field defaulted (the wire form has no optional scalars). */
export function newMessage(fields: Partial<Message> & { type: MessageType }): Message {
  return {
    to: NONE,
    from: NONE,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    ...fields,
  };
}

/** Messages that only make sense inside one node; never accepted from the network. */
export function isLocalMsg(t: MessageType): boolean {
  return (
    t === MessageType.MsgHup ||
    t === MessageType.MsgBeat ||
    t === MessageType.MsgUnreachable ||
    t === MessageType.MsgSnapStatus ||
    t === MessageType.MsgCheckQuorum
  );
}

export function isResponseMsg(t: MessageType): boolean {
  return (
    t === MessageType.MsgAppResp ||
    t === MessageType.MsgVoteResp ||
    t === MessageType.MsgHeartbeatResp ||
    t === MessageType.MsgUnreachable ||
    t === MessageType.MsgPreVoteResp
  );
}

export function voteRespMsgType(t: MessageType): MessageType {
  switch (t) {
    case MessageType.MsgVote:
      return MessageType.MsgVoteResp;
    case MessageType.MsgPreVote:
      return MessageType.MsgPreVoteResp;
    default:
      throw new Error(`raft: not a vote message: ${t}`);
  }
}

export function isEmptySnapshot(s: Snapshot | undefined): boolean {
  return s === undefined || s.metadata.index === 0;
}

export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/** Size used for maxSizePerMsg / maxCommittedSizePerReady accounting. */
export function entrySize(e: Entry): number {
  return e.data.length + 16;
}

/**
 * Longest prefix of `ents` whose total size stays within `maxSize`; always at least
 * one entry when `ents` is non-empty, so replication can make progress.
 */
export function limitSize(ents: Entry[], maxSize: number): Entry[] {
  if (ents.length === 0) return ents;
  let size = entrySize(ents[0]!);
  let n = 1;
  for (; n < ents.length; n++) {
    size += entrySize(ents[n]!);
    if (size > maxSize) break;
  }
  return n === ents.length ? ents : ents.slice(0, n);
}

export function assertNever(value: never, what = 'value'): never {
  throw new Error(`raft: unexpected ${what}: ${JSON.stringify(value)}`);
}
