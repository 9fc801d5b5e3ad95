// @ts-check
// Loaded into each control plane process with NODE_OPTIONS="--import <this file>" by
// --profile (node refuses --cpu-prof in NODE_OPTIONS): starts V8's sampling profiler and
// writes a .cpuprofile into $KEMU_BENCH_CPU_PROF_DIR when the process exits normally (kemu
// processes exit on SIGTERM), named like node's own --cpu-prof files.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env['KEMU_BENCH_CPU_PROF_DIR'];
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '.').slice(0, 15);
  process.once('exit', () => {
    // An in-process inspector session answers synchronously, so this works inside 'exit'.
    session.post('Profiler.stop', (err, res) => {
      if (!err) writeFileSync(join(dir, `CPU.${stamp}.${process.pid}.0.001.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
