import type { Socket } from 'node:net';
import { formatIPv4 } from '../../network/ipv4.js';
import { EndReason, type EngineHandle, type NativeForwarder } from './native.js';
import type { Splice, SpliceEnd, SpliceResult, Splicer } from './splicer.js';

interface SocketWithFd {
  // net.Socket keeps its libuv handle here; `fd` is the OS descriptor (Linux, TCP).
  _handle?: { fd?: number } | null;
}

function fdOf(s: Socket): number {
  const fd = (s as unknown as SocketWithFd)._handle?.fd;
  if (fd === undefined || fd < 0) throw new Error('kemu forwarder: socket has no file descriptor');
  return fd;
}

function endOf(reason: number): SpliceEnd {
  switch (reason) {
    case EndReason.done:
      return 'done';
    case EndReason.clientReset:
      return 'client-reset';
    case EndReason.backendReset:
      return 'backend-reset';
    case EndReason.closedByAgent:
      return 'closed';
    default:
      return 'error';
  }
}


/** Receives the clients the engine accepted: each descriptor is its own until spliced or reset. */
export interface AcceptHandler {
  accepted(clientFd: number, clientIP: string, clientPort: number): void;
}

/**
 * The native engine's threads (native/forwarder.c) as seen from JS: it accepts on watched
 * listeners and moves the bytes of every pair, so no byte of a pair crosses into JS and no
 * listener needs a net.Server.
 * Invariant: a slot is in `pending` from splice until the engine reports it closed, and only
 * then goes back to `free`; listener ids are never reused, so a late accept for a listener
 * that was unwatched is recognised and reset.
 */
export class NativeSplicer implements Splicer {
  readonly kind = 'native';
  private readonly engine: EngineHandle;
  private readonly pending = new Map<number, (r: SpliceResult) => void>();
  private readonly free: number[] = [];
  private readonly listeners = new Map<number, { fd: number; handler: AcceptHandler }>();
  private nextSlot = 0;
  private nextListener = 1;
  private stopped = false;

  /** `threads`: byte-moving threads, 0 for one per core. */
  constructor(
    private readonly native: NativeForwarder,
    threads = 0,
  ) {
    this.engine = native.create((records) => this.onEvents(records), threads);
  }

  get active(): number {
    return this.pending.size;
  }

  /** Pairs a JS-accepted client (its fd is dup()ed; JS's sockets are destroyed). */
  splice(client: Socket, backend: Socket, onEnd: (r: SpliceResult) => void): Splice {
    return this.pair(fdOf(client), false, backend, onEnd, () => client.resetAndDestroy(), () => client.destroy());
  }

  /** Pairs a client the engine accepted (its fd passes to the engine). */
  spliceAccepted(clientFd: number, backend: Socket, onEnd: (r: SpliceResult) => void): Splice {
    return this.pair(clientFd, true, backend, onEnd, () => this.native.reset(clientFd), () => undefined);
  }

  /** Starts accepting on a listening fd; returns the id to unwatch it with. */
  watch(fd: number, handler: AcceptHandler): number {
    const id = this.nextListener++;
    this.listeners.set(id, { fd, handler });
    this.native.watch(this.engine, id, fd);
    return id;
  }

  unwatch(id: number): void {
    const l = this.listeners.get(id);
    if (!l) return;
    this.listeners.delete(id);
    if (!this.stopped) this.native.unwatch(this.engine, id, l.fd);
  }

  reset(clientFd: number): void {
    this.native.reset(clientFd);
  }

  stop(): void {
    if (this.stopped) return;
    for (const id of [...this.listeners.keys()]) this.unwatch(id);
    this.stopped = true;
    this.native.stop(this.engine);
  }

  private pair(clientFd: number, owned: boolean, backend: Socket, onEnd: (r: SpliceResult) => void, rejectClient: () => void, releaseClient: () => void): Splice {
    const slot = this.free.pop() ?? this.nextSlot++;
    try {
      this.native.add(this.engine, slot, clientFd, fdOf(backend), owned);
    } catch {
      this.free.push(slot);
      rejectClient();
      backend.resetAndDestroy();
      queueMicrotask(() => onEnd({ toBackend: 0, toClient: 0, end: 'error' }));
      return { close: () => undefined };
    }
    this.pending.set(slot, onEnd);
    // The engine holds its own descriptors now; closing ours does not touch the connection.
    releaseClient();
    backend.destroy();
    let closed = false;
    return {
      close: () => {
        if (closed || this.stopped || !this.pending.has(slot)) return;
        closed = true;
        this.native.close(this.engine, slot);
      },
    };
  }

  private onEvents(records: Float64Array): void {
    for (let i = 0; i + 4 < records.length; i += 5) {
      const kind = records[i];
      const a = records[i + 1] as number;
      if (kind === 1) {
        const fd = records[i + 2] as number;
        const l = this.listeners.get(a);
        if (!l) {
          this.native.reset(fd);
          continue;
        }
        l.handler.accepted(fd, formatIPv4(records[i + 3] as number), records[i + 4] as number);
        continue;
      }
      const onEnd = this.pending.get(a);
      if (!onEnd) continue;
      this.pending.delete(a);
      this.free.push(a);
      onEnd({ toBackend: records[i + 2] as number, toClient: records[i + 3] as number, end: endOf(records[i + 4] as number) });
    }
  }
}
