import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';

const SIGNALED_POLL_MS = 50;

/** How a container's main process ended. `unknown`: it was not our child, so its exit status is lost. */
export type ExitInfo =
  | { kind: 'exited'; code: number; finishedAt: number }
  | { kind: 'signaled'; signal: number; finishedAt: number }
  | { kind: 'unknown'; finishedAt: number };

/**
 * A container's main process, leader of its own process group (spawned detached, so an
 * agent crash leaves it running). Signals go to the whole group. When the leader exits
 * the rest of the group is killed, as a container's cgroup is.
 */
export interface ContainerProcess {
  readonly pid: number;
  /** /proc/<pid>/stat starttime: with the pid, identifies this process across agent restarts. */
  readonly startTicks: string;
  readonly adopted: boolean;
  /** Settles once, when the process is gone (never if detach() came first). */
  readonly exited: Promise<ExitInfo>;
  signal(sig: NodeJS.Signals): void;
  /** Stops watching the process and leaves it running (the agent stops without stopping pods). */
  detach(): void;
}

export interface SpawnOptions {
  file: string;
  args: readonly string[];
  env: ReadonlyMap<string, string>;
  cwd: string;
  /** stdout and stderr are appended here. */
  logPath: string;
}

export type SpawnResult = { ok: true; proc: ContainerProcess } | { ok: false; error: Promise<string> };

/** /proc/<pid>/stat: the process state letter and start time, or undefined if there is no such process. */
export function procStat(pid: number): { state: string; startTicks: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may hold spaces and parentheses): 3 is the state, 22 the start time.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = rest[0];
  const startTicks = rest[19];
  return state && startTicks ? { state, startTicks } : undefined;
}

/** Whether `pid` is still the live (not zombie) process that started at `startTicks`. */
export function isSameProcess(pid: number, startTicks: string): boolean {
  const s = procStat(pid);
  return s !== undefined && s.startTicks === startTicks && s.state !== 'Z' && s.state !== 'X';
}

/** Signals process group `pgid`; false if it has no members left. */
export function signalGroup(pgid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch {
    return false;
  }
}

export function signalNumber(sig: NodeJS.Signals): number {
  return constants.signals[sig];
}

/** Starts a container's main process in its own process group. The pid is known when this returns. */
export function spawnProcess(o: SpawnOptions): SpawnResult {
  let fd: number;
  try {
    fd = openSync(o.logPath, 'a');
  } catch (err) {
    return { ok: false, error: Promise.resolve(`open ${o.logPath}: ${(err as Error).message}`) };
  }
  try {
    const child = spawn(o.file, o.args, {
      cwd: o.cwd,
      env: Object.fromEntries(o.env),
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    const pid = child.pid;
    if (pid === undefined) {
      return {
        ok: false,
        error: new Promise((resolve) => child.once('error', (err) => resolve(`failed to start "${o.file}": ${err.message}`))),
      };
    }
    child.unref();
    let watching = true;
    const exited = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => {
        const finishedAt = Date.now();
        signalGroup(pid, 'SIGKILL');
        if (!watching) return;
        resolve(signal ? { kind: 'signaled', signal: signalNumber(signal), finishedAt } : { kind: 'exited', code: code ?? 0, finishedAt });
      });
    });
    const startTicks = procStat(pid)?.startTicks ?? '';
    let gone = false;
    void exited.then(() => (gone = true));
    return {
      ok: true,
      proc: {
        pid,
        startTicks,
        adopted: false,
        exited,
        signal: (sig) => {
          if (!gone) signalGroup(pid, sig);
        },
        detach: () => {
          watching = false;
          child.removeAllListeners('exit');
        },
      },
    };
  } finally {
    closeSync(fd);
  }
}

/**
 * Watches a process a previous agent started (no longer our child): alive while
 * /proc/<pid> shows the same start time, checked every `pollMs`. Undefined if it is
 * already gone. Its exit status cannot be known.
 */
export function adoptProcess(pid: number, startTicks: string, pollMs: number): ContainerProcess | undefined {
  if (!isSameProcess(pid, startTicks)) return undefined;
  let timer: NodeJS.Timeout | undefined;
  let gone = false;
  let resolveExit: (e: ExitInfo) => void = () => undefined;
  const exited = new Promise<ExitInfo>((resolve) => (resolveExit = resolve));
  const poll = (ms: number): void => {
    clearInterval(timer);
    timer = setInterval(() => {
      if (isSameProcess(pid, startTicks)) return;
      clearInterval(timer);
      gone = true;
      signalGroup(pid, 'SIGKILL');
      resolveExit({ kind: 'unknown', finishedAt: Date.now() });
    }, ms);
  };
  poll(pollMs);
  return {
    pid,
    startTicks,
    adopted: true,
    exited,
    signal: (sig) => {
      if (gone || !isSameProcess(pid, startTicks)) return;
      signalGroup(pid, sig);
      // It is expected to exit now: notice that sooner than the idle poll would.
      poll(Math.min(pollMs, SIGNALED_POLL_MS));
    },
    detach: () => clearInterval(timer),
  };
}
