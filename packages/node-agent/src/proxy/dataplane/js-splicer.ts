import type { Socket } from 'node:net';
import type { Splice, SpliceEnd, SpliceResult, Splicer } from './splicer.js';

/**
 * The portable splicer: both sockets stay in JS and bytes are copied on the event loop.
 * Used when the native engine was not built (see native.ts); about 0.75x HAProxy's request
 * rate on a fast backend, against the native engine's ~1x.
 * Contract as in Splicer; the sockets must have been created with allowHalfOpen.
 */
export class JsSplicer implements Splicer {
  readonly kind = 'js';
  private readonly live = new Set<() => void>();

  get active(): number {
    return this.live.size;
  }

  splice(client: Socket, backend: Socket, onEnd: (r: SpliceResult) => void): Splice {
    let toBackend = 0;
    let toClient = 0;
    let end: SpliceEnd | undefined;
    let open = 2;
    const finish = (): void => {
      if (--open > 0) return;
      this.live.delete(closeAll);
      onEnd({ toBackend, toClient, end: end ?? 'done' });
    };
    const closeAll = (): void => {
      end ??= 'closed';
      client.destroy();
      backend.destroy();
    };
    const pipe = (from: Socket, to: Socket, count: (n: number) => void, reset: SpliceEnd): void => {
      from.on('data', (chunk: Buffer) => {
        count(chunk.length);
        if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
      });
      from.on('end', () => to.end());
      from.on('error', (err: NodeJS.ErrnoException) => {
        end ??= err.code === 'ECONNRESET' || err.code === 'EPIPE' ? reset : 'error';
        // Pass a reset on as a reset.
        to.resetAndDestroy();
      });
      from.on('close', finish);
      from.resume();
    };
    pipe(client, backend, (n) => (toBackend += n), 'client-reset');
    pipe(backend, client, (n) => (toClient += n), 'backend-reset');
    this.live.add(closeAll);
    return { close: closeAll };
  }

  stop(): void {
    for (const close of [...this.live]) close();
  }
}
