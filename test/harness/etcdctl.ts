import { spawnSync } from 'node:child_process';

export interface EtcdctlResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function hasEtcdctl(): boolean {
  return spawnSync('etcdctl', ['version'], { env: { ...process.env, ETCDCTL_API: '3' } }).status === 0;
}

/** Runs Debian's etcdctl (3.4) against the given endpoints; never throws on a non-zero exit. */
export function etcdctl(endpoints: string[], args: string[], opts: { input?: string; timeoutMs?: number } = {}): EtcdctlResult {
  const r = spawnSync('etcdctl', ['--endpoints', endpoints.join(','), '--command-timeout=10s', ...args], {
    env: { ...process.env, ETCDCTL_API: '3' },
    input: opts.input,
    timeout: opts.timeoutMs ?? 30_000,
    encoding: 'utf8',
  });
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
