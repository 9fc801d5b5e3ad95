// The clusters `kemu chaos` breaks (loaded only when a chaos command runs): the local
// processes of a state dir, or with --compose the containers of docker-compose.yml.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isApiError, KubeClient, type Pod } from '@kemu/api';
import { parseDuration } from '@kemu/common';
import type { ChaosCluster } from '../chaos/chaos-cluster.js';
import { ComposeChaosContext } from '../chaos/compose-context.js';
import { ChaosRunError } from '../chaos/run.js';
import { EtcdMembers } from '../chaos/etcd-members.js';
import { FaultError } from '../chaos/fault-driver.js';
import { LocalFaultDriver } from '../chaos/local-fault-driver.js';
import { ScenarioError, type ScenarioName } from '../chaos/scenarios.js';
import { ClusterTargetLookup } from '../chaos/target-lookup.js';
import { TargetError } from '../chaos/targets.js';
import { CliError } from '../cli-error.js';
import { adminToken, openContext, type CliContext } from '../context.js';
import { PROFILE_TIMINGS } from '../lifecycle/profiles.js';
import { planOf, type ClusterPlan } from '../plan.js';

/** The flags that say which cluster a chaos command acts on. */
export interface ClusterFlags {
  stateDir: string;
  compose?: boolean;
  composeProject?: string;
}

export function chaosCluster(f: ClusterFlags): ChaosCluster {
  return f.compose ? new ComposeChaosContext({ ...(f.composeProject ? { project: f.composeProject } : {}), stateDir: f.stateDir }) : new LocalChaosContext(f.stateDir);
}

/** The local cluster of a state dir, seen as chaos needs it. */
export class LocalChaosContext implements ChaosCluster {
  readonly stateDir: string;
  readonly plan: ClusterPlan;
  readonly etcd: EtcdMembers;
  readonly faults: LocalFaultDriver;
  private ctx: CliContext | undefined;

  constructor(stateDir: string) {
    this.stateDir = resolve(stateDir);
    if (!existsSync(join(this.stateDir, 'processes.json'))) {
      throw new CliError(`no cluster in ${this.stateDir}: ${join(this.stateDir, 'processes.json')} does not exist (start one with kemu up, or pass --state-dir; --compose acts on the docker-compose cluster)`);
    }
    this.plan = planOf(this.stateDir);
    this.etcd = new EtcdMembers(this.plan.etcd.map((m) => ({ name: m.name, endpoint: m.client })));
    this.faults = new LocalFaultDriver({ stateDir: this.stateDir, nodeNames: this.plan.nodes.map((n) => n.name) });
  }

  /** The apiserver client, opened on first use. */
  private api(): CliContext {
    this.ctx ??= openContext({ stateDir: this.stateDir });
    return this.ctx;
  }

  client(): KubeClient {
    return this.api().client;
  }

  writeClient(): KubeClient {
    return new KubeClient({ endpoints: this.api().servers, token: adminToken(this.stateDir) ?? '', timeoutMs: 2_000 });
  }

  lookup(): ClusterTargetLookup {
    return new ClusterTargetLookup({ etcd: this.etcd, client: this.client(), controllerManagers: this.plan.controllerManagers });
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

  /** The node lifecycle timings of the cluster's profile, what they mean for this run, and what the local mode changes. */
  async notes(scenario: ScenarioName, durationMs: number): Promise<string[]> {
    const profile = this.plan.profile ?? 'default';
    const cm = PROFILE_TIMINGS[profile].controllerManager;
    const gracePeriodMs = parseDuration(cm.nodeMonitorGracePeriod, 'node-monitor-grace-period');
    const notes = [
      `cluster profile ${profile}: the controller-manager marks a silent node NotReady after ${gracePeriodMs / 1_000} s ` +
        `and evicts its pods ${parseDuration(cm.podEvictionTimeout, 'pod-eviction-timeout') / 1_000} s later`,
    ];
    const nodeLoss = scenario === 'node-kill' || scenario === 'zone-loss';
    if (nodeLoss && durationMs < gracePeriodMs) {
      notes.push(`--duration ${durationMs / 1_000} s is shorter than the grace period: the node may be healed before it is marked NotReady`);
    }
    if (nodeLoss) {
      notes.push(
        'local mode: every node agent accepts ClusterIP connections on the one shared loopback, so connections the killed agent ' +
          'was forwarding for clients on other nodes are reset at the kill (ECONNRESET); in container mode a node forwards only its own clients',
      );
    }
    return notes;
  }

  reportDir(name: string): string {
    return join(this.stateDir, 'chaos', name);
  }

  close(): void {
    this.etcd.close();
    this.ctx?.client.close();
  }
}

/** Errors a chaos command reports as a plain message. */
export function asCliError(err: unknown): unknown {
  if (err instanceof FaultError || err instanceof TargetError || err instanceof ScenarioError || err instanceof ChaosRunError) return new CliError(`kemu chaos: ${err.message}`, 1, { cause: err });
  if (isApiError(err)) return new CliError(`kemu chaos: ${err.message}`, 1, { cause: err });
  return err;
}
