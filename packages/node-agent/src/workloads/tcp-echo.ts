import { createServer, type Socket } from 'node:net';
import { describeIdentity, formatHostPort } from './pod-identity.js';
import { listenTcp, type ServingWorkload, type WorkloadBase } from './workload.js';

export interface TcpEchoOptions extends WorkloadBase {
  host: string;
  /** 0 picks a free port. */
  port: number;
}

const WHOAMI = Buffer.from('WHOAMI\n');

/**
 * `kemu/tcp-echo`: echoes every byte back. Half-close is honoured: when the client ends
 * its side, the echo of everything received is written and then our side is ended.
 * A connection whose first bytes are exactly `WHOAMI\n` gets `<pod> <podIP>\n` in their
 * place and is echoed from there on.
 */
export async function startTcpEcho(opts: TcpEchoOptions): Promise<ServingWorkload> {
  const whoamiReply = Buffer.from(`${opts.identity.pod} ${opts.identity.podIP}\n`);
  const sockets = new Set<Socket>();

  const server = createServer({ allowHalfOpen: true, noDelay: true }, (sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    // Invariant: `prefix` holds the bytes received so far while they are still a proper
    // prefix of WHOAMI\n; it is undefined once the connection is a plain echo.
    let prefix: Buffer | undefined = Buffer.alloc(0);
    const send = (buf: Buffer): void => {
      if (buf.length > 0 && !sock.write(buf)) sock.pause();
    };
    sock.on('drain', () => sock.resume());
    sock.on('data', (chunk: Buffer) => {
      if (prefix === undefined) return send(chunk);
      const seen = Buffer.concat([prefix, chunk]);
      const n = Math.min(seen.length, WHOAMI.length);
      if (!seen.subarray(0, n).equals(WHOAMI.subarray(0, n))) {
        prefix = undefined;
        return send(seen);
      }
      if (seen.length < WHOAMI.length) {
        prefix = seen;
        return;
      }
      prefix = undefined;
      send(whoamiReply);
      send(seen.subarray(WHOAMI.length));
    });
    sock.on('end', () => {
      if (prefix !== undefined) send(prefix);
      prefix = undefined;
      sock.end();
    });
  });
  const address = await listenTcp(server, opts.host, opts.port);
  opts.log(`tcp-echo: listening on ${formatHostPort(address.address, address.port)} (${describeIdentity(opts.identity)})`);

  let closed: Promise<void> | undefined;
  return {
    address,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      })),
  };
}
