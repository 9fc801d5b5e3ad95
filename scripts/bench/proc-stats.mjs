// @ts-check
// Memory and CPU of a process from /proc (Linux), by PID; used by every benchmark.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** @param {number | undefined} pid @param {string} field */
function statusKiB(pid, field) {
  if (pid === undefined) return undefined;
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Resident set size now. @param {number | undefined} pid */
export const rssKiB = (pid) => statusKiB(pid, 'VmRSS');
/** Peak resident set size over the process's life. @param {number | undefined} pid */
export const peakRssKiB = (pid) => statusKiB(pid, 'VmHWM');

let clockTicks = 0;

/**
 * User + system CPU time the process has used, in ms.
 * @param {number | undefined} pid
 */
export function cpuMs(pid) {
  if (pid === undefined) return undefined;
  if (clockTicks === 0) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5000 }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name start at field 3 (state); utime is 14, stime 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) / clockTicks) * 1000;
  } catch {
    return undefined;
  }
}

/**
 * Machine-wide CPU time so far, in clock ticks: all of it, and the part stolen by the
 * hypervisor (the VM wanted to run but another guest had the core).
 * @returns {{ total: number, steal: number, idle: number }}
 */
export function machineCpu() {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already inside user)
    const total = f.slice(0, 8).reduce((a, b) => a + (b || 0), 0);
    return { total, steal: f[7] ?? 0, idle: (f[3] ?? 0) + (f[4] ?? 0) };
  } catch {
    return { total: 0, steal: 0, idle: 0 };
  }
}
