// @ts-check
// Every control plane the benchmark starts is registered here, so that an error, Ctrl-C or
// a normal exit kills exactly its processes (etcd members, apiservers, controller-managers)
// by PID and removes exactly its data dir. Nothing else on the machine is touched.
import { rmSync } from 'node:fs';

/**
 * What the cleanup needs of a control plane (cluster.mjs's BenchControlPlane).
 * @typedef {{ etcd: { dir: string, members: Array<{ proc?: import('node:child_process').ChildProcess }> }, apiservers: Array<{ proc?: import('node:child_process').ChildProcess }>, controllerManagers: Array<{ proc?: import('node:child_process').ChildProcess }> }} Tracked
 */

/** @type {Set<Tracked>} */
const live = new Set();
/** @type {Set<() => void>} */
const stoppers = new Set();
let installed = false;

/** @param {Tracked} cp */
export function track(cp) {
  live.add(cp);
}

/** @param {Tracked} cp a control plane that was destroyed (its processes killed, its dir removed) */
export function untrack(cp) {
  live.delete(cp);
}

/**
 * A timer or loop the benchmark runs in the background (lease renewals); stopped on exit too.
 * @param {() => void} stop
 * @returns {() => void} stops it and forgets it
 */
export function trackStopper(stop) {
  stoppers.add(stop);
  return () => {
    stoppers.delete(stop);
    stop();
  };
}

/** @param {Tracked} cp */
function pids(cp) {
  return [...cp.controllerManagers, ...cp.apiservers, ...cp.etcd.members].map((p) => p.proc).filter((p) => p !== undefined);
}

/** Synchronous, so it also works from the 'exit' event. */
export function cleanupSync() {
  for (const stop of stoppers) stop();
  stoppers.clear();
  for (const cp of live) {
    for (const p of pids(cp)) {
      if (p.pid !== undefined && p.exitCode === null && p.signalCode === null) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    if (!process.env['KEMU_KEEP_TEST_DATA'] && !process.env['KEMU_KEEP_BENCH_DATA']) rmSync(cp.etcd.dir, { recursive: true, force: true });
  }
  live.clear();
}

/** Installs the exit / signal hooks once per process. */
export function installCleanupHooks() {
  if (installed) return;
  installed = true;
  process.on('exit', cleanupSync);
  for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig}, killing control plane processes\n`);
      cleanupSync();
      process.exit(130);
    });
  }
}
