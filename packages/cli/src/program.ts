// The `kemu` command tree: every command, argument, option and help text, and nothing that
// runs. Each group of subcommands is defined in commands/<group>.ts; an action loads its
// implementation when it runs, so building the tree (and printing help) stays cheap.
import { Command } from 'commander';
import { registerChaosCommands } from './commands/chaos.js';
import { registerClusterCommands } from './commands/cluster.js';
import { registerEtcdCommands } from './commands/etcd.js';
import { registerObjectCommands } from './commands/objects.js';
import { registerProxyCommands } from './commands/proxy.js';
import { registerToolCommands } from './commands/tools.js';

const PROGRAM_HELP = `
Every command finds the cluster through --state-dir (default .kemu, or $KEMU_STATE_DIR),
where kemu up keeps its address plan, tokens, data and logs. The object commands also take
--server and --token ($KEMU_SERVER, $KEMU_TOKEN) to reach an apiserver directly.

Start here:
  kemu up --demo                 a cluster with a demo Deployment and Service, until Ctrl-C
  kemu status                    its processes, their health and roles
  kemu get pods -o wide          the demo's pods, their IPs and nodes
  kemu chaos run node-kill       kill a node under traffic and read the availability report
  kemu down                      stop everything (kemu up resumes the same cluster)

kemu help COMMAND [SUBCOMMAND], or kemu COMMAND --help, shows a command's flags and examples.`;

/**
 * Replaces commander's implicit `help [command]` of every command that has subcommands with
 * one that follows a path (`kemu help etcd snapshot`) and fails on a name it does not know,
 * as `kemu nosuch` does, instead of printing the parent's help as if asked.
 */
function addHelpCommands(cmd: Command): void {
  if (cmd.commands.length === 0) return;
  for (const sub of cmd.commands) addHelpCommands(sub);
  cmd.helpCommand(false);
  cmd
    .command('help')
    .description('display help for command')
    .argument('[command...]', 'a command, and its subcommands, to show the help of')
    .action((path: string[]) => {
      let target: Command = cmd;
      for (const name of path) {
        const next = target.commands.find((c) => c.name() === name || c.aliases().includes(name));
        if (!next) target.error(`error: unknown command '${name}'`);
        target = next;
      }
      target.help();
    });
}

/** A new `kemu` program; parsing it runs the command named on its command line. */
export function buildProgram(): Command {
  const program = new Command('kemu').description('Kubernetes Service-networking emulator').showHelpAfterError();
  registerClusterCommands(program);
  registerObjectCommands(program);
  registerEtcdCommands(program);
  registerProxyCommands(program);
  registerToolCommands(program);
  registerChaosCommands(program);
  program.addHelpText('after', PROGRAM_HELP);
  addHelpCommands(program);
  return program;
}
