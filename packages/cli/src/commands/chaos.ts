// kemu chaos ...: break the local cluster on purpose and measure what the Service felt.
// Definitions only: each action loads its implementation when it runs.
import { Argument, Option, type Command } from 'commander';
import type { FaultAction } from '../chaos/fault-driver.js';
import { SCENARIO_NAMES, SCENARIOS, type ScenarioName } from '../chaos/scenarios.js';
import type { ClusterFlags } from './chaos-context.js';
import type { RunFlags } from './chaos-run-action.js';
import { say, stateDirOption } from './common.js';

const FAULT_COMMANDS: ReadonlyArray<{ action: FaultAction; description: string }> = [
  { action: 'kill', description: 'SIGKILL a process (--compose: docker kill its container); a node dies with every pod process on it, as a machine does' },
  { action: 'term', description: 'stop a process gracefully: SIGTERM, SIGKILL if it has not exited after 10 s (--compose: docker stop); it stays down until restart' },
  { action: 'stop', description: 'SIGSTOP a process (--compose: docker pause); a node with its pods: it keeps its sockets and answers nothing until cont' },
  { action: 'cont', description: 'SIGCONT a stopped process (--compose: docker unpause), a node with its pods' },
  { action: 'restart', description: 'kill a process if it runs (a node: reboot, its pods die too) and start it again as it was started (--compose: docker start); waits until it is ready' },
  { action: 'partition', description: '--compose only: cut a container off the network (docker network disconnect); local processes share one loopback and cannot be partitioned' },
  { action: 'unpartition', description: '--compose only: connect a partitioned container again, with the same address' },
];

const PROCESS_HELP = 'a process of kemu status (etcd-0, apiserver, controller-manager-1, dns-0, node-2, ...) or a compose service with --compose, or etcd-leader, controller-manager-active';

const composeOption = (): Option => new Option('--compose', 'act on the docker-compose.yml cluster (containers; apiserver and etcd on the ports it publishes under $KEMU_HOST_BLOCK, default 127.0.20) instead of --state-dir\'s processes');
const composeProjectOption = (): Option =>
  new Option('--compose-project <name>', "with --compose: the compose project (default: the current directory's name, as docker-compose picks it)").env('COMPOSE_PROJECT_NAME');

const RUN_HELP = `
Scenarios:
${Object.entries(SCENARIOS).map(([k, v]) => `  ${k.padEnd(24)} ${v}`).join('\n')}

A run creates (once) the Deployment and Service kemu-chaos/chaos-target, starts kemu/client
pods on nodes the fault leaves alone, sends --rate requests/s to the Service's ClusterIP,
writes a Lease every 200 ms (the write probe), makes the fault after --warmup, heals it after
--duration (restarts what was killed), keeps the traffic for --tail, and writes report.txt,
report.json, chart.svg (and chart.png when rsvg-convert, ImageMagick or inkscape is on PATH)
and the clients' own logs to --out. It exits 0 whenever the scenario ran, whatever the
availability; the numbers are in the report.

With --compose the same runs break the containers of docker-compose.yml (docker kill,
docker stop, docker pause, docker network disconnect); scripts/chaos/ wraps them.

Examples:
  kemu chaos run node-kill --duration 30s
  kemu chaos run etcd-member-pause --pause 5s --duration 20s --out /tmp/pause-report
  kemu chaos run zone-loss --target zone-b --rate 50
  kemu chaos run partition --compose --target etcd-leader --duration 20s
`;

export function registerChaosCommands(program: Command): void {
  const chaos = program
    .command('chaos')
    .description('break the cluster on purpose (local processes, or with --compose the containers): fault one process, or run a failure scenario under traffic and report availability');

  for (const c of FAULT_COMMANDS) {
    chaos
      .command(c.action)
      .description(c.description)
      .addArgument(new Argument('<process>', PROCESS_HELP))
      .addOption(stateDirOption())
      .addOption(composeOption())
      .addOption(composeProjectOption())
      .action(async (name: string, o: ClusterFlags) => {
        const [{ asCliError, chaosCluster }, { isTargetAlias, resolveTarget }, { perform }] = await Promise.all([
          import('./chaos-context.js'),
          import('../chaos/targets.js'),
          import('../chaos/fault-driver.js'),
        ]);
        const cluster = chaosCluster(o);
        try {
          let target = name;
          if (isTargetAlias(name)) {
            const r = await resolveTarget(name, cluster.lookup());
            target = r.name;
            if (r.via) say(r.via);
          }
          const outcome = await perform(cluster.faults, c.action, target);
          say(outcome.detail);
        } catch (err) {
          throw asCliError(err);
        } finally {
          cluster.close();
        }
      });
  }

  chaos
    .command('run')
    .description(
      'run a failure scenario under steady traffic from kemu/client pods to a 3-replica kemu/echo Service, then heal it and report ' +
        'requests ok/failed per second, first failure, time to recovery, availability, writes, and what the control plane did when ' +
        '(report.json, report.txt and a chart in --out)',
    )
    .addArgument(new Argument('<scenario>', 'what to break (see Scenarios below)').choices(SCENARIO_NAMES))
    .addOption(stateDirOption())
    .addOption(composeOption())
    .addOption(composeProjectOption())
    .addOption(new Option('--duration <time>', 'traffic after the fault, until the heal (e.g. 30s, 1m)').default('60s'))
    .addOption(new Option('--warmup <time>', 'traffic before the fault').default('5s'))
    .addOption(new Option('--tail <time>', 'traffic after the heal').default('5s'))
    .addOption(new Option('--rate <n>', 'requests per second, over all clients').default('20'))
    .addOption(new Option('--clients <n>', 'kemu/client pods, each on a node the fault leaves alone').default('2'))
    .addOption(new Option('--request-timeout <time>', 'a request not answered within this is a failed one (timeout)').default('2s'))
    .addOption(new Option('--replicas <n>', 'replicas of the target Deployment when it is created').default('3'))
    .addOption(new Option('--pause <time>', 'etcd-member-pause and pause: how long the target stays frozen').default('10s'))
    .addOption(new Option('--target <name>', "the victim: a node (node-kill), a zone (zone-loss), a process or compose service, etcd-leader or controller-manager-active (the others; required by kill, stop, pause, restart and partition)"))
    .addOption(new Option('--out <dir>', 'where the report goes (default <state-dir>/chaos/<scenario>-<time>)'))
    .addHelpText('after', RUN_HELP)
    .action(async (scenario: ScenarioName, f: RunFlags, cmd: Command) => (await import('./chaos-run-action.js')).runChaosScenario(scenario, f, cmd));
}
