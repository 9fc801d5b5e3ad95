// The pod processes a node agent started, found from the state files it keeps under its root
// dir (<root>/pods/<ns>_<name>_<uid>/state.json, see @kemu/node-agent's pod-state-store).
// A node fault hits them with their agent, as it would hit every process of a machine.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isSameLiveProcess } from './proc-state.js';

export interface PodProcess {
  /** namespace/name */
  pod: string;
  container: string;
  /** Leader of the container's process group. */
  pid: number;
  startTicks: string;
}

/** The running containers one state file records; [] for anything unreadable. */
export function podProcessesOfState(text: string): PodProcess[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  if (typeof parsed !== 'object' || parsed === null) return [];
  const rec = parsed as { version?: unknown; namespace?: unknown; name?: unknown; containers?: unknown };
  if (rec.version !== 1 || typeof rec.containers !== 'object' || rec.containers === null) return [];
  const pod = `${String(rec.namespace)}/${String(rec.name)}`;
  const out: PodProcess[] = [];
  for (const [container, c] of Object.entries(rec.containers as Record<string, unknown>)) {
    const running = (c as { running?: { pid?: unknown; startTicks?: unknown } } | null)?.running;
    if (running && typeof running.pid === 'number' && typeof running.startTicks === 'string') {
      out.push({ pod, container, pid: running.pid, startTicks: running.startTicks });
    }
  }
  return out;
}

/** The pod processes recorded under a node's root dir that are still the ones the agent started. */
export function livePodProcesses(nodeRootDir: string): PodProcess[] {
  const podsDir = join(nodeRootDir, 'pods');
  let dirs: string[];
  try {
    dirs = readdirSync(podsDir);
  } catch {
    return [];
  }
  const out: PodProcess[] = [];
  for (const d of dirs) {
    let text: string;
    try {
      text = readFileSync(join(podsDir, d, 'state.json'), 'utf8');
    } catch {
      continue;
    }
    for (const p of podProcessesOfState(text)) if (isSameLiveProcess(p.pid, p.startTicks)) out.push(p);
  }
  return out;
}

/** Signals each process's group (a container's processes, as a cgroup would); returns how many groups got it. */
export function signalPodProcesses(procs: readonly PodProcess[], signal: NodeJS.Signals): number {
  let n = 0;
  for (const p of procs) {
    try {
      process.kill(-p.pid, signal);
      n++;
    } catch {
      // Gone between the scan and the signal.
    }
  }
  return n;
}
