import { connect } from 'node:net';

/**
 * One DNS message over a fresh TCP connection (RFC 1035 4.2.2: a two-octet length before
 * each message): resolves with the first whole reply, rejects on a connect error, a
 * timeout or a connection closed before a whole reply.
 */
export function tcpExchange(server: { host: string; port: number }, packet: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: server.host, port: server.port });
    let buf = Buffer.alloc(0);
    const fail = (err: Error): void => {
      s.destroy();
      reject(err);
    };
    s.setTimeout(timeoutMs, () => fail(new Error(`TCP: timed out after ${timeoutMs} ms`)));
    s.on('error', fail);
    s.on('connect', () => {
      const frame = Buffer.allocUnsafe(2 + packet.length);
      frame.writeUInt16BE(packet.length, 0);
      packet.copy(frame, 2);
      s.write(frame);
    });
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        s.destroy();
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      }
    });
    s.on('close', () => reject(new Error('TCP: connection closed before a whole reply')));
  });
}
