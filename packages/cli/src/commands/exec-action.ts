// What `kemu exec` does once its arguments are parsed (loaded only when it runs).
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { resolve } from 'node:path';
import { CliError } from '../cli-error.js';
import { exitCodeOf, nodeEnv, withSourceAddress } from '../lifecycle/exec-args.js';
import { planOrFail } from './common.js';

/**
 * `kemu exec NODE -- COMMAND...`: runs COMMAND on this host with the node's environment
 * (and its IP as source address for the tools that take one); kemu's exit status is the
 * command's (127 when it is not found).
 */
export async function runExec(nodeName: string, command: string[], o: { stateDir: string }): Promise<void> {
  const plan = planOrFail(o.stateDir);
  const node = plan.nodes.find((n) => n.name === nodeName);
  if (!node) throw new CliError(`kemu exec: no node "${nodeName}" in ${resolve(o.stateDir)}; nodes: ${plan.nodes.map((n) => n.name).join(', ')}`);
  const [cmdName, ...rest] = command;
  if (!cmdName) throw new CliError('kemu exec: no command given (kemu exec NODE -- COMMAND [ARGS...])');
  const { args } = withSourceAddress(cmdName, rest, node.ip);
  const code = await new Promise<number>((done, fail) => {
    const child = spawn(cmdName, args, { stdio: 'inherit', env: { ...process.env, ...nodeEnv(node) } });
    // Ctrl-C reaches the child through the terminal; kemu only waits for it.
    const ignore = (): void => undefined;
    process.on('SIGINT', ignore);
    child.on('error', (err: NodeJS.ErrnoException) =>
      fail(new CliError(err.code === 'ENOENT' ? `kemu exec: ${cmdName}: command not found` : `kemu exec: ${cmdName}: ${err.message}`, err.code === 'ENOENT' ? 127 : 126, { cause: err })),
    );
    child.on('exit', (c, s) => {
      process.off('SIGINT', ignore);
      done(exitCodeOf(c, s, constants.signals));
    });
  });
  process.exitCode = code;
}
