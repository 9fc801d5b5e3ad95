import type { Socket } from 'node:net';
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

/**
 * Hands each pair to the native engine's thread (native/forwarder.c): the engine dup()s
 * both descriptors and JS closes its own copies, so no byte of the pair crosses into JS.
 * Invariant: a slot is in `pending` from splice() until the engine reports it closed, and
 * only then goes back to `free`.
 */
export class NativeSplicer implements Splicer {
  readonly kind = 'native';
  private readonly engine: EngineHandle;
  private readonly pending = new Map<number, (r: SpliceResult) => void>();
  private readonly free: number[] = [];
  private nextSlot = 0;
  private stopped = false;

  constructor(private readonly native: NativeForwarder) {
    this.engine = native.create((records) => this.onClosed(records));
  }

  get active(): number {
    return this.pending.size;
  }

  splice(client: Socket, backend: Socket, onEnd: (r: SpliceResult) => void): Splice {
    const slot = this.free.pop() ?? this.nextSlot++;
    try {
      this.native.add(this.engine, slot, fdOf(client), fdOf(backend));
    } catch (err) {
      this.free.push(slot);
      client.resetAndDestroy();
      backend.resetAndDestroy();
      queueMicrotask(() => onEnd({ toBackend: 0, toClient: 0, end: 'error' }));
      void err;
      return { close: () => undefined };
    }
    this.pending.set(slot, onEnd);
    // The engine holds its own duplicates now; closing ours does not touch the connection.
    client.destroy();
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

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.native.stop(this.engine);
  }

  private onClosed(records: Float64Array): void {
    for (let i = 0; i + 3 < records.length; i += 4) {
      const slot = records[i] as number;
      const onEnd = this.pending.get(slot);
      if (!onEnd) continue;
      this.pending.delete(slot);
      this.free.push(slot);
      onEnd({ toBackend: records[i + 1] as number, toClient: records[i + 2] as number, end: endOf(records[i + 3] as number) });
    }
  }
}
