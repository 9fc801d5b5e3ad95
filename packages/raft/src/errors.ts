/** Storage: the requested index precedes the first retained entry (compacted away). */
export class ErrCompacted extends Error {
  constructor(message = 'raft storage: requested index is unavailable due to compaction', options?: ErrorOptions) {
    super(message, options);
    this.name = 'ErrCompacted';
  }
}

/** Storage: the requested index is past the last entry. */
export class ErrUnavailable extends Error {
  constructor(message = 'raft storage: requested entry at index is unavailable', options?: ErrorOptions) {
    super(message, options);
    this.name = 'ErrUnavailable';
  }
}

/** Storage: a snapshot is being produced; the leader retries later. */
export class ErrSnapshotTemporarilyUnavailable extends Error {
  constructor(message = 'raft storage: snapshot is temporarily unavailable', options?: ErrorOptions) {
    super(message, options);
    this.name = 'ErrSnapshotTemporarilyUnavailable';
  }
}

/** Storage: the snapshot being applied or created is older than the current one. */
export class ErrSnapOutOfDate extends Error {
  constructor(message = 'raft storage: requested index is older than the existing snapshot', options?: ErrorOptions) {
    super(message, options);
    this.name = 'ErrSnapOutOfDate';
  }
}

/** A proposal could not be accepted: no known leader, or leadership is being transferred. */
export class ProposalDroppedError extends Error {
  constructor(message = 'raft: proposal dropped', options?: ErrorOptions) {
    super(message, options);
    this.name = 'ProposalDroppedError';
  }
}

/** RawNode.step was handed a message type that is only generated locally (MsgHup, ...). */
export class ErrStepLocalMsg extends Error {
  constructor(message = 'raft: cannot step raft local message', options?: ErrorOptions) {
    super(message, options);
    this.name = 'ErrStepLocalMsg';
  }
}

/** RawNode.step was handed a response from a node that is not a member. */
export class ErrStepPeerNotFound extends Error {
  constructor(message = 'raft: cannot step as peer not found', options?: ErrorOptions) {
    super(message, options);
    this.name = 'ErrStepPeerNotFound';
  }
}

/** Invalid Config passed to RawNode. */
export class ConfigError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigError';
  }
}
