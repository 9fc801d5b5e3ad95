import type { Logger } from '@kemu/common';
import type { ForwardingTable } from '../forwarding-table.js';
import type { ConnectionTracker } from './connection-tracker.js';
import type { ProxyMetrics } from './metrics.js';
import type { NativeForwarder } from './native.js';
import type { Splicer } from './splicer.js';

/** What every frontend of one agent shares. */
export interface DataPlaneContext {
  readonly table: ForwardingTable;
  readonly splicer: Splicer;
  /** Present when the native module is built: listeners then use SO_REUSEPORT. */
  readonly native: NativeForwarder | undefined;
  readonly connections: ConnectionTracker;
  readonly metrics: ProxyMetrics;
  readonly log: Logger;
  now(): number;
  readonly limits: DataPlaneLimits;
}

export interface DataPlaneLimits {
  /** TCP pairs open at once on this agent; more are reset at accept. */
  maxConnections: number;
  /** TCP pairs one service port may hold, so that one service cannot starve the others. */
  maxConnectionsPerService: number;
  /**
   * Connect timeouts of successive attempts (another endpoint when there is one). Longer
   * than the userspace proxier's 250 ms / 500 ms / 1 s / 2 s: the first must outlast one SYN
   * retransmission (1 s) and the event loop's lag in a burst of thousands of connects, or
   * the proxy aborts connects that were about to succeed and retries into a storm (measured:
   * 10,000 connects at once gave 5,000 aborted dials at 250 ms, a few hundred at 1.2 s).
   */
  dialTimeoutsMs: readonly number[];
  /** UDP: a client's session (its backend socket) ends after this long without traffic. */
  udpIdleTimeoutMs: number;
  /** UDP sessions one frontend may hold; the least recently used is dropped beyond it. */
  maxUdpSessionsPerFrontend: number;
}

/** The limits that do not depend on the process (the connection limits come from its open-file limit). */
export const DEFAULT_LIMITS: Omit<DataPlaneLimits, 'maxConnections' | 'maxConnectionsPerService'> = {
  dialTimeoutsMs: [1200, 2500, 5000],
  udpIdleTimeoutMs: 30_000,
  maxUdpSessionsPerFrontend: 1024,
};

/** Client addresses arrive IPv4-mapped on dual-stack sockets. */
export function plainIP(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
