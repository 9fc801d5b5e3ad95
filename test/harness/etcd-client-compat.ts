import { spawn, type ChildProcess } from 'node:child_process';
import type { ServiceError } from '@grpc/grpc-js';
import type { EtcdctlResult } from './etcdctl.js';

/**
 * Helpers for client-compatibility tests: etcdctl run without blocking the event loop
 * (needed while a test also holds gRPC streams), a long-running `etcdctl watch` whose
 * output is collected until a condition holds, and a promise wrapper for grpc-js unary
 * calls. Every child started here is killed by its PID when the helper returns.
 */

const etcdctlEnv = (): NodeJS.ProcessEnv => ({ ...process.env, ETCDCTL_API: '3' });

function baseArgs(endpoints: string[], args: string[]): string[] {
  return ['--endpoints', endpoints.join(','), '--command-timeout=10s', ...args];
}

/** Runs etcdctl asynchronously; never rejects on a non-zero exit. Killed after timeoutMs. */
export function etcdctlAsync(endpoints: string[], args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<EtcdctlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('etcdctl', baseArgs(endpoints, args), { env: etcdctlEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => killChild(child), opts.timeoutMs ?? 30_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ status: code ?? -1, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

function killChild(child: ChildProcess): void {
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/**
 * A long-running etcdctl command (`watch`, `lock`, ...). Output accumulates in `stdout`;
 * `until` waits (bounded) for a condition on it; `stop` kills the process by PID (SIGKILL
 * unless another signal is given, e.g. SIGINT for a graceful `lock` release) and returns
 * everything printed.
 */
export class EtcdctlChild {
  stdout = '';
  stderr = '';
  private readonly child: ChildProcess;
  private readonly closed: Promise<void>;
  private waiters: Array<() => void> = [];

  constructor(endpoints: string[], args: string[]) {
    this.child = spawn('etcdctl', baseArgs(endpoints, args), { env: etcdctlEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      this.stdout += d;
      this.notify();
    });
    this.child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.closed = new Promise((resolve) => this.child.on('close', () => resolve()));
    void this.closed.then(() => this.notify());
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves true once cond(stdout) holds; false if the process exits or timeoutMs passes first. */
  async until(cond: (stdout: string) => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (cond(this.stdout)) return true;
      const left = deadline - Date.now();
      if (left <= 0 || !this.running) return cond(this.stdout);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves with the exit code once the process has exited (null if killed by a signal). */
  async exited(): Promise<number | null> {
    await this.closed;
    return this.child.exitCode;
  }

  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<{ stdout: string; stderr: string }> {
    if (signal !== 'SIGKILL' && this.running) {
      this.child.kill(signal);
      const timer = setTimeout(() => killChild(this.child), 5000);
      await this.closed;
      clearTimeout(timer);
    }
    killChild(this.child);
    await this.closed;
    return { stdout: this.stdout, stderr: this.stderr };
  }
}

/** A running `etcdctl watch ARGS...`. */
export class EtcdctlWatch extends EtcdctlChild {
  constructor(endpoints: string[], args: string[]) {
    super(endpoints, ['watch', ...args]);
  }
}

/** A grpc-js unary call as a promise: `await grpcUnary<Res>((cb) => client.put(req, cb))`. */
export function grpcUnary<Res>(start: (cb: (err: ServiceError | null, res?: Res) => void) => void): Promise<Res> {
  return new Promise((resolve, reject) =>
    start((err, res) => {
      if (err) reject(err);
      else if (res === undefined) reject(new Error('grpc call returned neither error nor response'));
      else resolve(res);
    }),
  );
}

/** Polls `probe` until it returns a value other than undefined, or throws after timeoutMs. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastErr });
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
