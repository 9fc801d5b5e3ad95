import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TerminatedInfo } from './pod-status.js';

/** What survives an agent restart about one container. */
export interface ContainerRecord {
  restartCount: number;
  /** The instance that was running: adopted after a restart if still alive with the same start time. */
  running?: { pid: number; startTicks: string; startedAt: number };
  lastTerminated?: TerminatedInfo;
  /** Finished for good (its restart policy does not run it again). */
  terminated?: TerminatedInfo;
}

/** `<rootDir>/pods/<namespace>_<name>_<uid>/state.json` */
export interface PodRecord {
  version: 1;
  uid: string;
  namespace: string;
  name: string;
  /** Absent for a hostNetwork pod (it uses the node IP) and before allocation. */
  podIP?: string;
  startTime: number;
  containers: Record<string, ContainerRecord>;
}

const STATE_FILE = 'state.json';

/**
 * Per-pod directories on the node: the state file that lets a restarted agent adopt
 * the processes the previous one started, and the container logs. A state file is
 * replaced whole (write to a temporary name, then rename), so a crash leaves the old
 * or the new one, never half of one.
 */
export class PodStateStore {
  readonly podsDir: string;

  constructor(rootDir: string) {
    this.podsDir = join(rootDir, 'pods');
  }

  podDir(namespace: string, name: string, uid: string): string {
    return join(this.podsDir, `${namespace}_${name}_${uid}`);
  }

  logPath(podDir: string, container: string): string {
    return join(podDir, `${container}.log`);
  }

  ensurePodDir(dir: string): void {
    mkdirSync(dir, { recursive: true });
  }

  /**
   * Every readable state file, with its directory. A directory without one (an agent
   * died before its first write) is removed; unreadable ones are reported through `onBad`.
   */
  load(onBad: (dir: string, err: unknown) => void): { dir: string; record: PodRecord }[] {
    return this.read(onBad, true);
  }

  /** The readable state files, changing nothing (the agent that owns them may be running). */
  peek(): { dir: string; record: PodRecord }[] {
    return this.read(() => undefined, false);
  }

  private read(onBad: (dir: string, err: unknown) => void, removeEmpty: boolean): { dir: string; record: PodRecord }[] {
    let entries: string[];
    try {
      entries = readdirSync(this.podsDir);
    } catch {
      return [];
    }
    const out: { dir: string; record: PodRecord }[] = [];
    for (const e of entries) {
      const dir = join(this.podsDir, e);
      if (!existsSync(join(dir, STATE_FILE))) {
        if (removeEmpty) this.remove(dir);
        continue;
      }
      try {
        const record = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as PodRecord;
        if (record.version !== 1 || !record.uid) throw new Error(`unknown state file version ${String(record.version)}`);
        out.push({ dir, record });
      } catch (err) {
        onBad(dir, err);
      }
    }
    return out;
  }

  save(dir: string, record: PodRecord): void {
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `${STATE_FILE}.tmp`);
    writeFileSync(tmp, JSON.stringify(record));
    renameSync(tmp, join(dir, STATE_FILE));
  }

  /** Removes the pod's directory, logs included (the pod is gone from the node). */
  remove(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
  }
}
