// `kemu chaos run`: one scenario under steady traffic, start to report. The driver of the
// pure parts: it owns the clock, the apiserver calls, the faults (through a FaultDriver, so
// the same run works for local processes and for containers) and the waiting.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isApiError, Reason, type KubeClient, type Pod } from '@kemu/api';
import { ClusterWatch } from './cluster-watch.js';
import type { EtcdMembers } from './etcd-members.js';
import { perform, type FaultDriver } from './fault-driver.js';
import { buildReport, type ChaosReport, type FaultRecord } from './report.js';
import { planScenario, SCENARIOS, type FaultStep, type ScenarioName, type ScenarioPlan } from './scenarios.js';
import { resolveTarget, type TargetLookup } from './targets.js';
import { parseClientLog, secondOf, type ClientSecond } from './traffic.js';
import {
  CHAOS_NAMESPACE,
  chaosNamespace,
  CLIENT_SELECTOR,
  clientPod,
  TARGET_NAME,
  TARGET_PORT,
  TARGET_SELECTOR,
  targetDeployment,
  targetService,
  WRITE_PROBE_LEASE,
  writeProbeLease,
} from './workload.js';
import { WriteProbe } from './write-probe.js';

export interface ChaosRunOptions {
  scenario: ScenarioName;
  /** Traffic after the fault, until the heal. */
  durationMs: number;
  /** Traffic before the fault. */
  warmupMs: number;
  /** Traffic after the heal. */
  tailMs: number;
  /** Requests per second, over all clients. */
  rate: number;
  clients: number;
  /** Each client request's deadline; an unanswered request is a `timeout` failure. */
  requestTimeoutMs: number;
  replicas: number;
  pauseMs: number;
  target?: string;
  writeIntervalMs: number;
  /** Ends the run early (Ctrl-C): what was broken is healed, the clients are deleted, the run rejects. */
  signal?: AbortSignal;
}

/** Everything a run needs from the cluster it breaks. */
export interface ChaosEnvironment {
  client: KubeClient;
  /** A client for the write probe: its own connection, a short deadline. */
  writeClient: KubeClient;
  faults: FaultDriver;
  lookup: TargetLookup;
  etcd: EtcdMembers;
  /** A pod container's log as written so far (undefined: not found). */
  podLog: (pod: Pod, container: string) => Promise<string | undefined>;
  progress: (line: string) => void;
  /** Extra lines for the report (e.g. settings of the cluster that shape the result). */
  notes?: string[];
}

export interface ChaosRunResult {
  report: ChaosReport;
  /** The clients' own logs (one JSON line per second), for whoever wants the raw numbers. */
  clientLogs: Array<{ pod: string; node: string; log: string }>;
}

export class ChaosRunError extends Error {
  override readonly name = 'ChaosRunError';
}

const SETUP_TIMEOUT_MS = 120_000;

/** Sleeps, unless the run is aborted (then rejects with ChaosRunError). */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(Math.max(0, ms), undefined, { signal });
  } catch (err) {
    if (signal?.aborted) throw new ChaosRunError('interrupted', { cause: err });
    throw err;
  }
}

/**
 * What a starved or failing-over control plane answers for a while: worth asking again. (A
 * test machine its hypervisor starved held one apiserver call past the CLI's 10 s deadline.)
 */
function transient(err: unknown): boolean {
  return isApiError(err, Reason.Timeout) || isApiError(err, Reason.ServiceUnavailable);
}

/**
 * Waits for `cond` (checked every 250 ms) up to `timeoutMs`; rejects with `what`. A transient
 * apiserver error counts as "not yet" and is named if the wait times out.
 */
async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: () => string, signal: AbortSignal | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await cond()) return;
      lastError = undefined;
    } catch (err) {
      if (!transient(err)) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) {
      const last = lastError === undefined ? '' : ` (last apiserver error: ${(lastError as Error).message})`;
      throw new ChaosRunError(`timed out after ${Math.round(timeoutMs / 1_000)} s: ${what()}${last}`);
    }
    await pause(250, signal);
  }
}

/** Calls `fn` again every 500 ms while it fails transiently, for up to SETUP_TIMEOUT_MS. */
async function retrying<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + SETUP_TIMEOUT_MS;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!transient(err) || Date.now() > deadline) throw err;
    }
    await pause(500, signal);
  }
}

async function createIfAbsent(create: () => Promise<unknown>): Promise<boolean> {
  try {
    await create();
    return true;
  } catch (err) {
    if (isApiError(err, Reason.AlreadyExists)) return false;
    throw err;
  }
}

/** The target Service as the run found or made it. */
interface Target {
  replicas: number;
  clusterIP: string;
  url: string;
}

interface RunningClient {
  pod: Pod;
  node: string;
  rate: number;
}

export function runChaos(o: ChaosRunOptions, env: ChaosEnvironment): Promise<ChaosRunResult> {
  return new ChaosRun(o, env).run();
}

/**
 * One run. Invariant: once a fault was made, the run does not end before its heal was
 * tried (finally), and the client pods it created are deleted whatever happens.
 */
class ChaosRun {
  private readonly runId = randomBytes(3).toString('hex');
  private readonly notes: string[];
  private readonly watch: ClusterWatch;
  private readonly probe: WriteProbe;
  private readonly clients: RunningClient[] = [];
  private readonly faults: FaultRecord[] = [];
  /** Aliases resolved when the fault was made, so that the heal acts on the same process. */
  private readonly resolved = new Map<string, string>();
  private readonly vias = new Map<string, string>();
  private plan: ScenarioPlan | undefined;
  private healPending = false;

  constructor(
    private readonly o: ChaosRunOptions,
    private readonly env: ChaosEnvironment,
  ) {
    this.notes = [...(env.notes ?? [])];
    this.watch = new ClusterWatch({ client: env.client, etcd: env.etcd, namespace: CHAOS_NAMESPACE, service: TARGET_NAME, podSelector: TARGET_SELECTOR });
    this.probe = new WriteProbe({ client: env.writeClient, namespace: CHAOS_NAMESPACE, lease: WRITE_PROBE_LEASE, intervalMs: o.writeIntervalMs });
  }

  async run(): Promise<ChaosRunResult> {
    const { o } = this;
    try {
      const target = await this.setUp();
      const plan = await this.planFault();
      this.plan = plan;
      this.env.progress(`scenario ${o.scenario}: ${plan.description}`);
      await this.startTraffic(target, plan);
      // The clients' first second is partial: the run counts from the next whole second.
      const trafficFrom = secondOf(Date.now()) + 1_000;
      await pause(trafficFrom - Date.now() + o.warmupMs, o.signal);

      const faultAt = await this.inject(plan);
      if (plan.healAfterMs !== undefined) {
        await pause(faultAt + plan.healAfterMs - Date.now(), o.signal);
        await this.heal(plan);
        await pause(faultAt + o.durationMs - Date.now(), o.signal);
      } else {
        await pause(faultAt + o.durationMs - Date.now(), o.signal);
        await this.heal(plan);
      }
      await pause(o.tailMs, o.signal);

      // The clients write each second's line just after the second ends.
      const until = secondOf(Date.now());
      await pause(until + 1_500 - Date.now(), o.signal);
      return await this.report(target, plan, trafficFrom, faultAt, until);
    } finally {
      await this.probe.stop();
      await this.watch.stop();
      if (this.healPending && this.plan) {
        this.env.progress(`the run ${o.signal?.aborted ? 'was interrupted' : 'failed'} after the fault: healing`);
        await this.heal(this.plan);
      }
      for (const c of this.clients) {
        await this.env.client.delete('pods', CHAOS_NAMESPACE, c.pod.metadata?.name ?? '', { gracePeriodSeconds: 0 }).catch(() => undefined);
      }
    }
  }

  /**
   * The target Service, its Deployment (created if absent) and the write probe's Lease; waits
   * until every replica is a Ready endpoint. Its calls ride out a slow or failing-over
   * apiserver: a create repeated after a timeout may find its object made (AlreadyExists).
   */
  private async setUp(): Promise<Target> {
    const { client, progress } = this.env;
    const again = <T>(fn: () => Promise<T>): Promise<T> => retrying(this.o.signal, fn);
    await again(() => createIfAbsent(() => client.create('namespaces', chaosNamespace())));
    if (await again(() => createIfAbsent(() => client.create('deployments', targetDeployment(this.o.replicas))))) {
      progress(`created Deployment ${CHAOS_NAMESPACE}/${TARGET_NAME} (${this.o.replicas} replicas of kemu/echo)`);
    }
    if (await again(() => createIfAbsent(() => client.create('services', targetService())))) progress(`created Service ${CHAOS_NAMESPACE}/${TARGET_NAME}`);
    await again(() => createIfAbsent(() => client.create('leases', writeProbeLease())));
    const replicas = (await again(() => client.get('deployments', CHAOS_NAMESPACE, TARGET_NAME))).spec?.replicas ?? this.o.replicas;
    if (replicas !== this.o.replicas) this.notes.push(`the Deployment existed with ${replicas} replicas (not --replicas ${this.o.replicas}); left as it was`);
    const clusterIP = (await again(() => client.get('services', CHAOS_NAMESPACE, TARGET_NAME))).spec?.clusterIP ?? '';
    if (!clusterIP) throw new ChaosRunError(`Service ${CHAOS_NAMESPACE}/${TARGET_NAME} has no ClusterIP`);
    // Clients of an earlier run that did not finish.
    for (const p of (await again(() => client.list('pods', { namespace: CHAOS_NAMESPACE, labelSelector: CLIENT_SELECTOR }))).items) {
      await client.delete('pods', CHAOS_NAMESPACE, p.metadata?.name ?? '', { gracePeriodSeconds: 0 }).catch(() => undefined);
    }
    await this.watch.start();
    progress(`waiting for ${replicas} Ready endpoints of ${CHAOS_NAMESPACE}/${TARGET_NAME}`);
    await until(
      () => this.watch.readyEndpoints().length >= replicas && this.watch.readyPods().length >= replicas,
      SETUP_TIMEOUT_MS,
      () => `${this.watch.readyEndpoints().length} of ${replicas} endpoints of ${CHAOS_NAMESPACE}/${TARGET_NAME} ready (see kemu get pods -n ${CHAOS_NAMESPACE})`,
      this.o.signal,
    );
    return { replicas, clusterIP, url: `http://${clusterIP}:${TARGET_PORT}/` };
  }

  /**
   * What to break, from the nodes and the target's pods as the watches see them now, and
   * (for a zone loss) what else the driver places in each zone.
   */
  private async planFault(): Promise<ScenarioPlan> {
    const nodes = this.watch.nodes.list().map((n) => ({
      name: n.metadata?.name ?? '',
      zone: n.metadata?.labels?.['topology.kubernetes.io/zone'] ?? '',
      ready: n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
    }));
    const targetPods = this.watch.readyPods().map((p) => ({ name: p.metadata?.name ?? '', node: p.spec?.nodeName ?? '' }));
    const zoneMembers = this.o.scenario === 'zone-loss' ? await this.env.faults.zoneMembers() : new Map<string, string[]>();
    return planScenario(this.o.scenario, { nodes, targetPods, zoneMembers }, { pauseMs: this.o.pauseMs, ...(this.o.target === undefined ? {} : { target: this.o.target }) });
  }

  /** The write probe, and client pods on Ready nodes the fault leaves alone; resolves when every client runs. */
  private async startTraffic(target: Target, plan: ScenarioPlan): Promise<void> {
    const { o } = this;
    const { client, progress } = this.env;
    const nodes = this.watch
      .readyNodes()
      .map((n) => n.metadata?.name ?? '')
      .filter((n) => n && !plan.faultedNodes.includes(n))
      .sort();
    if (nodes.length === 0) throw new ChaosRunError('no Ready node is left for the traffic clients');
    const rate = Math.round((o.rate / o.clients) * 100) / 100;
    // A bound of their own, should the run never get to delete them.
    const durationS = Math.ceil((o.warmupMs + o.durationMs + o.tailMs + o.pauseMs) / 1_000) + 300;
    this.probe.start();
    for (let i = 0; i < o.clients; i++) {
      const node = nodes[i % nodes.length]!;
      const spec = clientPod({ runId: this.runId, index: i, node, url: target.url, rate, timeoutMs: o.requestTimeoutMs, durationS });
      const createOrFind = async (): Promise<Pod> => {
        try {
          return await client.create('pods', spec);
        } catch (err) {
          // The name is this run's own: AlreadyExists means an attempt that timed out got through.
          if (!isApiError(err, Reason.AlreadyExists)) throw err;
          return client.get('pods', CHAOS_NAMESPACE, spec.metadata?.name ?? '');
        }
      };
      const pod = await retrying(o.signal, createOrFind);
      this.clients.push({ pod, node, rate });
    }
    progress(`${o.clients} kemu/client pod(s) on ${[...new Set(this.clients.map((c) => c.node))].join(', ')} sending ${o.rate} requests/s to ${target.url}`);
    await until(
      async () => {
        for (const c of this.clients) {
          const p = await client.get('pods', CHAOS_NAMESPACE, c.pod.metadata?.name ?? '');
          if (p.status?.phase !== 'Running') return false;
          c.pod = p;
        }
        return true;
      },
      60_000,
      () => 'the kemu/client pods are not Running',
      o.signal,
    );
  }

  /**
   * Makes the fault, every target at once: a zone goes down as a whole, as a data centre
   * does, not one container after another (on a loaded podman host five `docker kill`s in a
   * row took about ten seconds, so the zone's etcd member outlived its node by that much).
   * Returns when the first action was taken (aliases are resolved before, so that is the
   * signal's time).
   */
  private async inject(plan: ScenarioPlan): Promise<number> {
    for (const s of plan.inject) {
      if (this.resolved.has(s.target)) continue;
      const r = await resolveTarget(s.target, this.env.lookup);
      this.resolved.set(s.target, r.name);
      if (r.via) this.vias.set(r.name, `${r.via}: `);
    }
    this.healPending = true;
    const times: number[] = [];
    for (const r of await Promise.allSettled(plan.inject.map((step) => this.act(step, 'fault')))) {
      if (r.status === 'rejected') throw r.reason;
      times.push(r.value);
    }
    return Math.min(...times);
  }

  /**
   * Undoes the fault, every target at once (a zone comes back as a whole). A heal that fails
   * is reported, not thrown: the run still has its numbers.
   */
  private async heal(plan: ScenarioPlan): Promise<void> {
    this.healPending = false;
    await Promise.all(
      plan.heal.map(async (step) => {
        try {
          await this.act(step, 'heal');
        } catch (err) {
          const target = this.resolved.get(step.target) ?? step.target;
          this.env.progress(`heal ${step.action} ${target} failed: ${(err as Error).message}`);
          this.notes.push(`heal ${step.action} ${target} failed: ${(err as Error).message}`);
        }
      }),
    );
  }

  /** One action; its record keeps the time it was started (report order is by that time). */
  private async act(step: FaultStep, phase: 'fault' | 'heal'): Promise<number> {
    const target = this.resolved.get(step.target) ?? step.target;
    this.env.progress(`${phase}: ${step.action} ${target}`);
    const at = Date.now();
    const outcome = await perform(this.env.faults, step.action, target);
    this.faults.push({ at, phase, action: step.action, target, detail: `${phase === 'fault' ? (this.vias.get(target) ?? '') : ''}${outcome.detail}` });
    this.faults.sort((a, b) => a.at - b.at);
    return at;
  }

  private async report(target: Target, plan: ScenarioPlan, trafficFrom: number, faultAt: number, until: number): Promise<ChaosRunResult> {
    const { o } = this;
    await this.probe.stop();
    const lines: ClientSecond[][] = [];
    const clientLogs: ChaosRunResult['clientLogs'] = [];
    for (const c of this.clients) {
      const pod = c.pod.metadata?.name ?? '';
      const log = await this.env.podLog(c.pod, 'client');
      if (log === undefined) this.notes.push(`no log found for client ${pod} on ${c.node}`);
      else clientLogs.push({ pod, node: c.node, log });
      lines.push(log === undefined ? [] : parseClientLog(log));
    }
    await this.watch.stop();
    const report = buildReport({
      scenario: o.scenario,
      description: `${SCENARIOS[o.scenario]}: ${plan.description}`,
      driver: this.env.faults.description,
      settings: {
        durationS: o.durationMs / 1_000,
        warmupS: o.warmupMs / 1_000,
        rate: o.rate,
        requestTimeoutS: o.requestTimeoutMs / 1_000,
        pauseS: o.scenario === 'etcd-member-pause' ? o.pauseMs / 1_000 : null,
        tailS: o.tailMs / 1_000,
      },
      service: { namespace: CHAOS_NAMESPACE, name: TARGET_NAME, clusterIP: target.clusterIP, port: TARGET_PORT, url: target.url, replicas: target.replicas },
      clients: this.clients.map((c) => ({ pod: c.pod.metadata?.name ?? '', node: c.node, rate: c.rate })),
      trafficFrom,
      faultAt,
      until,
      faults: this.faults,
      clientLines: lines,
      writes: this.probe.attempts,
      writeIntervalMs: o.writeIntervalMs,
      writeTarget: `Lease ${CHAOS_NAMESPACE}/${WRITE_PROBE_LEASE}`,
      events: this.watch.events,
      etcdLeaders: this.watch.etcdTracker.leaders,
      notes: this.notes,
    });
    return { report, clientLogs };
  }
}
