// Test support (not used at run time): runs a workload as a real child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { WORKLOAD_MAIN, type WorkloadName } from './workload-image.js';

/** This folder's loopback block; each test file takes its own host in it. */
export const TEST_NET = '127.77.1';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const running = new Set<WorkloadProcess>();

/** One workload child process with its stdout kept as lines and stderr as text. */
export class WorkloadProcess {
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<Exit>;
  private waiters: Array<() => void> = [];

  private constructor(private readonly child: ChildProcess) {
    running.add(this);
    this.exited = new Promise<Exit>((resolve) => {
      child.on('exit', (code, signal) => {
        running.delete(this);
        resolve({ code, signal });
      });
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      this.lines.push(line);
      this.wake();
    });
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    void this.exited.then(() => this.wake());
  }

  /** Spawns `node main.js <workload> ...args` with the pod environment `env` (nothing inherited but PATH). */
  static spawn(workload: WorkloadName, args: string[], env: Record<string, string> = {}): WorkloadProcess {
    const child = spawn(process.execPath, [WORKLOAD_MAIN, workload, ...args], {
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new WorkloadProcess(child);
  }

  /** Spawns a server workload and waits for its `listening on host:port` line. */
  static async listen(
    workload: WorkloadName,
    args: string[],
    env: Record<string, string>,
  ): Promise<{ proc: WorkloadProcess; host: string; port: number }> {
    const proc = WorkloadProcess.spawn(workload, args, env);
    const line = await proc.waitForLine((l) => l.includes('listening on'));
    const m = / listening on (\S+):(\d+) /.exec(line);
    if (!m) throw new Error(`no address in ${JSON.stringify(line)}`);
    return { proc, host: m[1]!, port: Number(m[2]) };
  }

  get pid(): number {
    return this.child.pid!;
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  /** Resolves with the first stdout line (from the start) matching `pred`. */
  async waitForLine(pred: (line: string) => boolean, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(pred);
      if (found !== undefined) return found;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`process exited (${this.child.exitCode ?? this.child.signalCode}) before the line; stderr: ${this.stderr}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for a line; stdout: ${this.lines.join('\n')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Stdout lines parsed as JSON objects (lines that are not JSON are skipped). */
  jsonLines(): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = [];
    for (const l of this.lines) {
      try {
        out.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        // not a JSON line
      }
    }
    return out;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/** Kills every workload process still running (for `after` hooks). */
export async function killAllWorkloads(): Promise<void> {
  const procs = [...running];
  for (const p of procs) p.signal('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
}
