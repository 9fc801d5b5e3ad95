// kemu up, down, status, logs: the local cluster's processes.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { COMPONENTS, down, tokens, up, UpError, type Component } from '../cluster.js';
import { CliError } from '../context.js';
import { runDemo } from '../demo.js';
import { followFile, loggedProcesses, readLastLines } from '../lifecycle/log-tail.js';
import { planDifferences } from '../lifecycle/plan-diff.js';
import { describeProfiles } from '../lifecycle/profiles.js';
import { roster } from '../lifecycle/roster.js';
import { formatStatus } from '../lifecycle/status.js';
import { gatherFacts } from '../lifecycle/status-probe.js';
import { loadPlan, makePlan, PlanError, PROFILES, type ClusterPlan, type PlanOptions, type ProfileName } from '../plan.js';
import { readProcesses } from '../processes.js';
import { say, stateDirOption } from './common.js';

interface UpFlags {
  stateDir: string;
  components: string;
  addressBlock?: string;
  etcdIpPrefix?: string;
  nodes: string;
  zones: string;
  apiservers: string;
  profile: ProfileName;
  foreground?: boolean;
  demo?: boolean;
}

const int = (s: string): number => (/^\d+$/.test(s.trim()) ? Number(s) : NaN);

/** The plan options the user typed (not commander's defaults): a saved plan is compared with these. */
function givenPlanOptions(cmd: Command, o: UpFlags): PlanOptions {
  const given = (name: string): boolean => cmd.getOptionValueSource(name) === 'cli' || cmd.getOptionValueSource(name) === 'env';
  return {
    block: given('addressBlock') ? o.addressBlock : undefined,
    etcdIpPrefix: given('etcdIpPrefix') ? o.etcdIpPrefix : undefined,
    nodes: given('nodes') ? int(o.nodes) : undefined,
    zones: given('zones') ? int(o.zones) : undefined,
    apiservers: given('apiservers') ? int(o.apiservers) : undefined,
    profile: given('profile') ? o.profile : undefined,
  };
}

function printHowToReach(plan: ClusterPlan, components: string[], stateDir: string): void {
  // host:port, not http:// URLs: see packages/etcd/README.md (etcdctl's per-endpoint commands).
  const endpoints = plan.etcd.map((m) => m.client).join(',');
  say('');
  say('etcd is up. Try it with etcdctl (Debian package etcd-client):');
  say(`  export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=${endpoints}`);
  say('  etcdctl get /registry --prefix --keys-only');
  say('  etcdctl endpoint status -w table');
  if (components.includes('apiserver')) {
    say(`The apiserver serves gRPC on ${plan.apiservers.map((a) => a.grpc).join(', ')}; the admin bearer token is in ${join(stateDir, 'tokens.json')}.`);
  }
  if (components.includes('dns')) {
    const [dnsHost, dnsPort] = (plan.dns[0]?.listen ?? '').split(':') as [string, string];
    say('Cluster DNS answers the cluster.local zone:');
    say(`  kemu dns query kubernetes.default --state-dir ${stateDir}`);
    say(`  dig @${dnsHost} -p ${dnsPort} kubernetes.default.svc.cluster.local    (dig: Debian package dnsutils)`);
  }
  say(`Processes, health and roles: kemu status --state-dir ${stateDir}; a process's log: kemu logs <process> -f --state-dir ${stateDir}`);
}

function registerUp(program: Command): void {
  program
    .command('up')
    .description('start the local cluster as separate processes on loopback, or resume the one in --state-dir')
    .addOption(stateDirOption())
    .addOption(new Option('--nodes <n>', 'node agents: node-N on <block>.10.N').default('3'))
    .addOption(new Option('--zones <n>', 'zones the nodes are spread over, round robin: zone-a, zone-b, ...').default('3'))
    .addOption(new Option('--apiservers <n>', 'apiservers: 1 or 2 (<block>.2.1, <block>.2.2)').default('1'))
    .addOption(new Option('--profile <name>', 'timings of the processes (see below)').choices(PROFILES).default('default'))
    .addOption(new Option('--address-block <127.B>', 'put every address of the cluster in 127.B.0.0/16 (default 127.0: the plan in DESIGN.md)'))
    .addOption(new Option('--etcd-ip-prefix <a.b.c>', "first three octets of the etcd members' addresses (default <block>.1)"))
    .addOption(new Option('--components <list>', `what to start, comma separated, from: ${COMPONENTS.join(', ')}`).default(COMPONENTS.join(',')))
    .option('--foreground', 'stay attached; Ctrl-C (or SIGTERM) stops the whole cluster')
    .option('--demo', 'create a demo Deployment and NodePort Service, show how to reach it, stay attached (implies --foreground)')
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
    .action(async (o: UpFlags, cmd: Command) => {
      const components = o.components.split(',').map((c) => c.trim()).filter(Boolean);
      for (const c of components) {
        if (!(COMPONENTS as readonly string[]).includes(c)) cmd.error(`error: unknown component "${c}" (known: ${COMPONENTS.join(', ')})`);
      }
      for (const flag of ['nodes', 'zones', 'apiservers'] as const) {
        if (Number.isNaN(int(o[flag]))) cmd.error(`error: --${flag}: want a whole number, got "${o[flag]}"`);
      }
      const given = givenPlanOptions(cmd, o);
      try {
        // Bad values are errors even when a saved plan makes them moot.
        makePlan(given);
      } catch (err) {
        if (err instanceof PlanError) cmd.error(`error: ${err.message}`);
        throw err;
      }
      const saved = loadPlan(o.stateDir);
      let plan: ClusterPlan;
      if (saved) {
        plan = saved;
        const diffs = planDifferences(saved, given);
        if (diffs.length > 0) {
          process.stderr.write(`kemu up: ${resolve(o.stateDir)} already holds a cluster; resuming it as it was made:\n`);
          for (const d of diffs) process.stderr.write(`  ${d}\n`);
          process.stderr.write('  (a different cluster needs another --state-dir)\n');
        }
      } else {
        try {
          plan = makePlan({
            block: o.addressBlock,
            etcdIpPrefix: o.etcdIpPrefix,
            nodes: int(o.nodes),
            zones: int(o.zones),
            apiservers: int(o.apiservers),
            profile: o.profile,
          });
        } catch (err) {
          if (err instanceof PlanError) cmd.error(`error: ${err.message}`);
          throw err;
        }
      }
      say(`${saved ? 'Resuming' : 'Starting'} the cluster of ${resolve(o.stateDir)} (addresses ${plan.block}.x.y, profile ${plan.profile})`);
      try {
        await up({ stateDir: o.stateDir, components: components as Component[], plan, onProgress: say });
      } catch (err) {
        if (!(err instanceof UpError)) throw err;
        throw new CliError(`kemu up: ${err.message}`);
      }
      printHowToReach(plan, components, o.stateDir);
      say('');
      if (o.demo && components.includes('controller-manager') && components.includes('node')) {
        try {
          await runDemo(plan, tokens(o.stateDir).admin, o.stateDir);
        } catch (err) {
          say(`demo failed: ${(err as Error).message}`);
        }
        say('');
      }
      if (o.foreground || o.demo) {
        say('Press Ctrl-C to stop the cluster.');
        let stopping = false;
        const stop = (): void => {
          if (stopping) return;
          stopping = true;
          say('\nstopping...');
          void down(o.stateDir, say).then(() => process.exit(0));
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        setInterval(() => undefined, 1 << 30);
      } else {
        say(`Stop it with: kemu down --state-dir ${o.stateDir}`);
      }
    });
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
    .action(async (name: string, o: { follow?: boolean; tail: string; stateDir: string }, cmd: Command) => {
      const tail = Number(o.tail);
      if (!Number.isInteger(tail) || tail < -1) cmd.error(`error: --tail: want a number of lines or -1, got "${o.tail}"`);
      const dir = resolve(o.stateDir);
      const plan = loadPlan(dir);
      const known = [...new Set([...(plan ? roster(plan).map((p) => p.name) : []), ...readProcesses(dir).map((r) => r.name), ...loggedProcesses(dir)])];
      if (!known.includes(name)) {
        throw new CliError(
          known.length
            ? `kemu logs: no process "${name}" in ${dir}; known: ${known.join(', ')}`
            : `kemu logs: no cluster in ${dir} (start one with kemu up --state-dir ${o.stateDir})`,
        );
      }
      const file = join(dir, 'logs', `${name}.log`);
      if (!existsSync(file) && !o.follow) throw new CliError(`kemu logs: ${name} has not written a log yet (${file})`);
      let offset = 0;
      if (existsSync(file)) {
        const { text, size } = readLastLines(file, tail);
        process.stdout.write(text);
        offset = size;
      }
      if (!o.follow) return;
      const ac = new AbortController();
      const stop = (): void => ac.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await followFile(file, offset, (chunk) => process.stdout.write(chunk), ac.signal);
    });
}

export function registerClusterCommands(program: Command): void {
  registerUp(program);
  registerDown(program);
  registerStatus(program);
  registerLogs(program);
}
