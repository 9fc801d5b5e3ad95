// @ts-check
// The two clusters under test, started the same way: three member processes on a loopback
// block of their own (kemu 127.31.1.x, etcd 127.31.0.x), client port 2379, peer port 2380,
// heartbeat 100 ms, election timeout 1000 ms, data in a fresh temp dir, logs to files there.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planEtcdCluster } from '@kemu/etcd';
import { track, trackDir, removeDir } from './processes.mjs';

export const ETCD_BIN = '/usr/bin/etcd';
const KEMU_MAIN = new URL('./main.js', import.meta.resolve('@kemu/etcd')).pathname;

export const HEARTBEAT_MS = 100;
export const ELECTION_MS = 1000;

/**
 * @typedef {object} BenchMember
 * @property {string} name
 * @property {string} endpoint host:port of the client API
 * @property {string} command
 * @property {string[]} args
 * @property {string} logFile
 * @property {import('node:child_process').ChildProcess | undefined} proc
 */

export class BenchCluster {
  /**
   * @param {'kemu' | 'etcd'} kind
   * @param {string} label what the report calls it, e.g. "etcd 3.4.23"
   * @param {string} dir
   * @param {BenchMember[]} members
   * @param {NodeJS.ProcessEnv} env
   */
  constructor(kind, label, dir, members, env) {
    this.kind = kind;
    this.label = label;
    this.dir = dir;
    this.members = members;
    this.env = env;
  }

  endpoints() {
    return this.members.map((m) => m.endpoint);
  }

  /** @param {number} i */
  spawn(i) {
    const m = this.member(i);
    const fd = openSync(m.logFile, 'a');
    const proc = spawn(m.command, m.args, { stdio: ['ignore', fd, fd], env: this.env });
    closeSync(fd);
    track(proc);
    m.proc = proc;
  }

  startAll() {
    for (let i = 0; i < this.members.length; i++) this.spawn(i);
  }

  /** @param {number} i */
  member(i) {
    const m = this.members[i];
    if (!m) throw new Error(`no member #${i}`);
    return m;
  }

  /** @param {number} i */
  isRunning(i) {
    const p = this.member(i).proc;
    return !!p && p.exitCode === null && p.signalCode === null;
  }

  /** @param {number} i */
  pid(i) {
    return this.isRunning(i) ? this.member(i).proc?.pid : undefined;
  }

  /**
   * Sends `sig` and waits (bounded) until the process has exited.
   * @param {number} i
   * @param {NodeJS.Signals} sig
   * @param {number} [timeoutMs]
   */
  async stop(i, sig, timeoutMs = 15_000) {
    const p = this.member(i).proc;
    if (!p || !this.isRunning(i)) return;
    const exited = new Promise((resolve) => p.once('exit', resolve));
    p.kill(sig);
    const timer = new Promise((resolve) => setTimeout(resolve, timeoutMs).unref());
    await Promise.race([exited, timer]);
    if (this.isRunning(i)) {
      p.kill('SIGKILL');
      await exited;
    }
  }

  /** kill -9 @param {number} i */
  kill(i) {
    return this.stop(i, 'SIGKILL');
  }

  /** Starts a member that was killed; it resumes from its data dir. @param {number} i */
  restart(i) {
    if (this.isRunning(i)) throw new Error(`${this.member(i).name} is still running`);
    this.spawn(i);
  }

  /** @param {number} i @param {number} [lines] */
  tail(i, lines = 20) {
    try {
      return readFileSync(this.member(i).logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Kills every member by PID and removes the data dir. */
  async destroy() {
    await Promise.all(this.members.map((_, i) => this.kill(i)));
    removeDir(this.dir);
  }
}

/**
 * kemu's members, built by planEtcdCluster exactly as `kemu up` builds them.
 * @param {{ extraNodeArgs?: string[] }} [o] extra flags for node itself (e.g. --cpu-prof)
 */
export function kemuCluster(o = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'kemu-bench-kemu-'));
  trackDir(dir);
  const plan = planEtcdCluster({
    stateDir: dir,
    ipPrefix: '127.31.1',
    token: 'kemu-bench',
    heartbeatMs: HEARTBEAT_MS,
    electionMs: ELECTION_MS,
  });
  const members = plan.map((p) => ({
    name: p.name,
    endpoint: `${p.ip}:2379`,
    command: process.execPath,
    args: [...(o.extraNodeArgs ?? []), KEMU_MAIN, ...p.args],
    logFile: join(dir, `${p.name}.log`),
    proc: undefined,
  }));
  const env = { ...process.env, KEMU_LOG_LEVEL: process.env['KEMU_LOG_LEVEL'] ?? 'info' };
  return new BenchCluster('kemu', 'kemu', dir, members, env);
}

/** Real etcd 3.4 (Debian's etcd-server), three members with the same timing flags. */
export function etcdCluster() {
  const dir = mkdtempSync(join(tmpdir(), 'kemu-bench-etcd-'));
  trackDir(dir);
  const ips = ['127.31.0.1', '127.31.0.2', '127.31.0.3'];
  const names = ips.map((_, i) => `etcd-${i}`);
  const initialCluster = ips.map((ip, i) => `${names[i]}=http://${ip}:2380`).join(',');
  const members = ips.map((ip, i) => {
    const name = names[i] ?? `etcd-${i}`;
    return {
      name,
      endpoint: `${ip}:2379`,
      command: ETCD_BIN,
      args: [
        '--name', name,
        '--data-dir', join(dir, name),
        '--listen-client-urls', `http://${ip}:2379`,
        '--advertise-client-urls', `http://${ip}:2379`,
        '--listen-peer-urls', `http://${ip}:2380`,
        '--initial-advertise-peer-urls', `http://${ip}:2380`,
        '--initial-cluster', initialCluster,
        '--initial-cluster-state', 'new',
        '--initial-cluster-token', 'etcd-bench',
        '--heartbeat-interval', String(HEARTBEAT_MS),
        '--election-timeout', String(ELECTION_MS),
        '--logger', 'zap',
        '--log-outputs', 'stderr',
      ],
      logFile: join(dir, `${name}.log`),
      proc: undefined,
    };
  });
  // ETCD_* variables would override the flags above; start from an environment without them.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETCD_')));
  return new BenchCluster('etcd', `etcd ${etcdVersion() ?? '?'}`, dir, members, env);
}

/** "3.4.23", or undefined when Debian's etcd-server is not installed. */
export function etcdVersion() {
  if (!existsSync(ETCD_BIN)) return undefined;
  try {
    const out = execFileSync(ETCD_BIN, ['--version'], { encoding: 'utf8', timeout: 5000 });
    return /etcd Version:\s*(\S+)/.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

// Shared with the control-plane benchmark.
export { rssKiB, cpuMs } from '../proc-stats.mjs';
