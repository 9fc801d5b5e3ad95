import { procStat } from '@kemu/node-agent';

/** What `ps` would say about a pid, reduced to what chaos cares about. */
export type ProcState = 'running' | 'stopped' | 'zombie' | 'gone';

/** A zombie counts as gone for every purpose but `kill -0`. */
export function procState(pid: number): ProcState {
  const s = procStat(pid);
  if (!s) return 'gone';
  if (s.state === 'T' || s.state === 't') return 'stopped';
  if (s.state === 'Z' || s.state === 'X') return 'zombie';
  return 'running';
}
