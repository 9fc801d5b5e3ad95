import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, openSync, closeSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { etcdserverpb } from '@kemu/api';
import { planEtcdCluster, type EtcdMemberPlan } from '@kemu/etcd';
import { fetchText } from '@kemu/common/fetch';

// Resolved through the workspace link so compiled tests run from any out dir inside the repo.
const ETCD_MAIN = new URL('./main.js', import.meta.resolve('@kemu/etcd')).pathname;

export interface EtcdTestClusterOptions {
  /** First three octets of this cluster's loopback block, unique per test file (e.g. 127.21.0). */
  ipPrefix: string;
  size?: number;
  heartbeatMs?: number;
  electionMs?: number;
  snapshotCount?: number;
  snapshotCatchupEntries?: number;
  extraArgs?: string[];
}

export interface RunningMember {
  plan: EtcdMemberPlan;
  /** host:port of the client API. */
  endpoint: string;
  proc: ChildProcess | undefined;
  logFile: string;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) if (p.pid && p.exitCode === null) p.kill('SIGKILL');
});

/**
 * A real three-member kemu etcd cluster for tests: separate OS processes on a loopback
 * block of the test's own, data in a temp dir, fault injection enabled. Every process it
 * starts is tracked by PID and killed by destroy() (and on exit of the test process).
 */
export class EtcdTestCluster {
  readonly members: RunningMember[];
  readonly dir: string;

  private constructor(
    readonly opts: EtcdTestClusterOptions,
    dir: string,
  ) {
    this.dir = dir;
    const plan = planEtcdCluster({
      stateDir: dir,
      size: opts.size ?? 3,
      ipPrefix: opts.ipPrefix,
      heartbeatMs: opts.heartbeatMs ?? 50,
      electionMs: opts.electionMs ?? 500,
      extraArgs: [
        '--enable-fault-injection',
        '--snapshot-count', String(opts.snapshotCount ?? 10000),
        '--snapshot-catchup-entries', String(opts.snapshotCatchupEntries ?? 5000),
        ...(opts.extraArgs ?? []),
      ],
    });
    this.members = plan.map((p) => ({ plan: p, endpoint: p.clientUrl.replace('http://', ''), proc: undefined, logFile: join(dir, `${p.name}.log`) }));
  }

  static async start(opts: EtcdTestClusterOptions): Promise<EtcdTestCluster> {
    const c = new EtcdTestCluster(opts, mkdtempSync(join(tmpdir(), 'kemu-etcd-')));
    for (const m of c.members) c.spawn(m);
    await c.waitReady();
    return c;
  }

  member(name: string): RunningMember {
    const m = this.members.find((x) => x.plan.name === name);
    if (!m) throw new Error(`no member ${name}`);
    return m;
  }

  endpoints(): string[] {
    return this.members.map((m) => m.endpoint);
  }

  private spawn(m: RunningMember): void {
    const fd = openSync(m.logFile, 'a');
    const proc = spawn(process.execPath, [ETCD_MAIN, ...m.plan.args], { stdio: ['ignore', fd, fd], env: { ...process.env, KEMU_LOG_LEVEL: process.env['KEMU_LOG_LEVEL'] ?? 'info' } });
    closeSync(fd);
    live.add(proc);
    proc.on('exit', () => live.delete(proc));
    m.proc = proc;
  }

  /** Starts a member that was killed or stopped; it resumes from its data dir. */
  restart(name: string): void {
    const m = this.member(name);
    if (m.proc && m.proc.exitCode === null && m.proc.signalCode === null) throw new Error(`${name} is still running`);
    this.spawn(m);
  }

  /** Sends a signal to a member and, for SIGKILL/SIGTERM, waits until it has exited. */
  async signal(name: string, sig: NodeJS.Signals): Promise<void> {
    const p = this.member(name).proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill(sig);
    if (sig === 'SIGKILL' || sig === 'SIGTERM') await exited;
  }

  kill(name: string): Promise<void> {
    return this.signal(name, 'SIGKILL');
  }

  isRunning(name: string): boolean {
    const p = this.member(name).proc;
    return !!p && p.exitCode === null && p.signalCode === null;
  }

  /** Partitions `name` from every other member (both directions), through fault injection. */
  async partition(name: string): Promise<void> {
    const others = this.members.filter((m) => m.plan.name !== name).map((m) => m.plan.name);
    await this.setFaults(name, others);
    for (const o of others) await this.setFaults(o, [name]);
  }

  async heal(): Promise<void> {
    for (const m of this.members) if (this.isRunning(m.plan.name)) await this.setFaults(m.plan.name, []);
  }

  async setFaults(name: string, dropPeers: string[], delayMs = 0): Promise<void> {
    const res = await fetchText(`${this.member(name).plan.metricsUrl}/debug/faults`, 2000, { method: 'POST', body: JSON.stringify({ dropPeers, delayMs }) });
    if (!res.ok) throw new Error(`fault injection on ${name} failed: ${res.text}`);
  }

  async status(name: string, timeoutMs = 1000): Promise<etcdserverpb.StatusResponse> {
    const client = new etcdserverpb.MaintenanceClient(this.member(name).endpoint, credentials.createInsecure());
    try {
      return await new Promise((resolve, reject) =>
        client.status({}, new Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res))),
      );
    } finally {
      client.close();
    }
  }

  /** The name of the member that every reachable running member agrees is leader. */
  async leader(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const m of this.members) {
        if (!this.isRunning(m.plan.name)) continue;
        try {
          const s = await this.status(m.plan.name, 500);
          if (s.leader !== 0n && s.header && s.leader === s.header.memberId) return m.plan.name;
        } catch {
          /* not reachable yet */
        }
      }
      await sleep(50);
    }
    throw new Error(`no leader within ${timeoutMs} ms`);
  }

  async waitReady(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const m of this.members) {
      if (!this.isRunning(m.plan.name)) continue;
      for (;;) {
        if (!this.isRunning(m.plan.name)) throw new Error(`${m.plan.name} exited:\n${this.tail(m.plan.name)}`);
        try {
          const res = await fetchText(`${m.plan.metricsUrl}/readyz`, 500);
          if (res.ok) break;
        } catch {
          /* not listening yet */
        }
        if (Date.now() > deadline) throw new Error(`${m.plan.name} not ready after ${timeoutMs} ms:\n${this.tail(m.plan.name)}`);
        await sleep(50);
      }
    }
  }

  /** Waits until one member is ready (e.g. after restart). */
  async waitMemberReady(name: string, timeoutMs = 20_000): Promise<void> {
    const m = this.member(name);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.isRunning(name)) throw new Error(`${name} exited:\n${this.tail(name)}`);
      try {
        const res = await fetchText(`${m.plan.metricsUrl}/readyz`, 500);
        if (res.ok) return;
      } catch {
        /* not yet */
      }
      if (Date.now() > deadline) throw new Error(`${name} not ready after ${timeoutMs} ms:\n${this.tail(name)}`);
      await sleep(50);
    }
  }

  tail(name: string, lines = 30): string {
    try {
      return readFileSync(this.member(name).logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  async destroy(): Promise<void> {
    await Promise.all(this.members.map((m) => this.kill(m.plan.name)));
    if (!process.env['KEMU_KEEP_TEST_DATA']) rmSync(this.dir, { recursive: true, force: true });
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
