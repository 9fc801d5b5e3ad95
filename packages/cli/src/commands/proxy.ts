// kemu proxy ...: the node agents' Service forwarding.
import { type Command } from 'commander';
import { APISERVER_ADDR, tokens } from '../cluster.js';
import { CliError } from '../context.js';
import { proxyRules } from '../proxy-rules.js';
import { stateDirOption } from './common.js';

export function registerProxyCommands(program: Command): void {
  const proxy = program.command('proxy').description("look at the node agents' Service forwarding");
  proxy
    .command('rules')
    .description("a node's forwarding table, iptables-save style, with connection and byte counters")
    .requiredOption('--node <name>', 'the node whose agent to ask')
    .option('--service <ns/name[:port/proto]>', 'only this Service (default/hello) or one of its ports (default/hello:http/TCP)')
    .addOption(stateDirOption())
    .action(async (o: { node: string; service?: string; stateDir: string }) => {
      try {
        process.stdout.write(await proxyRules(APISERVER_ADDR, tokens(o.stateDir).admin, o.node, o.service));
      } catch (err) {
        if (!(err instanceof CliError)) throw err;
        process.stderr.write(`${err.message}\n`);
        process.exitCode = 1;
      }
    });
}
