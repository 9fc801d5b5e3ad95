#!/usr/bin/env node
// The `kemu` command. Each group of subcommands lives in commands/<group>.ts.
import { Command } from 'commander';
import { CliError } from './context.js';
import { registerClusterCommands } from './commands/cluster.js';
import { registerEtcdCommands } from './commands/etcd.js';
import { registerProxyCommands } from './commands/proxy.js';
import { registerObjectCommands } from './commands/objects.js';
import { registerToolCommands } from './commands/tools.js';
import { registerChaosCommands } from './commands/chaos.js';

const program = new Command('kemu').description('Kubernetes Service-networking emulator').showHelpAfterError();
registerClusterCommands(program);
registerObjectCommands(program);
registerEtcdCommands(program);
registerProxyCommands(program);
registerToolCommands(program);
registerChaosCommands(program);

program.parseAsync().catch((err: unknown) => {
  if (err instanceof CliError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(err.exitCode);
  }
  process.stderr.write(`kemu: ${(err as Error).message}\n`);
  process.exit(1);
});
