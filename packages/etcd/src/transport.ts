import { credentials, status, type Server, type ServerReadableStream, type ClientWritableStream, type sendUnaryData } from '@grpc/grpc-js';
import { raftpb } from '@kemu/api';
import type { Logger } from '@kemu/common';
import { MessageType, type Message, type NodeId } from '@kemu/raft';
import { messageFromWire, messageToWire, PeerProtocolError } from './raft-codec.js';

export interface PeerAddress {
  id: NodeId;
  name: string;
  /** host:port of the member's peer listener. */
  peerAddr: string;
  /** host:port of the member's client listener. */
  clientAddr: string;
}

/**
 * Fault injection for tests and chaos runs: messages to or from the listed members are
 * dropped (a network partition as this member sees it), optionally after a delay.
 * Only reachable when the member runs with --enable-fault-injection.
 */
export interface Faults {
  dropPeers: Set<NodeId>;
  delayMs: number;
}

export interface TransportOptions {
  self: PeerAddress;
  peers: PeerAddress[];
  clusterId: bigint;
  log: Logger;
  faults: Faults;
  /** Raft messages received from peers, in arrival order. */
  onMessages(messages: Message[]): void;
  onUnreachable(id: NodeId): void;
  onSnapshotStatus(id: NodeId, ok: boolean): void;
  /**
   * A peer's connection closed under us (its process most likely died: the kernel closes
   * a killed process's sockets at once). A failure detector hint, never a certainty.
   */
  onPeerLost(id: NodeId): void;
}

/** Largest backlog (bytes queued in a peer stream) before further messages are dropped. */
const MAX_BACKLOG_BYTES = 64 * 1024 * 1024;
const RECONNECT_MS = 100;

const grpcOptions = {
  'grpc.max_receive_message_length': 1024 * 1024 * 1024,
  'grpc.max_send_message_length': 1024 * 1024 * 1024,
  // Reconnect to a restarted peer within ~100 ms (grpc's default starts at 1 s and backs off to 2 min).
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.min_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 500,
  'grpc.keepalive_time_ms': 5_000,
  'grpc.keepalive_timeout_ms': 5_000,
};

/** One outgoing stream to one peer; reopened after failures, never blocks the sender. */
class PeerStream {
  private client: raftpb.RaftPeerClient | undefined;
  private stream: ClientWritableStream<raftpb.Batch> | undefined;
  private brokenUntil = 0;

  constructor(
    private readonly peer: PeerAddress,
    private readonly opts: TransportOptions,
    private readonly wireClusterId: number,
  ) {}

  send(messages: Message[]): void {
    const stream = this.open();
    if (!stream) {
      this.fail(messages);
      return;
    }
    if (stream.writableLength > MAX_BACKLOG_BYTES) {
      this.fail(messages);
      return;
    }
    const batch: raftpb.Batch = {
      clusterId: this.wireClusterId,
      from: this.opts.self.id,
      messages: messages.map(messageToWire),
    };
    const snaps = messages.filter((m) => m.type === MessageType.MsgSnap);
    stream.write(batch, (err: Error | null | undefined) => {
      for (const m of snaps) this.opts.onSnapshotStatus(m.to, !err);
    });
  }

  private open(): ClientWritableStream<raftpb.Batch> | undefined {
    if (this.stream) return this.stream;
    if (Date.now() < this.brokenUntil) return undefined;
    this.client ??= new raftpb.RaftPeerClient(this.peer.peerAddr, credentials.createInsecure(), grpcOptions);
    const stream = this.client.stream((err) => {
      if (this.stream === stream) this.broken(err ?? undefined);
    });
    stream.on('error', (err: Error) => {
      if (this.stream === stream) this.broken(err);
    });
    this.stream = stream;
    return stream;
  }

  private broken(err: Error | undefined): void {
    this.opts.log.debug({ peer: this.peer.name, err: err?.message }, 'peer stream closed');
    if ((err as { code?: number } | undefined)?.code === status.UNAVAILABLE) this.opts.onPeerLost(this.peer.id);
    this.stream = undefined;
    this.brokenUntil = Date.now() + RECONNECT_MS;
    this.opts.onUnreachable(this.peer.id);
  }

  private fail(messages: Message[]): void {
    this.opts.onUnreachable(this.peer.id);
    for (const m of messages) if (m.type === MessageType.MsgSnap) this.opts.onSnapshotStatus(m.to, false);
  }

  close(): void {
    this.stream?.end();
    this.stream = undefined;
    this.client?.close();
    this.client = undefined;
  }
}

/**
 * Raft messages between members: each member keeps one client stream to every other
 * member and receives theirs on its peer gRPC server. Delivery is best effort; Raft
 * recovers from loss, duplication and reordering.
 */
export class PeerTransport {
  private readonly streams = new Map<NodeId, PeerStream>();
  private readonly peerIds: Set<NodeId>;
  private readonly wireClusterId: number;

  constructor(private readonly opts: TransportOptions) {
    this.peerIds = new Set(opts.peers.map((p) => p.id));
    this.wireClusterId = Number(opts.clusterId & 0xffffffffffffn);
    for (const p of opts.peers) this.streams.set(p.id, new PeerStream(p, opts, this.wireClusterId));
  }

  /** Registers the RaftPeer service on the member's peer gRPC server. */
  register(server: Server): void {
    const impl: raftpb.RaftPeerServer = {
      stream: (call: ServerReadableStream<raftpb.Batch, raftpb.StreamSummary>, callback: sendUnaryData<raftpb.StreamSummary>) => {
        let batches = 0;
        let failed = false;
        let from: NodeId | undefined;
        call.on('data', (batch: raftpb.Batch) => {
          if (failed) return;
          try {
            this.receive(batch);
            from = batch.from;
            batches++;
          } catch (err) {
            failed = true;
            this.opts.log.warn({ err: (err as Error).message }, 'rejected peer stream');
            callback({ code: status.INVALID_ARGUMENT, details: (err as Error).message });
          }
        });
        call.on('end', () => {
          if (!failed) callback(null, { batches });
        });
        // The sender went away without ending its stream: it reconnects if it is alive.
        const lost = (): void => {
          if (from !== undefined) this.opts.onPeerLost(from);
        };
        call.on('error', lost);
        call.on('cancelled', lost);
      },
    };
    server.addService(raftpb.RaftPeerService, impl);
  }

  private receive(batch: raftpb.Batch): void {
    if (batch.clusterId !== this.wireClusterId) throw new PeerProtocolError(`cluster ID mismatch (got ${batch.clusterId})`);
    if (!this.peerIds.has(batch.from)) throw new PeerProtocolError(`unknown member ${batch.from}`);
    if (this.opts.faults.dropPeers.has(batch.from)) return;
    const messages = batch.messages.map(messageFromWire);
    for (const m of messages) {
      if (m.from !== batch.from || m.to !== this.opts.self.id) throw new PeerProtocolError(`misaddressed message ${m.from}->${m.to}`);
    }
    this.opts.onMessages(messages);
  }

  send(messages: Message[]): void {
    if (messages.length === 0) return;
    const byPeer = new Map<NodeId, Message[]>();
    for (const m of messages) {
      if (this.opts.faults.dropPeers.has(m.to) || !this.streams.has(m.to)) {
        // Raft keeps a follower in snapshot state until told how its snapshot went.
        if (m.type === MessageType.MsgSnap) this.opts.onSnapshotStatus(m.to, false);
        continue;
      }
      let list = byPeer.get(m.to);
      if (!list) byPeer.set(m.to, (list = []));
      list.push(m);
    }
    const deliver = (): void => {
      for (const [to, list] of byPeer) this.streams.get(to)?.send(list);
    };
    if (this.opts.faults.delayMs > 0) setTimeout(deliver, this.opts.faults.delayMs);
    else deliver();
  }

  close(): void {
    for (const s of this.streams.values()) s.close();
  }
}
