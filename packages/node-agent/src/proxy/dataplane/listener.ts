import type { Frontend } from '../types.js';
import type { DataPlaneContext } from './context.js';

export interface ListenOps {
  /** Takes a bound socket made by the native module (SO_REUSEPORT). */
  bindFd(fd: number): void;
  /** Binds exclusively; calls onError (EADDRINUSE and friends) instead of throwing. */
  bindExclusive(onError: (err: NodeJS.ErrnoException) => void): void;
  unbind(): void;
}

const STANDBY_RETRY_MS = 1000;

/**
 * How a frontend gets its address. In local mode every agent shares the host's loopback, so
 * the same ClusterIP:port is wanted by every agent:
 * - with the native module, each agent binds it with SO_REUSEPORT and the kernel spreads new
 *   connections over the agents that hold it (an agent that dies simply drops out);
 * - without it, the first agent binds it and the others stand by, retrying every second, so
 *   one takes over within a second of the holder's death.
 * In container mode each node has its own namespace and every agent binds every address.
 */
export class FrontendListener {
  private state: 'serving' | 'standby' | 'closed' = 'closed';
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly frontend: Frontend,
    private readonly ctx: DataPlaneContext,
    private readonly ops: ListenOps,
  ) {}

  open(): void {
    const native = this.ctx.native;
    if (native) {
      try {
        this.ops.bindFd(native.listen(this.frontend.ip, this.frontend.port, this.frontend.protocol === 'UDP'));
        this.state = 'serving';
        return;
      } catch (err) {
        // Someone holds the address without SO_REUSEPORT: stand by as the JS path does.
        this.ctx.log.warn({ frontend: this.frontend.key, err: (err as Error).message }, 'cannot share frontend address; standing by');
      }
    }
    this.tryExclusive();
  }

  close(): void {
    clearTimeout(this.retry);
    this.retry = undefined;
    if (this.state === 'serving') this.ops.unbind();
    this.state = 'closed';
  }

  private tryExclusive(): void {
    // bindExclusive reports failure asynchronously; until then (and after success) we serve.
    this.state = 'serving';
    this.ops.bindExclusive((err) => {
      if (this.state === 'closed') return;
      if (err.code !== 'EADDRINUSE' && err.code !== 'EACCES') {
        this.ctx.log.error({ frontend: this.frontend.key, err: err.message }, 'frontend cannot listen');
      }
      this.state = 'standby';
      this.retry = setTimeout(() => {
        if (this.state !== 'closed') this.tryExclusive();
      }, STANDBY_RETRY_MS);
      this.retry.unref();
    });
  }
}
