import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planEtcdCluster } from '@kemu/etcd';
import { isAlive, readProcesses, startProcess, stopProcesses, waitReady, writeProcesses, type ProcessRecord } from './processes.js';

export const COMPONENTS = ['etcd'] as const;
export type Component = (typeof COMPONENTS)[number];

/** Path of a kemu package's compiled entry point. */
export function entryPoint(pkg: 'etcd'): string {
  return fileURLToPath(new URL(`../../${pkg}/dist/main.js`, import.meta.url));
}

export interface UpOptions {
  stateDir: string;
  components: Component[];
  /** First three octets of the etcd members' addresses (default 127.0.1, as in DESIGN.md). */
  etcdIpPrefix?: string;
  onProgress?: (line: string) => void;
}

/**
 * Starts the requested components as separate OS processes on loopback (the address plan
 * in DESIGN.md) and waits until each is ready. Processes already running from this state
 * dir are left alone; a stopped cluster restarts from its data.
 */
export async function up(o: UpOptions): Promise<ProcessRecord[]> {
  const stateDir = resolve(o.stateDir);
  const running = readProcesses(stateDir).filter((r) => isAlive(r.pid));
  const records = [...running];
  const progress = o.onProgress ?? (() => undefined);
  if (o.components.includes('etcd')) {
    const plan = planEtcdCluster({ stateDir, ipPrefix: o.etcdIpPrefix });
    const started: ProcessRecord[] = [];
    for (const m of plan) {
      if (running.some((r) => r.name === m.name)) {
        progress(`${m.name}: already running`);
        continue;
      }
      const rec = startProcess(stateDir, { name: m.name, command: process.execPath, args: [entryPoint('etcd'), ...m.args], opsUrl: m.metricsUrl });
      started.push(rec);
      records.push(rec);
      progress(`${m.name}: started (pid ${rec.pid}), client ${m.clientUrl}`);
    }
    writeProcesses(stateDir, records);
    await Promise.all(
      started.map(async (r) => {
        await waitReady(r.opsUrl, 30_000, () => isAlive(r.pid));
        progress(`${r.name}: ready`);
      }),
    );
  }
  return records;
}

export async function down(stateDir: string, onProgress?: (line: string) => void): Promise<void> {
  const dir = resolve(stateDir);
  const records = readProcesses(dir);
  await stopProcesses(records);
  for (const r of records) onProgress?.(`${r.name}: stopped (pid ${r.pid})`);
  writeProcesses(dir, []);
}
