#!/usr/bin/env node
// The `kemu` command. Each group of subcommands lives in commands/<group>.ts.
import { Command } from 'commander';
import { CliError } from './context.js';
import { registerClusterCommands } from './commands/cluster.js';
import { registerEtcdCommands } from './commands/etcd.js';
import { registerProxyCommands } from './commands/proxy.js';

const program = new Command('kemu').description('Kubernetes Service-networking emulator').showHelpAfterError();
registerClusterCommands(program);
registerEtcdCommands(program);
registerProxyCommands(program);

program.parseAsync().catch((err: unknown) => {
  if (err instanceof CliError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(err.exitCode);
  }
  process.stderr.write(`kemu: ${(err as Error).message}\n`);
  process.exit(1);
});
