import { createSocket } from 'node:dgram';
import { isIPv6, type AddressInfo } from 'node:net';
import { describeIdentity, formatHostPort } from './pod-identity.js';
import type { ServingWorkload, WorkloadBase } from './workload.js';

export interface UdpEchoOptions extends WorkloadBase {
  host: string;
  /** 0 picks a free port. */
  port: number;
}

/**
 * `kemu/udp-echo`: answers each datagram with its own payload, except `WHOAMI` (with or
 * without one trailing newline), which gets `<pod> <podIP>`.
 */
export async function startUdpEcho(opts: UdpEchoOptions): Promise<ServingWorkload> {
  const whoamiReply = Buffer.from(`${opts.identity.pod} ${opts.identity.podIP}`);
  const sock = createSocket(isIPv6(opts.host) ? 'udp6' : 'udp4');
  sock.on('message', (msg, from) => {
    const reply = isWhoami(msg) ? whoamiReply : msg;
    // A failed send (the peer's port gone) loses one datagram, as UDP may.
    sock.send(reply, from.port, from.address, () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind({ address: opts.host, port: opts.port }, () => {
      sock.off('error', reject);
      resolve();
    });
  });
  sock.on('error', (err) => opts.log(`udp-echo: socket error: ${err.message}`));
  const address: AddressInfo = sock.address();
  opts.log(`udp-echo: listening on ${formatHostPort(address.address, address.port)} (${describeIdentity(opts.identity)})`);

  let closed: Promise<void> | undefined;
  return {
    address,
    close: () => (closed ??= new Promise<void>((resolve) => sock.close(() => resolve()))),
  };
}

function isWhoami(msg: Buffer): boolean {
  const n = msg.length === 7 && msg[6] === 10 ? 6 : msg.length;
  return n === 6 && msg.toString('latin1', 0, 6) === 'WHOAMI';
}
