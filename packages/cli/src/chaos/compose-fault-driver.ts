// Faults for the container cluster of docker-compose.yml: every target is a compose service
// (one container each), and a fault is what the engine does to a container: docker kill,
// pause/unpause, stop, start, network disconnect/connect. Works with Docker Engine and with
// podman behind its Docker API (scripts/containers/setup-podman.sh), through the docker CLI.
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { FaultError, type FaultAction, type FaultDriver, type FaultOutcome } from './fault-driver.js';

const run = promisify(execFile);

/** Runs the engine's CLI; resolves with stdout, rejects with its stderr. */
export type EngineCli = (args: string[]) => Promise<string>;

export function dockerCli(command = process.env['KEMU_DOCKER'] ?? 'docker'): EngineCli {
  return async (args) => {
    try {
      const { stdout } = await run(command, args, { timeout: 60_000, maxBuffer: 16 << 20 });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new FaultError(`${command} ${args.join(' ')}: ${(e.stderr ?? '').trim() || e.message}`, { cause: err });
    }
  };
}

/** One container of the project, as `docker ps` lists it. */
export interface ComposeContainer {
  id: string;
  name: string;
  service: string;
  state: string;
  /** Its `io.kemu.zone` label ('' without one): where docker-compose.yml places it. */
  zone: string;
}

/** The label docker-compose.yml places each service in a zone with. */
export const ZONE_LABEL = 'io.kemu.zone';

/** `docker ps --format '{{.ID}}\t{{.Names}}\t{{.Label "com.docker.compose.service"}}\t{{.State}}\t{{.Label "io.kemu.zone"}}'` lines. */
export function parseContainerList(out: string): ComposeContainer[] {
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [id = '', name = '', service = '', state = '', zone = ''] = l.split('\t');
      return { id, name, service, state: state.toLowerCase(), zone: zone === '<no value>' ? '' : zone };
    })
    .filter((c) => c.id && c.service);
}

/** A container's attachments, from `docker inspect --format '{{json .NetworkSettings.Networks}}'`. */
export function parseNetworks(json: string): Array<{ network: string; ip: string }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.trim() || '{}');
  } catch {
    throw new FaultError(`cannot read the container's networks from ${JSON.stringify(json.slice(0, 200))}`);
  }
  if (parsed === null || typeof parsed !== 'object') return [];
  return Object.entries(parsed as Record<string, { IPAddress?: string }>).map(([network, s]) => ({ network, ip: s?.IPAddress ?? '' }));
}

/** docker-compose's project name for a directory: lower case, letters, digits, - and _ only. */
export function composeProjectName(dirName: string): string {
  return dirName.toLowerCase().replace(/[^a-z0-9_-]/g, '');
}

export interface ComposeFaultDriverOptions {
  /** The compose project (its containers carry label com.docker.compose.project=<project>). */
  project: string;
  cli?: EngineCli;
  /** How long a started container may take to become healthy. */
  readyTimeoutMs?: number;
  /** Services that are not targets (one-shot jobs such as the demo). */
  exclude?: readonly string[];
}

/**
 * Contract of FaultDriver, for containers. A node's pods are processes inside its container,
 * so every action on a node acts on its pods too. partition disconnects the container from
 * every network it is on and unpartition connects it again with the same addresses (the
 * cluster's addresses are static).
 */
export class ComposeFaultDriver implements FaultDriver {
  readonly description: string;
  private readonly cli: EngineCli;
  private readonly readyTimeoutMs: number;
  private readonly exclude: ReadonlySet<string>;
  private known: ComposeContainer[] = [];
  /** Networks a partitioned target was taken off, to put it back on with the same IP. */
  private readonly detached = new Map<string, Array<{ network: string; ip: string }>>();

  constructor(private readonly o: ComposeFaultDriverOptions) {
    this.cli = o.cli ?? dockerCli();
    this.readyTimeoutMs = o.readyTimeoutMs ?? 120_000;
    this.exclude = new Set(o.exclude ?? ['demo']);
    this.description = `docker compose project ${o.project} (containers)`;
  }

  /** Reads the project's containers; call before targets() and again whenever they may have changed. */
  async refresh(): Promise<ComposeContainer[]> {
    const out = await this.cli([
      'ps', '-a',
      '--filter', `label=com.docker.compose.project=${this.o.project}`,
      '--format', `{{.ID}}\t{{.Names}}\t{{.Label "com.docker.compose.service"}}\t{{.State}}\t{{.Label "${ZONE_LABEL}"}}`,
    ]);
    this.known = parseContainerList(out).filter((c) => !this.exclude.has(c.service));
    return this.known;
  }

  targets(): string[] {
    return this.known.map((c) => c.service).sort();
  }

  async zoneMembers(): Promise<Map<string, string[]>> {
    const zones = new Map<string, string[]>();
    for (const c of await this.refresh()) {
      if (!c.zone || this.isNode(c.service)) continue;
      let members = zones.get(c.zone);
      if (!members) zones.set(c.zone, (members = []));
      members.push(c.service);
    }
    for (const members of zones.values()) members.sort();
    return zones;
  }

  /** Runs a command in a service's container; resolves with its stdout. */
  async exec(service: string, command: string[]): Promise<string> {
    const c = await this.container(service);
    return this.cli(['exec', c.name, ...command]);
  }

  async kill(target: string): Promise<FaultOutcome> {
    const c = await this.container(target);
    if (!(await this.running(c))) return this.outcome('kill', target, `${target} (${c.name}) was not running`);
    await this.cli(['kill', '--signal', 'KILL', c.name]);
    return this.outcome('kill', target, `docker kill ${c.name} (SIGKILL to every process in it${this.isNode(target) ? ', the node agent and its pods' : ''})`);
  }

  async term(target: string): Promise<FaultOutcome> {
    const c = await this.container(target);
    if (!(await this.running(c))) return this.outcome('term', target, `${target} (${c.name}) was not running`);
    const t0 = Date.now();
    await this.cli(['stop', '--time', '10', c.name]);
    return this.outcome('term', target, `docker stop ${c.name} (SIGTERM, SIGKILL after 10 s): stopped after ${((Date.now() - t0) / 1_000).toFixed(1)} s`);
  }

  async stop(target: string): Promise<FaultOutcome> {
    const c = await this.container(target);
    await this.cli(['pause', c.name]);
    return this.outcome('stop', target, `docker pause ${c.name} (every process in it frozen${this.isNode(target) ? ', pods included' : ''})`);
  }

  async cont(target: string): Promise<FaultOutcome> {
    const c = await this.container(target);
    await this.cli(['unpause', c.name]);
    return this.outcome('cont', target, `docker unpause ${c.name}`);
  }

  async restart(target: string): Promise<FaultOutcome> {
    const c = await this.container(target);
    const state = await this.state(c);
    if (state.status === 'paused') await this.cli(['unpause', c.name]);
    const killed = state.running ? `docker kill ${c.name}; ` : '';
    if (state.running) await this.cli(['kill', '--signal', 'KILL', c.name]);
    // A restart policy may already be bringing it back: start is then a no-op.
    await this.cli(['start', c.name]);
    const t0 = Date.now();
    const health = await this.waitHealthy(c);
    return this.outcome('restart', target, `${killed}docker start ${c.name}: ${health} after ${((Date.now() - t0) / 1_000).toFixed(1)} s`);
  }

  async partition(target: string): Promise<FaultOutcome> {
    const c = await this.container(target);
    const nets = parseNetworks(await this.cli(['inspect', '--format', '{{json .NetworkSettings.Networks}}', c.name]));
    if (nets.length === 0) throw new FaultError(`${target} (${c.name}) is on no network: nothing to partition`);
    for (const n of nets) await this.cli(['network', 'disconnect', n.network, c.name]);
    this.detached.set(target, [...(this.detached.get(target) ?? []), ...nets]);
    return this.outcome('partition', target, `docker network disconnect ${nets.map((n) => `${n.network} (${n.ip})`).join(', ')} ${c.name}`);
  }

  async unpartition(target: string): Promise<FaultOutcome> {
    const c = await this.container(target);
    const nets = this.detached.get(target);
    if (!nets) throw new FaultError(`${target} was not partitioned by this run: nothing to reconnect`);
    for (const n of nets) await this.cli(['network', 'connect', ...(n.ip ? ['--ip', n.ip] : []), n.network, c.name]);
    this.detached.delete(target);
    return this.outcome('unpartition', target, `docker network connect ${nets.map((n) => `${n.network} (${n.ip})`).join(', ')} ${c.name}`);
  }

  private isNode(target: string): boolean {
    return /^node-\d+$/.test(target);
  }

  private async container(target: string): Promise<ComposeContainer> {
    let c = this.known.find((k) => k.service === target);
    if (!c) c = (await this.refresh()).find((k) => k.service === target);
    if (!c) {
      const names = this.targets();
      throw new FaultError(
        names.length
          ? `no service named "${target}" in compose project ${this.o.project} (known: ${names.join(', ')}, etcd-leader, controller-manager-active)`
          : `compose project ${this.o.project} has no containers: bring it up with docker-compose up -d (or name the project with --compose-project)`,
      );
    }
    return c;
  }

  private async state(c: ComposeContainer): Promise<{ status: string; running: boolean; health: string }> {
    const out = (await this.cli(['inspect', '--format', '{{.State.Status}} {{.State.Running}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}', c.name])).trim();
    const [status = '', running = '', health = ''] = out.split(/\s+/);
    return { status, running: running === 'true', health };
  }

  private async running(c: ComposeContainer): Promise<boolean> {
    return (await this.state(c)).running;
  }

  /** Until the engine calls it healthy (or, without a healthcheck, running). */
  private async waitHealthy(c: ComposeContainer): Promise<string> {
    const deadline = Date.now() + this.readyTimeoutMs;
    let last = { status: '', running: false, health: '' };
    while (Date.now() < deadline) {
      last = await this.state(c);
      if (last.health === 'healthy' || (last.health === 'none' && last.running)) return last.health === 'none' ? 'running' : 'healthy';
      await sleep(500);
    }
    throw new FaultError(
      `${c.service} (${c.name}) started but is not healthy after ${this.readyTimeoutMs / 1_000} s (state ${last.status}, health ${last.health}; see docker logs ${c.name})`,
    );
  }

  private outcome(action: FaultAction, target: string, detail: string): FaultOutcome {
    return { action, target, detail };
  }
}
