import { PodStateStore } from './pod-state-store.js';
import { isSameProcess, signalGroup } from './process-runner.js';

/**
 * SIGKILLs every pod process recorded under a node's root dir that is still the process the
 * agent started (same pid and start time), with its process group. For cleaning up after an
 * agent that was itself killed (`kemu down`, test harnesses); returns how many were killed.
 */
export function killRecordedPodProcesses(rootDir: string): number {
  let killed = 0;
  for (const { record } of new PodStateStore(rootDir).load(() => undefined)) {
    for (const c of Object.values(record.containers)) {
      const run = c.running;
      if (run && isSameProcess(run.pid, run.startTicks) && signalGroup(run.pid, 'SIGKILL')) killed++;
    }
  }
  return killed;
}
