// @ts-check
// Every member process and temp dir the benchmark creates is registered here, so that an
// error, Ctrl-C or a normal exit kills exactly those processes (by PID) and removes exactly
// those dirs. Nothing else on the machine is touched.
import { rmSync } from 'node:fs';

/** @type {Set<import('node:child_process').ChildProcess>} */
const live = new Set();
/** @type {Set<string>} */
const dirs = new Set();
let installed = false;

/** @param {import('node:child_process').ChildProcess} proc */
export function track(proc) {
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
}

/** @param {string} dir */
export function trackDir(dir) {
  dirs.add(dir);
}

/** @param {string} dir */
export function removeDir(dir) {
  if (!process.env['KEMU_KEEP_BENCH_DATA']) rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

/** Synchronous, so it also works from the 'exit' event. */
export function cleanupSync() {
  for (const p of live) {
    if (p.pid !== undefined && p.exitCode === null && p.signalCode === null) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  live.clear();
  for (const d of [...dirs]) removeDir(d);
}

/** Installs the exit / signal hooks once per process. */
export function installCleanupHooks() {
  if (installed) return;
  installed = true;
  process.on('exit', cleanupSync);
  for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig}, killing member processes\n`);
      cleanupSync();
      process.exit(130);
    });
  }
}
