import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/** An address a process of the cluster will listen on. */
export interface ListenAddress {
  proto: 'tcp' | 'udp';
  host: string;
  port: number;
}

/** "127.0.2.1:6443" (TCP) or "127.0.4.1:1053/udp". */
export const formatListen = (a: ListenAddress): string => `${a.host}:${a.port}${a.proto === 'udp' ? '/udp' : ''}`;

/** host:port of an http:// URL or a bare host:port, as a TCP listen address. */
export function tcpListen(hostPortOrUrl: string): ListenAddress {
  const hp = hostPortOrUrl.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
  const i = hp.lastIndexOf(':');
  return { proto: 'tcp', host: hp.slice(0, i), port: Number(hp.slice(i + 1)) };
}

/**
 * Binds the address for a moment. Resolves undefined when it is free, else the error code
 * (EADDRINUSE, EADDRNOTAVAIL, EACCES, ...). A TCP listener held by anyone on the same
 * address or on the wildcard address makes the bind fail, as it will for the process.
 */
export function tryBind(a: ListenAddress, timeoutMs = 2000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const done = (code: string | undefined): void => {
      clearTimeout(timer);
      resolve(code);
    };
    const timer = setTimeout(() => resolve('ETIMEDOUT'), timeoutMs);
    if (a.proto === 'tcp') {
      const srv = createServer();
      srv.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
      srv.listen({ host: a.host, port: a.port, exclusive: true }, () => srv.close(() => done(undefined)));
    } else {
      const sock = createSocket('udp4');
      sock.once('error', (err: NodeJS.ErrnoException) => {
        sock.close();
        done(err.code ?? err.message);
      });
      sock.bind({ address: a.host, port: a.port, exclusive: true }, () => sock.close(() => done(undefined)));
    }
  });
}

export interface BusyAddress {
  process: string;
  address: ListenAddress;
  code: string;
}

/** The first planned address that cannot be bound, in the order given. */
export async function firstBusyAddress(planned: ReadonlyArray<{ name: string; listens: readonly ListenAddress[] }>): Promise<BusyAddress | undefined> {
  for (const p of planned) {
    for (const a of p.listens) {
      const code = await tryBind(a);
      if (code !== undefined) return { process: p.name, address: a, code };
    }
  }
  return undefined;
}

/** What the user reads when a process of the cluster cannot have its address. */
export function busyMessage(b: BusyAddress, stateDir: string): string {
  const addr = formatListen(b.address);
  switch (b.code) {
    case 'EADDRINUSE':
      return (
        `${b.process}: ${addr} is already in use (another kemu up? stop it with kemu down --state-dir <its dir>, ` +
        `or start this cluster (${stateDir}) on other addresses with --address-block 127.B and a new --state-dir)`
      );
    case 'EADDRNOTAVAIL':
      return `${b.process}: ${addr} is not an address of this machine (EADDRNOTAVAIL)`;
    case 'EACCES':
      return `${b.process}: ${addr} may not be bound by this user (EACCES)`;
    default:
      return `${b.process}: cannot bind ${addr} (${b.code})`;
  }
}

/**
 * The address a process's log says it could not bind ("listen EADDRINUSE: address
 * already in use 127.0.2.1:6443" from Node, or a gRPC "No address added out of total 1
 * resolved" with the address in the same line), for a process that died while starting.
 */
export function addressInUseFromLog(log: string): string | undefined {
  for (const line of log.split('\n').reverse()) {
    if (!/EADDRINUSE|address already in use/i.test(line)) continue;
    const m = /(\d{1,3}(?:\.\d{1,3}){3}:\d{1,5})/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}
