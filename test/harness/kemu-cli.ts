import { spawn, spawnSync } from 'node:child_process';
import { procStat } from '@kemu/node-agent';

/** The `kemu` command's entry point, run with this Node as a user would run it. */
export const KEMU_CLI = new URL('./main.js', import.meta.resolve('@kemu/cli')).pathname;

export interface KemuRun {
  /** Exit code; -1 when it was killed (timeout) or did not start. */
  status: number;
  stdout: string;
  stderr: string;
  /** stdout then stderr, for assertion messages. */
  out: string;
}

/** Runs `kemu ARGS` to completion, killed after `timeoutMs`, with optional stdin. */
export function kemu(args: readonly string[], o: { input?: string; timeoutMs?: number } = {}): Promise<KemuRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [KEMU_CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 120_000);
    child.on('error', (err) => (stderr += `\n${err.message}`));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ status: code ?? -1, stdout, stderr, out: stdout + stderr });
    });
    child.stdin.end(o.input ?? '');
  });
}

/** The same, blocking (for tests that check process states between steps). */
export function kemuSync(args: readonly string[], timeoutMs = 120_000): KemuRun {
  const r = spawnSync(process.execPath, [KEMU_CLI, ...args], { encoding: 'utf8', timeout: timeoutMs });
  const stderr = `${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}`;
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr, out: `${r.stdout ?? ''}${stderr}` };
}

/** A process as kemu records it (processes.json, a pod's state.json): pids are recycled, so the start time comes with it. */
export interface RecordedProcess {
  pid: number;
  startTicks?: string;
}

/** Whether the recorded process still runs: same pid, same start time, not a zombie. */
export function processAlive(p: RecordedProcess): boolean {
  const s = procStat(p.pid);
  return s !== undefined && (p.startTicks === undefined || s.startTicks === p.startTicks) && s.state !== 'Z' && s.state !== 'X';
}

/** SIGKILLs the recorded process if it still runs (never a later process that got its pid). */
export function killIfAlive(p: RecordedProcess): void {
  if (processAlive(p)) process.kill(p.pid, 'SIGKILL');
}
