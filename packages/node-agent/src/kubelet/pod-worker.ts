import type { Pod, Service, core } from '@kemu/api';
import { podSpec } from './api-extensions.js';
import { containerCommand, type WorkloadRuntime } from './container-command.js';
import { containerEnv } from './container-env.js';
import type { KubeletMetrics } from './metrics.js';
import type { PodIPAllocator } from './pod-ip-allocator.js';
import type { PodNetwork } from './pod-network.js';
import type { ContainerRecord, PodRecord, PodStateStore } from './pod-state-store.js';
import type { ContainerStateView, ContainerView, TerminatedInfo } from './pod-status.js';
import { initialProbeState, probeAction, probeSettings, type ProbeKind, type ProbeState } from './probe-state.js';
import { ProbeWorker } from './probe-worker.js';
import { adoptProcess, spawnProcess, type ContainerProcess, type ExitInfo } from './process-runner.js';
import { afterRestart, restartAt, restartPolicy, shouldRestart, type BackoffEntry, type BackoffSettings, type RestartPolicy } from './restart-policy.js';
import { serviceEnv } from './service-env.js';
import { parseTime, type Logger } from '@kemu/common';

/** What a pod worker needs from the kubelet around it. */
export interface PodWorkerHost {
  readonly nodeName: string;
  readonly hostIP: string;
  readonly log: Logger;
  readonly metrics: KubeletMetrics;
  readonly backoff: BackoffSettings;
  readonly runtime: WorkloadRuntime;
  /** PATH and HOME of the agent: what every container's environment starts from. */
  readonly baseEnv: Readonly<Record<string, string>>;
  readonly adoptPollMs: number;
  readonly store: PodStateStore;
  readonly network: PodNetwork;
  readonly ips: PodIPAllocator;
  services(): readonly Service[];
  /** Something in the pod's status may have changed. */
  statusChanged(worker: PodWorker): void;
  /** A terminating pod has no process left. */
  terminated(worker: PodWorker): void;
}

/**
 * `starting`: adopting processes and setting up the pod IP; `running`: containers run
 * and restart per policy; `terminating`: the pod is being deleted, processes are being
 * stopped, nothing starts; `terminated`: every process is gone; `stopped`: the agent
 * stopped (the processes were stopped or left running).
 */
export type PodLifecycle = 'starting' | 'running' | 'terminating' | 'terminated' | 'stopped';

interface ContainerRun {
  readonly spec: core.Container;
  readonly name: string;
  restartCount: number;
  state: ContainerStateView;
  /** The previous instance's end (the status's lastState). */
  lastTerminated?: TerminatedInfo;
  /** Finished for good: its restart policy does not run it again. */
  done: boolean;
  proc?: ContainerProcess;
  /** Bumped for every instance: events of an older instance are ignored. */
  generation: number;
  started: boolean;
  killedByProbe: boolean;
  backoff?: BackoffEntry;
  restartTimer?: NodeJS.Timeout;
  killTimer?: NodeJS.Timeout;
  probes: Partial<Record<ProbeKind, ProbeWorker>>;
  /** The environment of the running instance (exec probes run with it). */
  env: ReadonlyMap<string, string>;
}

const CONTAINER_CREATING: ContainerStateView = { kind: 'waiting', reason: 'ContainerCreating' };
const NETWORK_RETRY_MS = 5_000;

/**
 * Runs one pod on this node: its pod IP, one OS process per container, restarts with
 * back-off, probes, graceful termination. It never writes to the apiserver itself: it
 * tells the host when the status may have changed and when a deleted pod's processes
 * are all gone.
 *
 * Invariants: a container has at most one live process (`proc`), and every spawned or
 * adopted process is in the state file before anything else can happen; nothing starts
 * once the pod is terminating.
 */
export class PodWorker {
  readonly uid: string;
  readonly dir: string;
  lifecycle: PodLifecycle = 'starting';
  podIP: string | undefined;
  readonly startTime: number;
  /** The conditions computed last: lastTransitionTime carries over from them. */
  previousConditions: core.PodCondition[] | undefined;
  private readonly containers: ContainerRun[];
  private readonly policy: RestartPolicy;
  private readonly hostNetwork: boolean;
  private readonly log: Logger;
  private killDeadline = Infinity;
  private killTimer: NodeJS.Timeout | undefined;
  private networkTimer: NodeJS.Timeout | undefined;
  private startup: Promise<void> = Promise.resolve();
  /** Restored containers whose last instance ended while no agent watched: decided once the pod is set up. */
  private pending = new Map<ContainerRun, TerminatedInfo>();
  private released = false;

  constructor(
    public pod: Pod,
    private readonly host: PodWorkerHost,
    private readonly restored?: PodRecord,
  ) {
    const meta = pod.metadata ?? {};
    this.uid = meta.uid ?? '';
    this.dir = host.store.podDir(meta.namespace ?? '', meta.name ?? '', this.uid);
    this.policy = restartPolicy(pod.spec?.restartPolicy);
    this.hostNetwork = podSpec(pod).hostNetwork === true;
    this.log = host.log.child({ pod: `${meta.namespace ?? ''}/${meta.name ?? ''}`, uid: this.uid });
    this.startTime = restored?.startTime ?? parseTime(pod.status?.startTime) ?? Date.now();
    this.previousConditions = pod.status?.conditions;
    this.containers = (pod.spec?.containers ?? []).map((spec) => ({
      spec,
      name: spec.name ?? '',
      restartCount: 0,
      state: CONTAINER_CREATING,
      done: false,
      generation: 0,
      started: false,
      killedByProbe: false,
      probes: {},
      env: new Map(),
    }));
  }

  get namespace(): string {
    return this.pod.metadata?.namespace ?? '';
  }

  get name(): string {
    return this.pod.metadata?.name ?? '';
  }

  /**
   * Adopts the processes a previous agent left (restored state), takes the pod IP, sets
   * up its network, then starts what should run. Call once.
   */
  start(): Promise<void> {
    this.takeIP();
    this.pending = this.restore();
    this.startup = this.run();
    return this.startup;
  }

  /** The pod IP: the node's for a hostNetwork pod, else one from the pod CIDR (the one it had, if it had one). */
  private takeIP(): string | undefined {
    if (this.podIP) return undefined;
    if (this.hostNetwork) {
      this.podIP = this.host.hostIP;
      return undefined;
    }
    try {
      this.podIP = this.host.ips.allocate(this.uid, this.restored?.podIP ?? this.pod.status?.podIP);
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  }

  private async run(): Promise<void> {
    const ipError = this.takeIP();
    if (ipError !== undefined) {
      this.log.error({ err: ipError }, 'kubelet: no pod IP for pod; retrying');
      this.setCreating(`failed to allocate a pod IP: ${ipError}`);
      this.retryStart();
      return;
    }
    this.persist();
    if (!this.hostNetwork && this.podIP) {
      try {
        await this.host.network.setUp(this.podIP);
      } catch (err) {
        this.log.error({ err, podIP: this.podIP }, 'kubelet: pod network setup failed; retrying');
        this.setCreating(`failed to set up the pod network: ${(err as Error).message}`);
        this.retryStart();
        return;
      }
    }
    const pending = this.pending;
    this.pending = new Map();
    if (this.lifecycle !== 'starting') {
      for (const [c, t] of pending) c.state = { kind: 'terminated', info: t };
      this.checkGone();
      return;
    }
    this.lifecycle = 'running';
    this.host.metrics.startedPods.inc();
    for (const c of this.containers) {
      const exit = pending.get(c);
      if (exit) this.afterExit(c, exit, false);
      else if (!c.proc && !c.done && c.state.kind === 'waiting' && !c.lastTerminated) this.startContainer(c);
    }
    this.persist();
    this.host.statusChanged(this);
  }

  private retryStart(): void {
    this.host.statusChanged(this);
    this.networkTimer = setTimeout(() => {
      if (this.lifecycle !== 'starting') return this.checkGone();
      this.startup = this.run();
    }, NETWORK_RETRY_MS);
  }

  private setCreating(message: string): void {
    for (const c of this.containers) if (!c.proc && c.state.kind === 'waiting') c.state = { kind: 'waiting', reason: 'ContainerCreating', message };
  }

  /**
   * Takes over what the state file says: live processes are adopted, finished
   * containers stay finished. Returns the containers whose last instance ended while no
   * agent watched (their restart policy decides once the pod is set up).
   */
  private restore(): Map<ContainerRun, TerminatedInfo> {
    const pending = new Map<ContainerRun, TerminatedInfo>();
    const records = this.restored?.containers ?? {};
    for (const c of this.containers) {
      const r: ContainerRecord | undefined = records[c.name];
      if (!r) continue;
      c.restartCount = r.restartCount;
      c.lastTerminated = r.lastTerminated;
      if (r.terminated) {
        c.state = { kind: 'terminated', info: r.terminated };
        c.done = true;
      } else if (r.running) {
        const proc = adoptProcess(r.running.pid, r.running.startTicks, this.host.adoptPollMs);
        if (proc) {
          this.log.info({ container: c.name, pid: proc.pid }, 'kubelet: adopted running container process');
          const env = this.environment(c);
          this.attach(c, proc, r.running.startedAt, env.ok ? env.env : new Map(Object.entries(this.host.baseEnv)), true);
        } else {
          pending.set(c, {
            exitCode: 137,
            reason: 'ContainerStatusUnknown',
            message: 'The container process ended while the node agent was not running; its exit status is unknown',
            startedAt: r.running.startedAt,
            finishedAt: Date.now(),
            pid: r.running.pid,
          });
        }
      } else if (r.lastTerminated) {
        // It ended (or was stopped with the agent) and has not run since.
        c.lastTerminated = undefined;
        pending.set(c, r.lastTerminated);
      }
    }
    return pending;
  }

  /** A newer version of the pod from the apiserver. */
  update(pod: Pod): void {
    this.pod = pod;
    const meta = pod.metadata ?? {};
    if (meta.deletionTimestamp) {
      this.terminate(meta.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30);
    }
  }

  /**
   * Stops every process: SIGTERM to each process group, SIGKILL once `graceSeconds` have
   * passed (a later call may shorten that, never lengthen it). Nothing restarts after.
   */
  terminate(graceSeconds: number): void {
    if (this.lifecycle === 'stopped' || this.lifecycle === 'terminated') return;
    const deadline = Date.now() + Math.max(0, graceSeconds) * 1000;
    if (this.lifecycle === 'terminating') {
      if (deadline < this.killDeadline) this.armKill(deadline);
      return;
    }
    this.lifecycle = 'terminating';
    this.log.info({ graceSeconds }, 'kubelet: terminating pod');
    clearTimeout(this.networkTimer);
    for (const c of this.containers) {
      clearTimeout(c.restartTimer);
      c.restartTimer = undefined;
      c.probes.liveness?.stop();
      c.probes.startup?.stop();
      if (graceSeconds > 0) c.proc?.signal('SIGTERM');
    }
    this.armKill(deadline);
    this.host.statusChanged(this);
    this.checkGone();
  }

  /** The pod is gone from the apiserver: kill everything at once. */
  kill(): void {
    this.terminate(0);
  }

  private armKill(deadline: number): void {
    this.killDeadline = deadline;
    clearTimeout(this.killTimer);
    const fire = (): void => {
      for (const c of this.containers) c.proc?.signal('SIGKILL');
    };
    if (deadline <= Date.now()) fire();
    else this.killTimer = setTimeout(fire, deadline - Date.now());
  }

  private checkGone(): void {
    if (this.lifecycle !== 'terminating') return;
    if (this.containers.some((c) => c.proc)) return;
    this.lifecycle = 'terminated';
    clearTimeout(this.killTimer);
    this.persist();
    this.host.terminated(this);
  }

  /**
   * The agent stops: timers and probes end; with `stopPods` every process is stopped
   * (SIGTERM, SIGKILL after `graceMs`) and this resolves when all are gone, otherwise
   * they are left running for the next agent to adopt.
   */
  async stop(stopPods: boolean, graceMs: number): Promise<void> {
    const wasTerminal = this.lifecycle === 'terminated';
    this.lifecycle = 'stopped';
    clearTimeout(this.killTimer);
    clearTimeout(this.networkTimer);
    for (const c of this.containers) {
      clearTimeout(c.restartTimer);
      clearTimeout(c.killTimer);
      this.stopProbes(c);
    }
    const running = this.containers.filter((c) => c.proc);
    if (!stopPods || wasTerminal) {
      for (const c of running) c.proc?.detach();
      return;
    }
    const exits = running.map((c) => c.proc!.exited);
    for (const c of running) c.proc?.signal('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((r) => (timer = setTimeout(r, graceMs)));
    await Promise.race([Promise.all(exits), graceOver]);
    clearTimeout(timer);
    for (const c of this.containers) c.proc?.signal('SIGKILL');
    await Promise.all(exits);
    // The exit handlers ran before this line (they were attached first).
    this.persist();
  }

  /**
   * Gives back what the pod held on the node once it is gone: the pod IP, its network
   * setup, its directory. Idempotent.
   */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.startup.catch(() => undefined);
    clearTimeout(this.networkTimer);
    if (!this.hostNetwork && this.podIP) {
      this.host.ips.release(this.uid);
      await this.host.network.tearDown(this.podIP);
    }
    this.host.store.remove(this.dir);
  }

  runningContainers(): number {
    return this.containers.filter((c) => c.proc).length;
  }

  /** Container pids (tests and diagnostics). */
  pids(): Record<string, number | undefined> {
    return Object.fromEntries(this.containers.map((c) => [c.name, c.proc?.pid]));
  }

  /** The containers as the status reports them. */
  containerViews(): ContainerView[] {
    return this.containers.map((c) => {
      const running = c.proc !== undefined && c.state.kind === 'running';
      const readiness = c.probes.readiness;
      const started = running && c.started;
      return {
        name: c.name,
        image: c.spec.image ?? '',
        state: c.state,
        ...(c.lastTerminated ? { lastTerminated: c.lastTerminated } : {}),
        restartCount: c.restartCount,
        started,
        ready: started && (c.spec.readinessProbe ? readiness?.result === 'success' : true),
      };
    });
  }

  get restartPolicy(): RestartPolicy {
    return this.policy;
  }

  private environment(c: ContainerRun): ReturnType<typeof containerEnv> {
    const services = serviceEnv(this.host.services(), this.namespace, podSpec(this.pod).enableServiceLinks !== false);
    return containerEnv({
      pod: this.pod,
      container: c.spec,
      nodeName: this.host.nodeName,
      podIP: this.podIP ?? '',
      hostIP: this.host.hostIP,
      services,
      base: this.host.baseEnv,
    });
  }

  private startContainer(c: ContainerRun): void {
    if (this.lifecycle !== 'running' || c.proc) return;
    const env = this.environment(c);
    if (!env.ok) return this.cannotStart(c, 'CreateContainerConfigError', env.message);
    const cmd = containerCommand(c.spec, env.vars, this.host.runtime);
    if (!cmd.ok) return this.cannotStart(c, cmd.reason, cmd.message);
    const startedAt = Date.now();
    let r: ReturnType<typeof spawnProcess>;
    try {
      this.host.store.ensurePodDir(this.dir);
      r = spawnProcess({ file: cmd.file, args: cmd.args, env: env.env, cwd: c.spec.workingDir || this.dir, logPath: this.host.store.logPath(this.dir, c.name) });
    } catch (err) {
      r = { ok: false, error: Promise.resolve((err as Error).message) };
    }
    if (!r.ok) {
      const gen = ++c.generation;
      void r.error.then((message) => {
        if (gen !== c.generation) return;
        this.log.warn({ container: c.name, message }, 'kubelet: container failed to start');
        this.afterExit(c, { exitCode: 128, reason: 'StartError', message, startedAt, finishedAt: Date.now() }, false);
      });
      return;
    }
    this.host.metrics.startedContainers.inc();
    this.log.info({ container: c.name, pid: r.proc.pid, file: cmd.file }, 'kubelet: started container');
    this.attach(c, r.proc, startedAt, env.env, false);
  }

  private cannotStart(c: ContainerRun, reason: string, message: string): void {
    this.log.warn({ container: c.name, reason, message }, 'kubelet: cannot start container');
    c.state = { kind: 'waiting', reason, message };
    this.host.statusChanged(this);
  }

  private attach(c: ContainerRun, proc: ContainerProcess, startedAt: number, env: ReadonlyMap<string, string>, adopted: boolean): void {
    const gen = ++c.generation;
    c.proc = proc;
    c.env = env;
    c.state = { kind: 'running', startedAt, pid: proc.pid };
    c.killedByProbe = false;
    const before = adopted ? this.pod.status?.containerStatuses?.find((s) => s.name === c.name) : undefined;
    c.started = c.spec.startupProbe ? before?.started === true : true;
    this.persist();
    this.startProbes(c, gen, startedAt, before?.ready === true);
    this.host.statusChanged(this);
    void proc.exited.then((info) => {
      if (gen !== c.generation) return;
      this.onExit(c, terminatedInfo(info, startedAt, proc.pid));
    });
  }

  private onExit(c: ContainerRun, t: TerminatedInfo): void {
    c.generation++;
    this.stopProbes(c);
    clearTimeout(c.killTimer);
    c.proc = undefined;
    c.started = false;
    const killedByProbe = c.killedByProbe;
    c.killedByProbe = false;
    this.log.info({ container: c.name, exitCode: t.exitCode, signal: t.signal, reason: t.reason }, 'kubelet: container exited');
    if (this.lifecycle === 'terminating' || this.lifecycle === 'stopped') {
      c.state = { kind: 'terminated', info: t };
      if (this.lifecycle === 'terminating') {
        this.persist();
        this.host.statusChanged(this);
        this.checkGone();
      }
      return;
    }
    this.afterExit(c, t, killedByProbe);
  }

  /** A container instance ended while the pod runs: restart it per policy and back-off, or leave it finished. */
  private afterExit(c: ContainerRun, t: TerminatedInfo, killedByProbe: boolean): void {
    if (this.lifecycle !== 'running') {
      c.state = { kind: 'terminated', info: t };
      this.persist();
      return;
    }
    if (!shouldRestart(this.policy, t.exitCode, killedByProbe)) {
      c.state = { kind: 'terminated', info: t };
      c.done = true;
      this.persist();
      this.host.statusChanged(this);
      return;
    }
    c.lastTerminated = t;
    const at = restartAt(c.backoff, t.finishedAt, this.host.backoff);
    const now = Date.now();
    if (at <= now) {
      this.restart(c, t.finishedAt);
      return;
    }
    const seconds = Math.round((at - t.finishedAt) / 1000);
    c.state = {
      kind: 'waiting',
      reason: 'CrashLoopBackOff',
      message: `back-off ${seconds}s restarting failed container=${c.name} pod=${this.name}_${this.namespace}(${this.uid})`,
    };
    c.restartTimer = setTimeout(() => this.restart(c, t.finishedAt), at - now);
    this.persist();
    this.host.statusChanged(this);
  }

  private restart(c: ContainerRun, finishedAt: number): void {
    c.restartTimer = undefined;
    if (this.lifecycle !== 'running') return;
    c.backoff = afterRestart(c.backoff, finishedAt, Date.now(), this.host.backoff);
    c.restartCount++;
    this.host.metrics.containerRestarts.inc();
    this.startContainer(c);
    if (!c.proc) this.persist();
  }

  private startProbes(c: ContainerRun, gen: number, startedAt: number, wasReady: boolean): void {
    const kinds: [ProbeKind, core.Probe | undefined][] = [
      ['startup', c.spec.startupProbe],
      ['liveness', c.spec.livenessProbe],
      ['readiness', c.spec.readinessProbe],
    ];
    for (const [kind, probe] of kinds) {
      if (!probe) continue;
      const settings = probeSettings(probe, kind);
      const initial: ProbeState | undefined =
        kind === 'readiness' && wasReady ? { ...initialProbeState(kind), result: 'success' } : kind === 'startup' && c.started ? { ...initialProbeState(kind), result: 'success' } : undefined;
      const worker = new ProbeWorker({
        kind,
        settings,
        action: probeAction(probe, c.spec, this.podIP ?? this.host.hostIP),
        exec: { env: c.env, cwd: c.spec.workingDir || this.dir },
        startedAt,
        initial,
        gate: () => kind === 'startup' || c.started,
        onResult: (state, changed, run) => {
          if (gen !== c.generation) return;
          this.host.metrics.probes.inc({ probe_type: kind, result: run.outcome === 'success' ? 'successful' : 'failed' });
          if (run.outcome === 'failure') this.log.debug({ container: c.name, probe: kind, message: run.message }, 'kubelet: probe failed');
          if (changed) this.onProbeChange(c, kind, state, probe);
        },
      });
      c.probes[kind] = worker;
      worker.start();
    }
  }

  private onProbeChange(c: ContainerRun, kind: ProbeKind, state: ProbeState, probe: core.Probe): void {
    switch (kind) {
      case 'readiness':
        this.host.statusChanged(this);
        return;
      case 'startup':
      case 'liveness':
        if (state.result === 'success') {
          if (kind === 'startup') {
            c.started = true;
            c.probes.readiness?.trigger();
            this.host.statusChanged(this);
          }
          return;
        }
        if (state.result !== 'failure' || !c.proc || this.lifecycle !== 'running') return;
        this.log.info({ container: c.name, probe: kind }, `kubelet: container failed ${kind} probe, will be restarted`);
        c.killedByProbe = true;
        this.stopContainer(c, probe.terminationGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30);
        return;
    }
  }

  /** SIGTERM to one container's process group, SIGKILL after the grace period. */
  private stopContainer(c: ContainerRun, graceSeconds: number): void {
    const proc = c.proc;
    if (!proc) return;
    proc.signal('SIGTERM');
    clearTimeout(c.killTimer);
    c.killTimer = setTimeout(() => {
      if (c.proc === proc) proc.signal('SIGKILL');
    }, Math.max(0, graceSeconds) * 1000);
  }

  private stopProbes(c: ContainerRun): void {
    for (const p of Object.values(c.probes)) p.stop();
    c.probes = {};
  }

  private persist(): void {
    if (this.released) return;
    const containers: Record<string, ContainerRecord> = {};
    for (const c of this.containers) {
      const r: ContainerRecord = { restartCount: c.restartCount };
      if (c.proc && c.state.kind === 'running') r.running = { pid: c.proc.pid, startTicks: c.proc.startTicks, startedAt: c.state.startedAt };
      if (c.done && c.state.kind === 'terminated') {
        r.terminated = c.state.info;
        if (c.lastTerminated) r.lastTerminated = c.lastTerminated;
      } else if (!c.proc && c.state.kind === 'terminated') {
        r.lastTerminated = c.state.info;
      } else if (c.lastTerminated) {
        r.lastTerminated = c.lastTerminated;
      }
      containers[c.name] = r;
    }
    const record: PodRecord = {
      version: 1,
      uid: this.uid,
      namespace: this.namespace,
      name: this.name,
      ...(this.podIP && !this.hostNetwork ? { podIP: this.podIP } : {}),
      startTime: this.startTime,
      containers,
    };
    try {
      this.host.store.save(this.dir, record);
    } catch (err) {
      this.log.error({ err }, 'kubelet: could not write pod state file');
    }
  }
}

function terminatedInfo(info: ExitInfo, startedAt: number, pid: number): TerminatedInfo {
  switch (info.kind) {
    case 'exited':
      return { exitCode: info.code, reason: info.code === 0 ? 'Completed' : 'Error', startedAt, finishedAt: info.finishedAt, pid };
    case 'signaled':
      return { exitCode: 128 + info.signal, signal: info.signal, reason: 'Error', startedAt, finishedAt: info.finishedAt, pid };
    case 'unknown':
      return {
        exitCode: 137,
        reason: 'ContainerStatusUnknown',
        message: 'The container process was started by an earlier node agent; its exit status is unknown',
        startedAt,
        finishedAt: info.finishedAt,
        pid,
      };
  }
}
