import { resolve } from 'node:path';
import { Option } from 'commander';
import { CliError } from '../cli-error.js';
import { loadPlan, type ClusterPlan } from '../plan.js';

export const say = (line: string): void => void process.stdout.write(`${line}\n`);

/** --state-dir: where `kemu up` keeps data, logs, pids, tokens and the address plan. */
export const stateDirOption = (): Option =>
  new Option('--state-dir <dir>', 'where data, logs and pids live').env('KEMU_STATE_DIR').default('.kemu');

/** The plan `kemu up` saved in the state dir, or a CliError saying there is no cluster there. */
export function planOrFail(stateDir: string): ClusterPlan {
  const plan = loadPlan(stateDir);
  if (!plan) throw new CliError(`no cluster in ${resolve(stateDir)} (start one with kemu up --state-dir ${stateDir})`);
  return plan;
}
