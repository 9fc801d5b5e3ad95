// kemu up, down, status, logs: the local cluster's processes. Definitions only: each action
// loads its implementation when it runs, so `kemu --help` stays cheap.
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { CliError } from '../cli-error.js';
import { COMPONENTS } from '../components.js';
import { describeProfiles } from '../lifecycle/profiles.js';
import { loadPlan, PROFILES } from '../plan.js';
import { say, stateDirOption } from './common.js';
import type { LogsFlags } from './logs-action.js';
import type { UpFlags } from './up-action.js';

function registerUp(program: Command): void {
  program
    .command('up')
    .description('start the local cluster as separate processes on loopback, or resume the one in --state-dir')
    .addOption(stateDirOption())
    .addOption(new Option('--nodes <n>', 'node agents, 1 to 100: node-N on <block>.10.N').default('3'))
    .addOption(new Option('--zones <n>', 'zones the nodes are spread over, round robin, 1 to 26: zone-a, zone-b, ...').default('3'))
    .addOption(new Option('--apiservers <n>', 'apiservers: 1 or 2 (<block>.2.1, <block>.2.2)').default('1'))
    .addOption(new Option('--profile <name>', 'timings of the processes (see below)').choices(PROFILES).default('default'))
    .addOption(new Option('--address-block <127.B>', 'put every address of the cluster in 127.B.0.0/16 (default 127.0: the plan in DESIGN.md)'))
    .addOption(new Option('--etcd-ip-prefix <a.b.c>', "first three octets of the etcd members' addresses (default <block>.1)"))
    .addOption(new Option('--components <list>', `what to start, comma separated, from: ${COMPONENTS.join(', ')}`).default(COMPONENTS.join(',')))
    .option('--foreground', 'stay attached; Ctrl-C (or SIGTERM) stops the whole cluster')
    .option('--demo', 'create a demo Deployment (3 replicas of kemu/echo across the zones) and a NodePort Service, show how to reach it, stay attached (implies --foreground)')
    .addHelpText(
      'after',
      [
        '',
        'Starts 3 etcd members, the apiserver(s), 2 leader-elected controller-managers, the cluster',
        'DNS and the node agents as separate OS processes, in that order, each on its own loopback',
        'address, and waits until each answers /readyz. Without --foreground it returns once the',
        'cluster is up and the processes keep running (kemu down stops them).',
        '',
        'The state dir keeps the address plan (cluster.json), tokens, etcd data, one log file per',
        'process (logs/<process>.log) and the process list. `kemu up` on a state dir that already',
        'holds a cluster resumes that cluster as it was made: processes still running are left',
        'alone, the others start again from their data; --nodes, --zones, --apiservers, --profile',
        'and --address-block are then ignored (kemu up says so).',
        '',
        'Before starting anything, every address the new processes will listen on is checked:',
        'one already in use fails with the process and the address, and nothing is started.',
        '',
        describeProfiles(),
        '',
        'Examples:',
        '  kemu up                                   # the default plan: 127.0.x.y, 3 nodes in 3 zones',
        '  kemu up --demo                            # ... plus the demo, attached until Ctrl-C (npm start)',
        '  kemu up --state-dir /tmp/c2 --address-block 127.7 --profile fast-recovery',
      ].join('\n'),
    )
    .action(async (o: UpFlags, cmd: Command) => (await import('./up-action.js')).runUp(o, cmd));
}

function registerDown(program: Command): void {
  program
    .command('down')
    .description('stop every process of the local cluster and their pods (SIGTERM, then SIGKILL after 10 s)')
    .addOption(stateDirOption())
    .addHelpText(
      'after',
      [
        '',
        'Node agents stop their pods as they exit; pod processes of an agent that was killed',
        '(kemu chaos kill) are killed afterwards from the pod records under <state-dir>/nodes.',
        'Data, logs and the address plan stay: kemu up resumes the same cluster.',
      ].join('\n'),
    )
    .action(async (o: { stateDir: string }) => {
      const [{ readProcesses }, { down }] = await Promise.all([import('../processes.js'), import('../cluster.js')]);
      if (readProcesses(o.stateDir).length === 0) say(`no processes recorded in ${resolve(o.stateDir)}`);
      await down(o.stateDir, say);
    });
}

function registerStatus(program: Command): void {
  program
    .command('status')
    .alias('ps')
    .description('a table of the cluster\'s processes: PID, health (/readyz) and role')
    .addOption(stateDirOption())
    .addHelpText(
      'after',
      [
        '',
        'HEALTH is what the process answers on /readyz: ready, not ready (the failing checks),',
        'no answer (paused, overloaded or starting), exited (recorded but gone), stopped.',
        'ROLE: etcd members are leader or follower with their Raft term; the controller-manager',
        'holding the kube-system/kube-controller-manager Lease is active, the other standby;',
        "a node shows its Node's Ready condition (from the apiserver), zone and IP.",
      ].join('\n'),
    )
    .action(async (o: { stateDir: string }) => {
      const plan = loadPlan(o.stateDir);
      if (!plan) throw new CliError(`no cluster in ${resolve(o.stateDir)} (start one with kemu up --state-dir ${o.stateDir})`);
      const [{ formatStatus }, { gatherFacts }] = await Promise.all([import('../lifecycle/status.js'), import('../lifecycle/status-probe.js')]);
      say(formatStatus(await gatherFacts(resolve(o.stateDir), plan)));
    });
}

function registerLogs(program: Command): void {
  program
    .command('logs')
    .description("print a process's log (<state-dir>/logs/<process>.log)")
    .argument('<process>', 'etcd-0, apiserver, controller-manager-1, dns-0, node-2, ... (kemu status lists them)')
    .option('-f, --follow', 'keep printing what the process writes until interrupted (Ctrl-C)')
    .addOption(new Option('--tail <lines>', 'lines from the end to print first; -1 for the whole log').default('100'))
    .addOption(stateDirOption())
    .action(async (name: string, o: LogsFlags, cmd: Command) => (await import('./logs-action.js')).runLogs(name, o, cmd));
}

export function registerClusterCommands(program: Command): void {
  registerUp(program);
  registerDown(program);
  registerStatus(program);
  registerLogs(program);
}
