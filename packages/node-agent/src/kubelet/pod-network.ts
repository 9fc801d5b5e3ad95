import { execFile } from 'node:child_process';
import type { Logger } from '@kemu/common';

/**
 * Makes a pod IP usable on the node. Local mode needs nothing: every 127/8 address is
 * bindable on Linux. Container mode adds the pod IP to `lo` (`ip addr add <ip>/32 dev
 * lo`), routed to this node by the other agents host-gw style.
 */
export interface PodNetwork {
  setUp(ip: string): Promise<void>;
  tearDown(ip: string): Promise<void>;
}

export type NetworkMode = 'local' | 'container';

export class PodNetworkError extends Error {
  override readonly name = 'PodNetworkError';
}

export function podNetwork(mode: NetworkMode, log: Logger): PodNetwork {
  switch (mode) {
    case 'local':
      return { setUp: async () => undefined, tearDown: async () => undefined };
    case 'container':
      return new LoopbackAliasNetwork(log);
  }
}

export class LoopbackAliasNetwork implements PodNetwork {
  constructor(
    private readonly log: Logger,
    private readonly ipCommand = 'ip',
  ) {}

  async setUp(ip: string): Promise<void> {
    const r = await run(this.ipCommand, ['addr', 'add', `${ip}/32`, 'dev', 'lo']);
    if (r.ok || /File exists/i.test(r.stderr)) return;
    throw new PodNetworkError(`pod network: ip addr add ${ip}/32 dev lo: ${r.stderr.trim() || r.error}`);
  }

  async tearDown(ip: string): Promise<void> {
    const r = await run(this.ipCommand, ['addr', 'del', `${ip}/32`, 'dev', 'lo']);
    if (r.ok || /Cannot assign requested address/i.test(r.stderr)) return;
    this.log.warn({ ip, stderr: r.stderr.trim(), err: r.error }, 'pod network: could not remove pod IP from lo');
  }
}

function run(file: string, args: string[]): Promise<{ ok: boolean; stderr: string; error: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 10_000 }, (err, _stdout, stderr) => {
      resolve({ ok: !err, stderr: String(stderr), error: err ? err.message : '' });
    });
  });
}
