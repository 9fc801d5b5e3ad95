import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync, readSync, writeFileSync, existsSync, fstatSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { procStat } from '@kemu/node-agent';
import { fetchText } from '@kemu/common/fetch';

/** One kemu process started by the CLI, as recorded in <state-dir>/processes.json. */
export interface ProcessRecord {
  name: string;
  pid: number;
  command: string;
  args: string[];
  logFile: string;
  /** http://host:port of its /healthz, /readyz and /metrics. */
  opsUrl: string;
  /**
   * Its start time in clock ticks (/proc/<pid>/stat): with the pid, it names this process
   * and no later one that gets the same pid. Absent in records written before it was kept.
   */
  startTicks?: string;
}

/** What `ps` would say about a recorded process. */
export type ProcState = 'running' | 'stopped' | 'zombie' | 'gone';

/**
 * The state of a recorded process; 'gone' too when its pid now names another process.
 * Pids are recycled (pid_max is often 32768), so a pid alone must never be signalled.
 */
export function processState(r: Pick<ProcessRecord, 'pid' | 'startTicks'>): ProcState {
  const s = procStat(r.pid);
  if (!s || (r.startTicks !== undefined && s.startTicks !== r.startTicks)) return 'gone';
  if (s.state === 'T' || s.state === 't') return 'stopped';
  if (s.state === 'Z' || s.state === 'X') return 'zombie';
  return 'running';
}

const registryFile = (stateDir: string): string => join(stateDir, 'processes.json');

export function readProcesses(stateDir: string): ProcessRecord[] {
  const f = registryFile(stateDir);
  if (!existsSync(f)) return [];
  return JSON.parse(readFileSync(f, 'utf8')) as ProcessRecord[];
}

export function writeProcesses(stateDir: string, records: ProcessRecord[]): void {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(registryFile(stateDir), JSON.stringify(records, null, 2) + '\n');
}

/** Running or stopped: the recorded process has not exited. */
export function isAlive(r: Pick<ProcessRecord, 'pid' | 'startTicks'>): boolean {
  const s = processState(r);
  return s === 'running' || s === 'stopped';
}

/** Starts a detached process whose stdout and stderr go to its own log file. */
export function startProcess(
  stateDir: string,
  spec: { name: string; command: string; args: string[]; opsUrl: string; env?: NodeJS.ProcessEnv },
): ProcessRecord {
  const logDir = join(stateDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${spec.name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(spec.command, spec.args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, ...spec.env },
  });
  closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${spec.name}`);
  // A process that exited already gets a start time no process has, so it is never signalled.
  const startTicks = procStat(child.pid)?.startTicks ?? 'exited';
  return { name: spec.name, pid: child.pid, command: spec.command, args: spec.args, logFile, opsUrl: spec.opsUrl, startTicks };
}

/** Sends a signal; a process that is already gone is not an error. */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * SIGTERM, then SIGKILL for whatever is still alive after timeoutMs. A stopped
 * (SIGSTOPped) process gets SIGCONT after the SIGTERM so that it can act on it.
 */
export async function stopProcesses(records: ProcessRecord[], timeoutMs = 10_000): Promise<void> {
  for (const r of records) {
    if (!isAlive(r)) continue;
    signal(r.pid, 'SIGTERM');
    signal(r.pid, 'SIGCONT');
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && records.some(isAlive)) await sleep(50);
  for (const r of records) if (isAlive(r)) signal(r.pid, 'SIGKILL');
  // Bounded wait for them to exit (they are not our children once detached).
  const exited = Date.now() + 2_000;
  while (Date.now() < exited && records.some(isAlive)) await sleep(20);
}

/** The size of a log file (0 when it does not exist). */
export function logSize(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

/** At most the last `bytes` bytes of a log file from offset `from` on ('' when it does not exist). */
export function logTail(file: string, bytes: number, from = 0): string {
  if (!existsSync(file)) return '';
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const start = Math.min(size, Math.max(from, size - bytes));
    const buf = Buffer.alloc(size - start);
    readSync(fd, buf, 0, buf.length, start);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Waits until `${opsUrl}/readyz` answers 200, for at most `timeoutMs`; rejects early when
 * `alive()` says the process is gone. The error names the last failing checks.
 */
export async function waitReady(opsUrl: string, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`the process exited before it became ready (${opsUrl}/readyz)`);
    try {
      const res = await fetchText(`${opsUrl}/readyz?verbose`, 1_000);
      if (res.ok) return;
      last = res.text.trim().split('\n').filter((l) => l.startsWith('[-]')).join('; ') || `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`not ready after ${timeoutMs / 1_000} s: ${last}`);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
