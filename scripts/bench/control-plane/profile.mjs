// @ts-check
// --profile: every control plane process runs V8's CPU profiler (cpu-profile-preload.mjs,
// loaded through NODE_OPTIONS, which the harness passes on to the processes it spawns); at
// the end they are stopped with SIGTERM so that they write their profiles, and each one is
// summarised.
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { summarizeProfile } from '../etcd/profile.mjs';

const PRELOAD = new URL('./cpu-profile-preload.mjs', import.meta.url).pathname;
const saved = { options: process.env['NODE_OPTIONS'], dir: process.env['KEMU_BENCH_CPU_PROF_DIR'] };

/** @param {string} dir call just before the control plane starts */
export function enableProfiling(dir) {
  mkdirSync(dir, { recursive: true });
  process.env['NODE_OPTIONS'] = `${saved.options ?? ''} --import ${PRELOAD}`.trim();
  process.env['KEMU_BENCH_CPU_PROF_DIR'] = dir;
}

/** Call once the control plane has started: nothing else the bench runs is profiled. */
export function disableProfiling() {
  for (const [k, v] of /** @type {const} */ ([['NODE_OPTIONS', saved.options], ['KEMU_BENCH_CPU_PROF_DIR', saved.dir]])) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

/**
 * Sends SIGTERM to every process of the control plane (controller-manager and apiserver
 * first) and waits, at most `timeoutMs` in all, for them to exit and write their profiles.
 * @param {import('./cluster.mjs').BenchControlPlane} cp
 * @param {number} timeoutMs
 */
export async function stopForProfiles(cp, timeoutMs) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const limit = new Promise((r) => (timer = setTimeout(r, timeoutMs)));
  await Promise.race([
    (async () => {
      await Promise.all(cp.controllerManagers.map((p) => p.signal('SIGTERM')));
      await Promise.all(cp.apiservers.map((p) => p.signal('SIGTERM')));
      await Promise.all(cp.etcd.members.map((m) => cp.etcd.signal(m.plan.name, 'SIGTERM')));
    })(),
    limit,
  ]);
  clearTimeout(timer);
}

/**
 * The summaries of the profiles written by these processes (by PID in the file name).
 * @param {string} dir
 * @param {Array<{ name: string, pid: number | undefined }>} procs
 * @returns {string}
 */
export function summarizeProfiles(dir, procs) {
  const byPid = new Map(procs.map((p) => [p.pid, p.name]));
  const out = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile'))) {
    const pid = Number(/\.(\d+)\.\d+\.\d+\.cpuprofile$/.exec(f)?.[1]);
    const name = byPid.get(pid);
    if (!name) continue;
    out.push(`== ${name}: ${join(dir, f)}\n${summarizeProfile(join(dir, f))}`);
  }
  return out.join('\n\n') || `no profiles of these processes in ${dir}`;
}
