// kemu dns query, kemu exec: look at the cluster from inside, as a pod or a node would.
// Definitions only: each action loads its implementation when it runs.
import { Option, type Command } from 'commander';
import { POD_NDOTS, POD_SEARCH, QUERY_TYPES } from '../lifecycle/dns-query-names.js';
import { SOURCE_AWARE_TOOLS } from '../lifecycle/exec-args.js';
import { stateDirOption } from './common.js';
import type { DnsQueryFlags } from './dns-query-action.js';

function registerDns(program: Command): void {
  const dns = program.command('dns').description('ask the cluster DNS');
  dns
    .command('query')
    .description('resolve NAME with the cluster DNS as a pod in namespace default would, and print the reply like dig')
    .argument('<name>', 'a Service name (hello), hello.default, a full name, or an IP address for PTR')
    .argument('[type]', `record type: ${QUERY_TYPES.join(', ')} or TYPEnnn`, 'A')
    .option('--no-search', 'ask NAME as given (as dig does), without the pod search path')
    .addOption(new Option('--server <host[:port]>', "DNS server to ask, an IPv4 address and port (53 if left out) (default: the cluster's dns from --state-dir)"))
    .addOption(stateDirOption())
    .addHelpText(
      'after',
      [
        '',
        'Like a pod in namespace default, whose resolv.conf has',
        `  search ${POD_SEARCH.join(' ')}`,
        `  options ndots:${POD_NDOTS}`,
        `a NAME with fewer than ${POD_NDOTS} dots is tried with each search domain first, then as given;`,
        `one with ${POD_NDOTS} or more as given first; one ending in "." only as given. NXDOMAIN and empty`,
        'answers move on to the next name; an answer, SERVFAIL or REFUSED ends the search. The names',
        'tried before are listed as ";; search:" lines. With TYPE PTR, an IPv4 NAME is turned into',
        'its in-addr.arpa name (like dig -x). UDP first; a truncated reply is asked again over TCP.',
        '',
        'Exits 0 when the reply is NOERROR, 1 for NXDOMAIN, SERVFAIL, REFUSED or no reply.',
        '',
        'Examples:',
        '  kemu dns query kubernetes.default',
        '  kemu dns query _http._tcp.hello SRV',
        '  kemu dns query 127.96.0.1 PTR                # a ClusterIP back to its name',
      ].join('\n'),
    )
    .action(async (name: string, type: string, o: DnsQueryFlags, cmd: Command) => (await import('./dns-query-action.js')).runDnsQuery(name, type, o, cmd));
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
    .action(async (node: string, command: string[], o: { stateDir: string }) => (await import('./exec-action.js')).runExec(node, command, o));
}

export function registerToolCommands(program: Command): void {
  registerDns(program);
  registerExec(program);
}
