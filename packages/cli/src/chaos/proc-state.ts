import { readFileSync } from 'node:fs';

/** What `ps` would say about a pid, reduced to what chaos cares about. */
export type ProcState = 'running' | 'stopped' | 'zombie' | 'gone';

export interface ProcStat {
  /** The state letter of /proc/<pid>/stat (R, S, D, T, t, Z, X, I, ...). */
  letter: string;
  /** Field 22, the start time in clock ticks: with the pid, names one process for its lifetime. */
  startTicks: string;
}

/** Parses the text of /proc/<pid>/stat; undefined if it is not one. */
export function parseProcStat(text: string): ProcStat | undefined {
  // The command name (field 2) may hold spaces and parentheses: fields restart after the last ')'.
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const rest = text.slice(close + 2).split(' ');
  const letter = rest[0];
  const startTicks = rest[19];
  return letter && startTicks ? { letter, startTicks } : undefined;
}

export function stateOfLetter(letter: string): Exclude<ProcState, 'gone'> {
  if (letter === 'T' || letter === 't') return 'stopped';
  if (letter === 'Z' || letter === 'X') return 'zombie';
  return 'running';
}

export function procStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** A zombie counts as gone for every purpose but `kill -0`. */
export function procState(pid: number): ProcState {
  const s = procStat(pid);
  return s ? stateOfLetter(s.letter) : 'gone';
}

/** Whether `pid` is still the process that started at `startTicks` and has not exited. */
export function isSameLiveProcess(pid: number, startTicks: string): boolean {
  const s = procStat(pid);
  return s !== undefined && s.startTicks === startTicks && stateOfLetter(s.letter) !== 'zombie';
}
