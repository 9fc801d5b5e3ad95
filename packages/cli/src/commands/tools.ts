// kemu dns query, kemu exec: look at the cluster from inside, as a pod or a node would.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { CliError } from '../context.js';
import { parseTypeName, Type } from '@kemu/dns';
import { exchange, reverseName, formatExchange, formatSearch, keepSearching, POD_SEARCH, searchCandidates, searchOutcome, type Exchange } from '../lifecycle/dns-query.js';
import { exitCodeOf, nodeEnv, SOURCE_AWARE_TOOLS, withSourceAddress } from '../lifecycle/exec-args.js';
import { loadPlan, type ClusterPlan } from '../plan.js';
import { say, stateDirOption } from './common.js';

function planOrFail(stateDir: string): ClusterPlan {
  const plan = loadPlan(stateDir);
  if (!plan) throw new CliError(`no cluster in ${resolve(stateDir)} (start one with kemu up --state-dir ${stateDir})`);
  return plan;
}

function serverOf(o: { server?: string; stateDir: string }): { host: string; port: number; label: string } {
  const hp = o.server ?? planOrFail(o.stateDir).dns[0]?.listen;
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?$/.exec(hp ?? '');
  if (!m) throw new CliError(`kemu dns query: --server: want an IPv4 host[:port], got "${hp ?? ''}"`);
  const port = Number(m[2] ?? 53);
  return { host: m[1]!, port, label: `${m[1]!}#${port}` };
}

/** What a user asks for (zone transfers and OPT are not questions `dns query` sends). */
const QUERY_TYPES = Object.keys(Type).filter((t) => !['OPT', 'IXFR', 'AXFR'].includes(t));

function registerDns(program: Command): void {
  const dns = program.command('dns').description('ask the cluster DNS');
  dns
    .command('query')
    .description('resolve NAME with the cluster DNS as a pod in namespace default would, and print the reply like dig')
    .argument('<name>', 'a Service name (hello), hello.default, a full name, or an IP address for PTR')
    .argument('[type]', `record type: ${QUERY_TYPES.join(', ')} or TYPEnnn`, 'A')
    .option('--no-search', 'ask NAME as given (as dig does), without the pod search path')
    .addOption(new Option('--server <host[:port]>', "DNS server to ask (default: the cluster's dns from --state-dir)"))
    .addOption(stateDirOption())
    .addHelpText(
      'after',
      [
        '',
        'Like a pod in namespace default, whose resolv.conf has',
        `  search ${POD_SEARCH.join(' ')}`,
        '  options ndots:5',
        'a NAME with fewer than five dots is tried with each search domain first, then as given;',
        'one with five or more (or ending in ".") as given first. NXDOMAIN and empty answers move',
        'on to the next name; the first answer ends the search. The names tried before are listed',
        'as ";; search:" lines. With TYPE PTR, an IPv4 NAME is turned into its in-addr.arpa name',
        '(like dig -x). UDP first; a truncated reply is asked again over TCP.',
        '',
        'Exits 0 when the reply is NOERROR, 1 for NXDOMAIN, SERVFAIL, REFUSED or no reply.',
        '',
        'Examples:',
        '  kemu dns query kubernetes.default',
        '  kemu dns query _http._tcp.hello SRV',
        '  kemu dns query 127.96.0.1 PTR                # a ClusterIP back to its name',
      ].join('\n'),
    )
    .action(async (nameIn: string, typeIn: string, o: { search: boolean; server?: string; stateDir: string }, cmd: Command) => {
      const type = parseTypeName(typeIn);
      if (type === undefined) cmd.error(`error: unknown record type "${typeIn}" (known: ${QUERY_TYPES.join(', ')}, TYPEnnn)`);
      const server = serverOf(o);
      const reversed = type === Type.PTR ? reverseName(nameIn) : undefined;
      const names = reversed ? [reversed] : o.search ? searchCandidates(nameIn) : [nameIn.endsWith('.') ? nameIn : `${nameIn}.`];
      const tried: Exchange[] = [];
      for (const name of names) {
        let e: Exchange;
        try {
          e = await exchange(server, name, type);
        } catch (err) {
          throw new CliError(`kemu dns query: ${(err as Error).message} (is the cluster up? kemu status --state-dir ${o.stateDir})`, 1, { cause: err });
        }
        tried.push(e);
        if (!keepSearching(e)) break;
      }
      const shown = searchOutcome(tried)!;
      for (const line of formatSearch(tried, shown)) say(line);
      say(formatExchange(shown, server.label));
      if (shown.reply.rcode !== 0) process.exitCode = 1;
    });
}

function registerExec(program: Command): void {
  program
    .command('exec')
    .description("run a command in a node's network context (put -- before the command)")
    .argument('<node>', 'node-1, node-2, ... (kemu status lists them)')
    .argument('<command...>', 'the command and its arguments, after --')
    .addOption(stateDirOption())
    .addHelpText(
      'after',
      [
        '',
        "In local mode every node shares the host's loopback, so there is no separate network",
        'to enter: the command runs on this host, with NODE_NAME and NODE_IP (and KEMU_NODE_ZONE,',
        'KEMU_POD_CIDR) in its environment. These tools get the node IP as their source address',
        `(${SOURCE_AWARE_TOOLS.join(', ')}), unless you gave one:`,
        '  curl --interface IP, wget --bind-address=IP, dig -b IP, nc/ncat/netcat -s IP, ping -I IP.',
        'The node agents treat a connection from a node IP as coming from that node, so',
        'internalTrafficPolicy: Local Services answer as they would on that node. Cluster names',
        'are not resolved by the host resolver: look them up with kemu dns query first.',
        'kemu exec exits with the command\'s exit code (128+N if a signal N ended it).',
        '',
        'Examples:',
        '  kemu exec node-2 -- curl -s http://127.96.0.20/   # a ClusterIP, from node-2 (node IP source)',
        '  kemu exec node-1 -- sh -c \'echo $NODE_NAME $NODE_IP\'',
      ].join('\n'),
    )
    .action(async (nodeName: string, command: string[], o: { stateDir: string }) => {
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
    });
}

export function registerToolCommands(program: Command): void {
  registerDns(program);
  registerExec(program);
}
