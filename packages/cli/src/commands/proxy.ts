// kemu proxy ...: the node agents' Service forwarding. Definitions only: the action loads
// its implementation when it runs.
import { type Command } from 'commander';
import { stateDirOption } from './common.js';

export function registerProxyCommands(program: Command): void {
  const proxy = program.command('proxy').description("look at the node agents' Service forwarding");
  proxy
    .command('rules')
    .description("a node's forwarding table, iptables-save style, with connection and byte counters")
    .requiredOption('--node <name>', 'the node whose agent to ask (node-1, node-2, ...)')
    .option('--service <ns/name[:port/proto]>', 'only this Service (default/hello) or one of its ports (default/hello:http/TCP)')
    .addOption(stateDirOption())
    .addHelpText(
      'after',
      "\nThe node's IP comes from its Node object (through the apiserver); the table from the agent's\n" +
        'ops port (GET http://<node-ip>:10256/rules). Exits 1 when either does not answer.',
    )
    .action(async (o: { node: string; service?: string; stateDir: string }) => {
      const [{ openContext }, { proxyRules }] = await Promise.all([import('../context.js'), import('../proxy-rules.js')]);
      const ctx = openContext({ stateDir: o.stateDir });
      try {
        process.stdout.write(await proxyRules(ctx.client, ctx.servers, o.node, o.service));
      } finally {
        ctx.client.close();
      }
    });
}
