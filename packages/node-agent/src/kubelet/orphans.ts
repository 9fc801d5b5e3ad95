import { PodStateStore } from './pod-state-store.js';
import { isSameProcess, signalGroup } from './process-runner.js';

/**
 * Signals every pod process recorded under a node's root dir that is still the process the
 * agent started (same pid and start time), with its process group, as a machine's fate
 * reaches all its processes: SIGKILL cleans up after an agent that was itself killed
 * (`kemu down`, test harnesses), SIGSTOP/SIGCONT freeze and thaw a node with its pods
 * (`kemu chaos`). Reads the state files without touching them. Returns how many groups got
 * the signal.
 */
export function signalRecordedPodProcesses(rootDir: string, sig: NodeJS.Signals): number {
  let signalled = 0;
  for (const { record } of new PodStateStore(rootDir).peek()) {
    for (const c of Object.values(record.containers)) {
      const run = c.running;
      if (run && isSameProcess(run.pid, run.startTicks) && signalGroup(run.pid, sig)) signalled++;
    }
  }
  return signalled;
}
