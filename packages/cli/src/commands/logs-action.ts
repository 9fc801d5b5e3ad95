// What `kemu logs` does once its flags are parsed (loaded only when it runs).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../cli-error.js';
import { followFile, loggedProcesses, readLastLines } from '../lifecycle/log-tail.js';
import { roster } from '../lifecycle/roster.js';
import { loadPlan } from '../plan.js';
import { readProcesses } from '../processes.js';

export interface LogsFlags {
  follow?: boolean;
  tail: string;
  stateDir: string;
}

/**
 * `kemu logs PROCESS`: the last --tail lines of <state-dir>/logs/PROCESS.log, then with -f
 * what the process writes until SIGINT/SIGTERM. PROCESS must be one the cluster knows (its
 * plan, its process records or a log file).
 */
export async function runLogs(name: string, o: LogsFlags, cmd: Command): Promise<void> {
  const tail = Number(o.tail);
  if (!Number.isInteger(tail) || tail < -1) cmd.error(`error: --tail: want a number of lines or -1, got "${o.tail}"`);
  const dir = resolve(o.stateDir);
  const plan = loadPlan(dir);
  const known = [...new Set([...(plan ? roster(plan).map((p) => p.name) : []), ...readProcesses(dir).map((r) => r.name), ...loggedProcesses(dir)])];
  if (!known.includes(name)) {
    throw new CliError(
      known.length
        ? `kemu logs: no process "${name}" in ${dir}; known: ${known.join(', ')}`
        : `kemu logs: no cluster in ${dir} (start one with kemu up --state-dir ${o.stateDir})`,
    );
  }
  const file = join(dir, 'logs', `${name}.log`);
  if (!existsSync(file) && !o.follow) throw new CliError(`kemu logs: ${name} has not written a log yet (${file})`);
  let offset = 0;
  if (existsSync(file)) {
    const { text, size } = readLastLines(file, tail);
    process.stdout.write(text);
    offset = size;
  }
  if (!o.follow) return;
  const ac = new AbortController();
  const stop = (): void => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await followFile(file, offset, (chunk) => process.stdout.write(chunk), ac.signal);
}
