import { request } from 'node:http';
import { createSocket } from 'node:dgram';

export interface EchoAnswer {
  pod: string;
  podIP: string;
  node: string;
  client: string;
}

/** One GET on a fresh connection (no keep-alive), so every request is a new proxy decision. */
export function getEcho(host: string, port: number, opts: { localAddress?: string; timeoutMs?: number; path?: string } = {}): Promise<EchoAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: opts.path ?? '/', agent: false, localAddress: opts.localAddress, timeout: opts.timeoutMs ?? 3000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`${host}:${port}: HTTP ${res.statusCode}`));
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString()) as EchoAnswer);
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${host}:${port}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** `n` sequential requests; how many each pod answered, and the failures by message. */
export async function spread(host: string, port: number, n: number, opts: { localAddress?: string } = {}): Promise<{ byPod: Map<string, number>; failures: string[] }> {
  const byPod = new Map<string, number>();
  const failures: string[] = [];
  for (let i = 0; i < n; i++) {
    try {
      const a = await getEcho(host, port, opts);
      byPod.set(a.pod, (byPod.get(a.pod) ?? 0) + 1);
    } catch (err) {
      failures.push((err as Error).message);
    }
  }
  return { byPod, failures };
}

/** One UDP round trip; rejects after timeoutMs without an answer. */
export function udpAsk(host: string, port: number, payload: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error(`udp ${host}:${port}: no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m.toString());
    });
    s.on('error', (err) => {
      clearTimeout(timer);
      s.close();
      reject(err);
    });
    s.send(payload, port, host);
  });
}
