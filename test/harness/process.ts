import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { fetchText } from '@kemu/common/fetch';

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) if (p.pid && p.exitCode === null) p.kill('SIGKILL');
});

/**
 * One kemu process started by a test: node + script + args, output to a log file,
 * tracked by PID and killed when the test process exits. Can be killed and restarted
 * with the same arguments; readiness is its ops server's /readyz.
 */
export class TestProcess {
  proc: ChildProcess | undefined;

  constructor(
    readonly name: string,
    private readonly script: string,
    private readonly args: string[],
    readonly logFile: string,
    private readonly readyUrl: string,
    /** Options for node itself (before the script), e.g. heap sizes. */
    private readonly nodeOptions: readonly string[] = [],
  ) {}

  start(): this {
    if (this.running()) throw new Error(`${this.name} is still running`);
    const fd = openSync(this.logFile, 'a');
    const proc = spawn(process.execPath, [...this.nodeOptions, this.script, ...this.args], {
      stdio: ['ignore', fd, fd],
      env: { ...process.env, KEMU_LOG_LEVEL: process.env['KEMU_LOG_LEVEL'] ?? 'info' },
    });
    closeSync(fd);
    live.add(proc);
    proc.on('exit', () => live.delete(proc));
    this.proc = proc;
    return this;
  }

  running(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async signal(sig: NodeJS.Signals): Promise<void> {
    const p = this.proc;
    if (!p || !this.running()) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill(sig);
    if (sig === 'SIGKILL' || sig === 'SIGTERM') await exited;
  }

  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  async waitReady(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running()) throw new Error(`${this.name} exited:\n${this.tail()}`);
      try {
        const res = await fetchText(this.readyUrl, 500);
        if (res.ok) return;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error(`${this.name} not ready after ${timeoutMs} ms:\n${this.tail()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  tail(lines = 40): string {
    try {
      return readFileSync(this.logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}
