// Faults for the local cluster: every target is an OS process recorded in
// <state-dir>/processes.json by `kemu up`, and a fault is a signal.
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { signalRecordedPodProcesses } from '@kemu/node-agent';
import { isAlive, processState, readProcesses, startProcess, waitReady, writeProcesses, type ProcessRecord } from '../processes.js';
import { FaultError, type FaultAction, type FaultDriver, type FaultOutcome } from './fault-driver.js';

export interface LocalFaultDriverOptions {
  stateDir: string;
  /** Targets that are node agents: their pods share their fate (the plan's node names). */
  nodeNames: readonly string[];
  /** How long a restarted process may take to answer /readyz. */
  readyTimeoutMs?: number;
  /** term: how long a process has to exit after SIGTERM before SIGKILL (default 10 s, as docker stop). */
  termGraceMs?: number;
}

const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 'es'}`;

/**
 * Signals for processes, and for a node agent the same signal for every pod process it
 * started: a node is a machine, and its pods live and die with it. `kemu down` still finds
 * pods whose agent was killed (signalRecordedPodProcesses), so nothing is left behind.
 */
export class LocalFaultDriver implements FaultDriver {
  readonly description = 'local processes (signals)';
  private readonly stateDir: string;
  private readonly nodes: ReadonlySet<string>;
  private readonly readyTimeoutMs: number;
  private readonly termGraceMs: number;

  constructor(o: LocalFaultDriverOptions) {
    this.stateDir = resolve(o.stateDir);
    this.nodes = new Set(o.nodeNames);
    this.readyTimeoutMs = o.readyTimeoutMs ?? 60_000;
    this.termGraceMs = o.termGraceMs ?? 10_000;
  }

  targets(): string[] {
    return readProcesses(this.stateDir).map((r) => r.name);
  }

  /** kemu up places only nodes in zones; the control plane runs outside them. */
  zoneMembers(): Promise<Map<string, string[]>> {
    return Promise.resolve(new Map<string, string[]>());
  }

  async kill(target: string): Promise<FaultOutcome> {
    const rec = this.record(target);
    const was = processState(rec);
    const live = was === 'running' || was === 'stopped';
    if (live) process.kill(rec.pid, 'SIGKILL');
    const pods = this.nodes.has(target) ? signalRecordedPodProcesses(this.nodeRoot(target), 'SIGKILL') : 0;
    await this.waitGone(rec);
    const what = live ? `SIGKILL ${target} (pid ${rec.pid})` : `${target} (pid ${rec.pid}) was not running`;
    return this.outcome('kill', target, this.nodes.has(target) ? `${what}; SIGKILL ${plural(pods, 'pod process')} of the node` : what);
  }

  /** SIGTERM, as `docker stop`: SIGKILL if still alive after the grace period. A node agent stops its pods on the way out (--stop-pods-on-exit). */
  async term(target: string): Promise<FaultOutcome> {
    const rec = this.record(target);
    const state = processState(rec);
    if (state === 'stopped') process.kill(rec.pid, 'SIGCONT');
    if (state !== 'running' && state !== 'stopped') return this.outcome('term', target, `${target} (pid ${rec.pid}) was not running`);
    const t0 = Date.now();
    process.kill(rec.pid, 'SIGTERM');
    try {
      await this.waitGone(rec, this.termGraceMs, 'SIGTERM');
      return this.outcome('term', target, `SIGTERM ${target} (pid ${rec.pid}): exited after ${((Date.now() - t0) / 1_000).toFixed(1)} s`);
    } catch {
      process.kill(rec.pid, 'SIGKILL');
      const pods = this.nodes.has(target) ? signalRecordedPodProcesses(this.nodeRoot(target), 'SIGKILL') : 0;
      await this.waitGone(rec);
      return this.outcome('term', target, `SIGTERM ${target} (pid ${rec.pid}), still running after ${this.termGraceMs / 1_000} s: SIGKILL${this.nodes.has(target) ? ` with ${plural(pods, 'pod process')}` : ''}`);
    }
  }

  async stop(target: string): Promise<FaultOutcome> {
    return this.freeze('stop', target, 'SIGSTOP');
  }

  async cont(target: string): Promise<FaultOutcome> {
    return this.freeze('cont', target, 'SIGCONT');
  }

  /** Kills (a node: reboots, its pods die too) and starts the same command again; resolves when ready. */
  async restart(target: string): Promise<FaultOutcome> {
    const old = this.record(target);
    const wasLive = ['running', 'stopped'].includes(processState(old));
    const killed = await this.kill(target);
    const rec = startProcess(this.stateDir, { name: old.name, command: old.command, args: old.args, opsUrl: old.opsUrl });
    // Invariant: processes.json names each process once, with its current pid (kemu down reads it).
    writeProcesses(
      this.stateDir,
      readProcesses(this.stateDir).map((r) => (r.name === target ? rec : r)),
    );
    try {
      await waitReady(rec.opsUrl, this.readyTimeoutMs, () => isAlive(rec));
    } catch (err) {
      throw new FaultError(`${target} restarted (pid ${rec.pid}) but did not become ready: ${(err as Error).message} (log: ${rec.logFile})`, { cause: err });
    }
    // A process that was already dead needs no word about killing it (its node's pods are named if any were found).
    const before = wasLive || / [1-9]\d* pod process/.test(killed.detail) ? `${killed.detail}; ` : '';
    return this.outcome('restart', target, `${before}started ${target} again (pid ${rec.pid}), ready`);
  }

  partition(target: string): Promise<FaultOutcome> {
    return Promise.reject(this.noNetwork(target));
  }

  unpartition(target: string): Promise<FaultOutcome> {
    return Promise.reject(this.noNetwork(target));
  }

  private noNetwork(target: string): FaultError {
    return new FaultError(`cannot partition ${target}: local processes share one loopback; partitions need the container mode (one network namespace per process)`);
  }

  private async freeze(action: 'stop' | 'cont', target: string, signal: 'SIGSTOP' | 'SIGCONT'): Promise<FaultOutcome> {
    const rec = this.record(target);
    const state = processState(rec);
    if (state === 'gone' || state === 'zombie') throw new FaultError(`${target} (pid ${rec.pid}) is not running`);
    // A frozen machine: the agent first, then its pods; a thawed one: pods first, then the agent.
    if (signal === 'SIGSTOP') process.kill(rec.pid, signal);
    const n = this.nodes.has(target) ? signalRecordedPodProcesses(this.nodeRoot(target), signal) : 0;
    if (signal === 'SIGCONT') process.kill(rec.pid, signal);
    const what = `${signal} ${target} (pid ${rec.pid})`;
    return this.outcome(action, target, this.nodes.has(target) ? `${what} and ${plural(n, 'pod process')} of the node` : what);
  }

  private record(target: string): ProcessRecord {
    const records = readProcesses(this.stateDir);
    const rec = records.find((r) => r.name === target);
    if (!rec) {
      const known = records.map((r) => r.name).join(', ');
      throw new FaultError(
        known
          ? `no process named "${target}" in ${join(this.stateDir, 'processes.json')} (known: ${known}, etcd-leader, controller-manager-active)`
          : `no processes recorded in ${this.stateDir}: start a cluster with kemu up (or pass --state-dir)`,
      );
    }
    return rec;
  }

  private nodeRoot(node: string): string {
    return join(this.stateDir, 'nodes', node);
  }

  /** Signals are asynchronous: its ports are free once the process is gone (or a zombie). */
  private async waitGone(rec: ProcessRecord, timeoutMs = 10_000, signal = 'SIGKILL'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!isAlive(rec)) return;
      await sleep(20);
    }
    throw new FaultError(`pid ${rec.pid} is still alive ${timeoutMs / 1_000} s after ${signal}`);
  }

  private outcome(action: FaultAction, target: string, detail: string): FaultOutcome {
    return { action, target, detail };
  }
}
