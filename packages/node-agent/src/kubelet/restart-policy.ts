/**
 * When a container that stopped is started again: the restart policy, and the kubelet's
 * crash-loop back-off (flowcontrol.Backoff keyed per container): the first restart is
 * immediate, then each restart waits `initialMs`, doubling up to `maxMs`, counted from
 * when the container finished; a container that ran for more than 2 x `maxMs` since its
 * last restart starts over with no wait.
 */

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export function restartPolicy(value: string | undefined): RestartPolicy {
  return value === 'OnFailure' || value === 'Never' ? value : 'Always';
}

/**
 * Whether a container that finished with `exitCode` runs again. A container killed
 * because its liveness or startup probe failed restarts under OnFailure whatever its
 * exit code (Kubernetes: anything but Never).
 */
export function shouldRestart(policy: RestartPolicy, exitCode: number, killedByProbe: boolean): boolean {
  switch (policy) {
    case 'Always':
      return true;
    case 'OnFailure':
      return killedByProbe || exitCode !== 0;
    case 'Never':
      return false;
  }
}

export interface BackoffSettings {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = { initialMs: 10_000, maxMs: 300_000 };

/** Invariant: delayMs is in [initialMs, maxMs]; lastRestartAt is when that delay was last chosen. */
export interface BackoffEntry {
  delayMs: number;
  lastRestartAt: number;
}

function expired(entry: BackoffEntry | undefined, finishedAt: number, s: BackoffSettings): boolean {
  return !entry || finishedAt - entry.lastRestartAt > 2 * s.maxMs;
}

/** When a container that finished at `finishedAt` may start again (`finishedAt` itself: at once). */
export function restartAt(entry: BackoffEntry | undefined, finishedAt: number, s: BackoffSettings): number {
  return expired(entry, finishedAt, s) ? finishedAt : finishedAt + entry!.delayMs;
}

/** The back-off after restarting, at `now`, a container that finished at `finishedAt`. */
export function afterRestart(entry: BackoffEntry | undefined, finishedAt: number, now: number, s: BackoffSettings): BackoffEntry {
  if (expired(entry, finishedAt, s)) return { delayMs: s.initialMs, lastRestartAt: now };
  return { delayMs: Math.min(entry!.delayMs * 2, s.maxMs), lastRestartAt: now };
}
