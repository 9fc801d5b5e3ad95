// kemu chaos ...: break the local cluster on purpose and measure what the Service felt.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Argument, Option, type Command } from 'commander';
import { isApiError, KubeClient, type Pod } from '@kemu/api';
import { ConfigError, parseDuration } from '@kemu/common';
import { ChaosRunError, runChaos, type ChaosRunOptions } from '../chaos/run.js';
import { EtcdMembers } from '../chaos/etcd-members.js';
import { FaultError, type FaultAction } from '../chaos/fault-driver.js';
import { LocalFaultDriver } from '../chaos/local-fault-driver.js';
import { svgToPng } from '../chaos/png.js';
import { chartOf, formatReport, type ChaosReport } from '../chaos/report.js';
import { SCENARIO_NAMES, SCENARIOS, ScenarioError, type ScenarioName } from '../chaos/scenarios.js';
import { renderChart } from '../chaos/svg-chart.js';
import { ClusterTargetLookup } from '../chaos/target-lookup.js';
import { isTargetAlias, resolveTarget, TargetError } from '../chaos/targets.js';
import { PROFILE_TIMINGS } from '../lifecycle/profiles.js';
import { adminToken, CliError, openContext, type CliContext } from '../context.js';
import { planOf, type ClusterPlan } from '../plan.js';
import { say, stateDirOption } from './common.js';

const SIGNAL_COMMANDS: ReadonlyArray<{ action: Exclude<FaultAction, 'partition' | 'unpartition'>; description: string }> = [
  { action: 'kill', description: 'SIGKILL a process; a node dies with every pod process on it, as a machine does' },
  { action: 'stop', description: 'SIGSTOP a process (a node: with its pods): it keeps its sockets and answers nothing until cont' },
  { action: 'cont', description: 'SIGCONT a stopped process (a node: with its pods)' },
  { action: 'restart', description: 'kill a process if it runs (a node: reboot, its pods die too) and start it again with the same command, arguments and log file; waits until it is ready' },
];

const PROCESS_HELP = 'a process of kemu ps (etcd-0, apiserver, controller-manager-1, dns-0, node-2, ...), or etcd-leader, controller-manager-active';

/** The local cluster of a state dir, seen as chaos needs it. */
class LocalChaosContext {
  readonly stateDir: string;
  readonly plan: ClusterPlan;
  readonly etcd: EtcdMembers;
  readonly faults: LocalFaultDriver;
  private ctx: CliContext | undefined;

  constructor(stateDir: string) {
    this.stateDir = resolve(stateDir);
    if (!existsSync(join(this.stateDir, 'processes.json'))) {
      throw new CliError(`no cluster in ${this.stateDir}: ${join(this.stateDir, 'processes.json')} does not exist (start one with kemu up, or pass --state-dir)`);
    }
    this.plan = planOf(this.stateDir);
    this.etcd = new EtcdMembers(this.plan.etcd.map((m) => ({ name: m.name, endpoint: m.client })));
    this.faults = new LocalFaultDriver({ stateDir: this.stateDir, nodeNames: this.plan.nodes.map((n) => n.name) });
  }

  /** The apiserver client, opened on first use. */
  api(): CliContext {
    this.ctx ??= openContext({ stateDir: this.stateDir });
    return this.ctx;
  }

  lookup(): ClusterTargetLookup {
    return new ClusterTargetLookup({ etcd: this.etcd, client: this.api().client, controllerManagers: this.plan.controllerManagers });
  }

  /** <state-dir>/nodes/<node>/pods/<ns>_<name>_<uid>/<container>.log (the node agent's layout). */
  async podLog(pod: Pod, container: string): Promise<string | undefined> {
    const m = pod.metadata;
    const node = pod.spec?.nodeName;
    if (!m?.name || !m.uid || !node) return undefined;
    try {
      return readFileSync(join(this.stateDir, 'nodes', node, 'pods', `${m.namespace ?? 'default'}_${m.name}_${m.uid}`, `${container}.log`), 'utf8');
    } catch {
      return undefined;
    }
  }

  close(): void {
    this.etcd.close();
    this.ctx?.client.close();
  }
}

/** Errors a chaos command reports as a plain message. */
function asCliError(err: unknown): unknown {
  if (err instanceof FaultError || err instanceof TargetError || err instanceof ScenarioError || err instanceof ChaosRunError) return new CliError(`kemu chaos: ${err.message}`, 1, { cause: err });
  if (isApiError(err)) return new CliError(`kemu chaos: ${err.message}`, 1, { cause: err });
  return err;
}

function duration(cmd: Command, value: string, flag: string): number {
  try {
    return parseDuration(value, flag);
  } catch (err) {
    if (err instanceof ConfigError) cmd.error(err.message);
    throw err;
  }
}

function positive(cmd: Command, value: string, flag: string, integer: boolean): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) cmd.error(`--${flag}: want a positive ${integer ? 'integer' : 'number'}, got "${value}"`);
  return n;
}

const stamp = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace('T', '-').replace(/\..*$/, '');

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

Examples:
  kemu chaos run node-kill --duration 30s
  kemu chaos run etcd-member-pause --pause 5s --duration 20s --out /tmp/pause-report
  kemu chaos run zone-loss --target zone-b --rate 50
`;

interface RunFlags {
  stateDir: string;
  duration: string;
  warmup: string;
  tail: string;
  rate: string;
  clients: string;
  replicas: string;
  pause: string;
  target?: string;
  out?: string;
}

export function registerChaosCommands(program: Command): void {
  const chaos = program
    .command('chaos')
    .description('break the local cluster on purpose: signal its processes, or run a failure scenario under traffic and report availability');

  for (const c of SIGNAL_COMMANDS) {
    chaos
      .command(c.action)
      .description(c.description)
      .addArgument(new Argument('<process>', PROCESS_HELP))
      .addOption(stateDirOption())
      .action(async (name: string, o: { stateDir: string }) => {
        const local = new LocalChaosContext(o.stateDir);
        try {
          let target = name;
          if (isTargetAlias(name)) {
            const r = await resolveTarget(name, local.lookup());
            target = r.name;
            if (r.via) say(r.via);
          }
          const outcome = await local.faults[c.action](target);
          say(outcome.detail);
        } catch (err) {
          throw asCliError(err);
        } finally {
          local.close();
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
    .addOption(new Option('--duration <time>', 'traffic after the fault, until the heal (e.g. 30s, 1m)').default('60s'))
    .addOption(new Option('--warmup <time>', 'traffic before the fault').default('5s'))
    .addOption(new Option('--tail <time>', 'traffic after the heal').default('5s'))
    .addOption(new Option('--rate <n>', 'requests per second, over all clients').default('20'))
    .addOption(new Option('--clients <n>', 'kemu/client pods, each on a node the fault leaves alone').default('2'))
    .addOption(new Option('--replicas <n>', 'replicas of the target Deployment when it is created').default('3'))
    .addOption(new Option('--pause <time>', 'etcd-member-pause: how long the member stays stopped').default('10s'))
    .addOption(new Option('--target <name>', "the scenario's victim instead of its own choice: a node (node-kill), a zone (zone-loss), a process (the others)"))
    .addOption(new Option('--out <dir>', 'where the report goes (default <state-dir>/chaos/<scenario>-<time>)'))
    .addHelpText('after', RUN_HELP)
    .action(async (scenario: ScenarioName, f: RunFlags, cmd: Command) => {
      // Usage errors print this command's usage, not the whole program's.
      const opts: ChaosRunOptions = {
        scenario,
        durationMs: duration(cmd, f.duration, 'duration'),
        warmupMs: duration(cmd, f.warmup, 'warmup'),
        tailMs: duration(cmd, f.tail, 'tail'),
        rate: positive(cmd, f.rate, 'rate', false),
        clients: positive(cmd, f.clients, 'clients', true),
        replicas: positive(cmd, f.replicas, 'replicas', true),
        pauseMs: duration(cmd, f.pause, 'pause'),
        writeIntervalMs: 200,
        ...(f.target === undefined ? {} : { target: f.target }),
      };
      // Ctrl-C ends the run early, but not before what it broke is healed and its clients are gone.
      const abort = new AbortController();
      const onSignal = (): void => {
        say('[chaos] interrupted: healing and cleaning up (Ctrl-C again to quit at once)');
        abort.abort();
        process.once('SIGINT', () => process.exit(130));
      };
      process.once('SIGINT', onSignal);
      opts.signal = abort.signal;
      const local = new LocalChaosContext(f.stateDir);
      const startedAt = new Date();
      const outDir = resolve(f.out ?? join(local.stateDir, 'chaos', `${scenario}-${stamp(startedAt)}`));
      let writeClient: KubeClient | undefined;
      try {
        const ctx = local.api();
        const token = adminToken(local.stateDir) ?? '';
        writeClient = new KubeClient({ endpoints: ctx.servers, token, timeoutMs: 2_000 });
        const { report, clientLogs } = await runChaos(opts, {
          client: ctx.client,
          writeClient,
          faults: local.faults,
          lookup: local.lookup(),
          etcd: local.etcd,
          podLog: (pod, container) => local.podLog(pod, container),
          progress: (line) => say(`[chaos] ${line}`),
          notes: [...lifecycleNotes(local, scenario, opts.durationMs), ...localModeNotes(scenario)],
        });
        writeReport(report, clientLogs, outDir);
      } catch (err) {
        if (abort.signal.aborted) throw new CliError('kemu chaos: interrupted; what the run broke was healed and its clients deleted', 130, { cause: err });
        throw asCliError(err);
      } finally {
        process.off('SIGINT', onSignal);
        writeClient?.close();
        local.close();
      }
    });
}

/** The node lifecycle timings of the cluster's profile, and what they mean for this run. */
function lifecycleNotes(local: LocalChaosContext, scenario: ScenarioName, durationMs: number): string[] {
  const profile = local.plan.profile ?? 'default';
  const cm = PROFILE_TIMINGS[profile].controllerManager;
  const gracePeriodMs = parseDuration(cm.nodeMonitorGracePeriod, 'node-monitor-grace-period');
  const notes = [
    `cluster profile ${profile}: the controller-manager marks a silent node NotReady after ${gracePeriodMs / 1_000} s ` +
      `and evicts its pods ${parseDuration(cm.podEvictionTimeout, 'pod-eviction-timeout') / 1_000} s later`,
  ];
  if ((scenario === 'node-kill' || scenario === 'zone-loss') && durationMs < gracePeriodMs) {
    notes.push(`--duration ${durationMs / 1_000} s is shorter than the grace period: the node may be healed before it is marked NotReady`);
  }
  return notes;
}

/** What the local mode changes about a scenario's numbers. */
function localModeNotes(scenario: ScenarioName): string[] {
  if (scenario !== 'node-kill' && scenario !== 'zone-loss') return [];
  return [
    'local mode: every node agent accepts ClusterIP connections on the one shared loopback, so connections the killed agent ' +
      'was forwarding for clients on other nodes are reset at the kill (ECONNRESET); in container mode a node forwards only its own clients',
  ];
}

function writeReport(report: ChaosReport, clientLogs: ReadonlyArray<{ pod: string; log: string }>, outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  for (const c of clientLogs) writeFileSync(join(outDir, `${c.pod}.log`), c.log);
  const files = { json: join(outDir, 'report.json'), text: join(outDir, 'report.txt'), svg: join(outDir, 'chart.svg'), png: join(outDir, 'chart.png') };
  writeFileSync(files.svg, renderChart(chartOf(report)));
  const png = svgToPng(files.svg, files.png);
  const withFiles: ChaosReport = {
    ...report,
    files: { json: files.json, text: files.text, svg: files.svg, png: png.kind === 'written' ? png.path : null, ...(png.kind === 'skipped' ? { pngNote: png.reason } : {}) },
  };
  const text = formatReport(withFiles);
  writeFileSync(files.json, JSON.stringify(withFiles, null, 2) + '\n');
  writeFileSync(files.text, text);
  process.stdout.write(text);
  say('');
  say(`Report: ${files.text}`);
  say(`        ${files.json}`);
  say(`Chart:  ${files.svg}`);
  say(png.kind === 'written' ? `        ${png.path} (${png.converter})` : `        ${png.reason}`);
}
