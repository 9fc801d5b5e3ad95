import type { AddressInfo, Server } from 'node:net';
import type { PodIdentity } from './pod-identity.js';

/** Where a workload writes its human-facing lines (stdout when it runs as a process). */
export type LogLine = (line: string) => void;

/** What every workload's start function needs besides its own flags. */
export interface WorkloadBase {
  identity: PodIdentity;
  log: LogLine;
}

/**
 * A started server workload. Contract of `close`: stops accepting, destroys open
 * connections (idle keep-alive ones included) and resolves once the socket is closed,
 * so a SIGTERM can be honoured within a second.
 */
export interface ServingWorkload {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

/**
 * Accept queue of the built-in servers: a burst through a proxy (thousands of connects at
 * once) overflows Node's default of 511, and every dropped SYN costs the client a 1 s
 * retransmission. The kernel caps it at net.core.somaxconn.
 */
const LISTEN_BACKLOG = 4096;

/** Listens (node:http and node:net servers alike); resolves with the address, rejects on EADDRINUSE and the like. */
export function listenTcp(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
