import { raftpb } from '@kemu/api';
import { MessageType, type Entry, type Message, type Snapshot } from '@kemu/raft';

/** Maps @kemu/raft messages to and from the peer wire format (1:1, no copies of entry data). */

const asBuffer = (u: Uint8Array): Buffer => (Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength));

const messageTypes = new Set<string>(Object.values(MessageType));

export class PeerProtocolError extends Error {
  override readonly name = 'PeerProtocolError';
}

function entryToWire(e: Entry): raftpb.Entry {
  return { term: e.term, index: e.index, data: asBuffer(e.data) };
}

function snapshotToWire(s: Snapshot): raftpb.Snapshot {
  return { metadata: { index: s.metadata.index, term: s.metadata.term, voters: s.metadata.voters }, data: asBuffer(s.data) };
}

export function messageToWire(m: Message): raftpb.Message {
  return {
    type: m.type,
    to: m.to,
    from: m.from,
    term: m.term,
    logTerm: m.logTerm,
    index: m.index,
    entries: m.entries.map(entryToWire),
    commit: m.commit,
    snapshot: m.snapshot ? snapshotToWire(m.snapshot) : undefined,
    reject: m.reject,
    rejectHint: m.rejectHint,
    context: m.context ? asBuffer(m.context) : Buffer.alloc(0),
  };
}

/** Throws PeerProtocolError on anything that is not a well-formed Raft message. */
export function messageFromWire(w: raftpb.Message): Message {
  if (!messageTypes.has(w.type)) throw new PeerProtocolError(`unknown raft message type ${JSON.stringify(w.type)}`);
  const m: Message = {
    type: w.type as MessageType,
    to: w.to,
    from: w.from,
    term: w.term,
    logTerm: w.logTerm,
    index: w.index,
    entries: w.entries.map((e) => ({ term: e.term, index: e.index, data: e.data })),
    commit: w.commit,
    reject: w.reject,
    rejectHint: w.rejectHint,
  };
  if (w.snapshot) {
    const md = w.snapshot.metadata;
    if (!md) throw new PeerProtocolError('snapshot without metadata');
    m.snapshot = { metadata: { index: md.index, term: md.term, voters: md.voters }, data: w.snapshot.data };
  }
  if (w.context.length > 0) m.context = w.context;
  return m;
}
