import { Option } from 'commander';

export const say = (line: string): void => void process.stdout.write(`${line}\n`);

/** --state-dir: where `kemu up` keeps data, logs, pids, tokens and the address plan. */
export const stateDirOption = (): Option =>
  new Option('--state-dir <dir>', 'where data, logs and pids live').env('KEMU_STATE_DIR').default('.kemu');
