import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Informer, isApiError, KubeClient, Reason, type InformerHandlers, type Pod, type Service, type core } from '@kemu/api';
import type { Logger } from '@kemu/common';
import type { Registry } from 'prom-client';
import { SCHEMA, type NodeInfo } from './api-extensions.js';
import { KubeletMetrics } from './metrics.js';
import { NodeLeaseRenewer } from './node-lease-renewer.js';
import { NodeRegistration } from './node-registration.js';
import { PodIPAllocator } from './pod-ip-allocator.js';
import { podNetwork, type NetworkMode, type PodNetwork } from './pod-network.js';
import { PodStateStore, type PodRecord } from './pod-state-store.js';
import { computePodStatus } from './pod-status.js';
import { PodStatusSync, type KubeletClient } from './pod-status-sync.js';
import { PodWorker, type PodWorkerHost } from './pod-worker.js';
import { isSameProcess, signalGroup } from './process-runner.js';
import { DEFAULT_BACKOFF, type BackoffSettings } from './restart-policy.js';

/** The pods bound to this node, as an Informer<'pods'> with a spec.nodeName field selector provides them. */
export interface PodSource {
  on(h: InformerHandlers<Pod>): unknown;
  start(): unknown;
  stop(): void;
  waitForSync(): Promise<void>;
  list(): Pod[];
}

/** The shared Services informer (started by the caller): Service environment variables come from it. */
export interface ServiceLister {
  list(): Service[];
  waitForSync(): Promise<void>;
}

export interface KubeletOptions {
  /** A KubeClient; anything with its methods when `pods` is given too (tests). */
  client: KubeletClient;
  /**
   * For the heartbeats (node status and Lease), as the kubelet's heartbeat client: one
   * whose calls end within a lease's length, so a renewal stuck on a dead apiserver is
   * retried elsewhere before the node is declared unreachable. Default `client`.
   */
  heartbeatClient?: KubeletClient;
  nodeName: string;
  nodeIP: string;
  zone: string;
  /** e.g. 127.244.1.0/24; pod IPs are .2 to .254. */
  podCIDR: string;
  /** Per-node state: `pods/<namespace>_<name>_<uid>/{state.json,<container>.log}`. */
  rootDir: string;
  networkMode: NetworkMode;
  /** dist/workloads/main.js: what images kemu/echo, kemu/tcp-echo, kemu/udp-echo, kemu/client run. */
  workloadsMain: string;
  services: ServiceLister;
  leaseDurationSeconds?: number;
  leaseRenewIntervalMs?: number;
  nodeStatusUpdateFrequencyMs?: number;
  /** An unchanged node status is written this often anyway (Kubernetes: 5 minutes). */
  nodeStatusReportFrequencyMs?: number;
  capacity?: { cpu: string; memory: string; pods: string };
  log: Logger;
  registry?: Registry;
  /** Where bound pods come from; default an Informer on `client` (which must then be a KubeClient). */
  pods?: PodSource;
  /** Crash-loop back-off; default 10 s doubling to 300 s. */
  restartBackoff?: BackoffSettings;
  /** stop({ stopPods: true }): SIGKILL after this long (default 5 s). */
  stopPodsGraceMs?: number;
  /** How often a process adopted from an earlier agent is checked (default 1 s). */
  adoptPollMs?: number;
  /** Replaces the network setup networkMode selects (tests). */
  podNetwork?: PodNetwork;
}

const KUBELET_VERSION = 'v1.31.0-kemu';
const FINAL_DELETE_RETRY_MAX_MS = 10_000;

/**
 * The kubelet half of the node agent: registers the Node and keeps its status and
 * Lease fresh, runs the pods bound to the node as OS processes (pod-worker.ts), writes
 * their status, finishes graceful deletions, and after an agent restart adopts the
 * processes the previous agent left instead of starting them twice.
 */
export class Kubelet {
  private readonly workers = new Map<string, PodWorker>();
  /** Pods the apiserver no longer has: their workers clean up without an API delete. */
  private readonly gone = new Set<string>();
  private readonly pods: PodSource;
  private readonly store: PodStateStore;
  private readonly ips: PodIPAllocator;
  private readonly registration: NodeRegistration;
  private readonly lease: NodeLeaseRenewer;
  private readonly status: PodStatusSync;
  private readonly metrics: KubeletMetrics;
  private readonly host: PodWorkerHost;
  private reconciled = false;
  private synced = false;
  private stopped = false;

  constructor(private readonly o: KubeletOptions) {
    const log = o.log;
    this.ips = new PodIPAllocator(o.podCIDR);
    this.store = new PodStateStore(o.rootDir);
    this.metrics = new KubeletMetrics(o.registry, () => ({
      pods: this.podsRunning(),
      containers: [...this.workers.values()].reduce((n, w) => n + w.runningContainers(), 0),
    }));
    const cpus = os.cpus().length;
    this.registration = new NodeRegistration({
      client: o.heartbeatClient ?? o.client,
      facts: {
        nodeName: o.nodeName,
        nodeIP: o.nodeIP,
        zone: o.zone,
        podCIDR: o.podCIDR,
        capacity: o.capacity ?? { cpu: String(cpus > 0 ? cpus : 1), memory: `${Math.floor(os.totalmem() / 1024)}Ki`, pods: '110' },
        nodeInfo: nodeInfo(o.nodeName),
      },
      log,
      schema: SCHEMA,
      updateEveryMs: o.nodeStatusUpdateFrequencyMs ?? 10_000,
      reportEveryMs: o.nodeStatusReportFrequencyMs ?? 5 * 60_000,
    });
    this.lease = new NodeLeaseRenewer({
      client: o.heartbeatClient ?? o.client,
      nodeName: o.nodeName,
      nodeUID: () => this.registration.nodeUID,
      durationSeconds: o.leaseDurationSeconds ?? 40,
      renewEveryMs: o.leaseRenewIntervalMs ?? 10_000,
      log,
    });
    this.status = new PodStatusSync(
      o.client,
      { pod: (uid) => this.workers.get(uid)?.pod, desired: (uid) => this.desiredStatus(uid) },
      log,
      this.metrics,
    );
    const baseEnv: Record<string, string> = {};
    for (const k of ['PATH', 'HOME']) {
      const v = process.env[k];
      if (v !== undefined) baseEnv[k] = v;
    }
    this.host = {
      nodeName: o.nodeName,
      hostIP: o.nodeIP,
      log,
      metrics: this.metrics,
      backoff: o.restartBackoff ?? DEFAULT_BACKOFF,
      runtime: { nodePath: process.execPath, workloadsMain: o.workloadsMain },
      baseEnv,
      adoptPollMs: o.adoptPollMs ?? 1_000,
      store: this.store,
      network: o.podNetwork ?? podNetwork(o.networkMode, log),
      ips: this.ips,
      services: () => o.services.list(),
      statusChanged: (w) => this.status.request(w.uid),
      terminated: (w) => void this.finish(w),
    };
    if (o.pods) {
      this.pods = o.pods;
    } else if (o.client instanceof KubeClient) {
      this.pods = new Informer(o.client, 'pods', {
        fieldSelector: `spec.nodeName=${o.nodeName}`,
        onError: (err) => log.warn({ err }, 'kubelet: pod watch failed; resuming'),
      });
    } else {
      throw new TypeError('Kubelet: `pods` is required when `client` is not a KubeClient');
    }
    this.pods.on({
      add: (p) => this.onPod(p),
      update: (old, p) => {
        if (old.metadata?.uid !== p.metadata?.uid) this.onPodGone(old);
        this.onPod(p);
      },
      delete: (p) => this.onPodGone(p),
    });
  }

  /**
   * Registers the node, starts the heartbeats, lists the node's pods (and waits for the
   * Services informer), then reconciles them with the state files an earlier agent left.
   */
  async start(): Promise<void> {
    const restored = this.store.load((dir, err) => this.o.log.warn({ dir, err }, 'kubelet: unreadable pod state file; ignoring it'));
    await this.registration.register();
    this.registration.start();
    await this.lease.start();
    this.pods.start();
    await Promise.all([this.pods.waitForSync(), this.o.services.waitForSync()]);
    if (this.stopped) return;
    this.reconcile(restored);
    this.synced = true;
    this.o.log.info({ node: this.o.nodeName, pods: this.workers.size, restored: restored.length }, 'kubelet: synced');
  }

  /**
   * Stops watching and heartbeating. With `stopPods` every pod process is stopped
   * (SIGTERM, SIGKILL after 5 s) before this resolves; without, they keep running for
   * the next agent to adopt.
   */
  async stop(opts: { stopPods: boolean }): Promise<void> {
    this.stopped = true;
    this.pods.stop();
    this.registration.stop();
    this.lease.stop();
    this.status.stop();
    const grace = this.o.stopPodsGraceMs ?? 5_000;
    await Promise.all([...this.workers.values()].map((w) => w.stop(opts.stopPods, grace)));
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Pods with at least one running container process. */
  podsRunning(): number {
    let n = 0;
    for (const w of this.workers.values()) if (w.runningContainers() > 0) n++;
    return n;
  }

  /** The container pids of a pod on this node, by container name (diagnostics and tests). */
  podPids(namespace: string, name: string): Record<string, number | undefined> | undefined {
    for (const w of this.workers.values()) if (w.namespace === namespace && w.name === name) return w.pids();
    return undefined;
  }

  /**
   * The agent's restart step: state files of pods the apiserver no longer binds here
   * are cleaned up (their processes killed); every other pod's IP is reserved before any
   * new pod takes one; then every bound pod gets a worker, which adopts live processes.
   */
  private reconcile(restored: { dir: string; record: PodRecord }[]): void {
    const bound = this.pods.list().filter((p) => p.spec?.nodeName === this.o.nodeName);
    const byUID = new Map(bound.map((p) => [p.metadata?.uid ?? '', p]));
    const keep = new Map<string, PodRecord>();
    for (const { dir, record } of restored) {
      if (!byUID.has(record.uid) || keep.has(record.uid)) {
        this.cleanUpOrphan(dir, record);
        continue;
      }
      if (record.podIP && !this.ips.reserve(record.uid, record.podIP)) {
        this.o.log.warn({ uid: record.uid, podIP: record.podIP }, 'kubelet: restored pod IP is not usable; the pod gets a new one');
      }
      keep.set(record.uid, record);
    }
    this.reconciled = true;
    for (const pod of bound) this.admit(pod, keep.get(pod.metadata?.uid ?? ''));
  }

  private cleanUpOrphan(dir: string, record: PodRecord): void {
    for (const [name, c] of Object.entries(record.containers)) {
      if (c.running && isSameProcess(c.running.pid, c.running.startTicks)) {
        this.o.log.info({ pod: `${record.namespace}/${record.name}`, container: name, pid: c.running.pid }, 'kubelet: killing process of a pod no longer on this node');
        signalGroup(c.running.pid, 'SIGKILL');
      }
    }
    if (record.podIP) void this.host.network.tearDown(record.podIP).catch(() => undefined);
    this.store.remove(dir);
  }

  private onPod(pod: Pod): void {
    if (!this.reconciled || this.stopped || pod.spec?.nodeName !== this.o.nodeName) return;
    const uid = pod.metadata?.uid ?? '';
    const w = this.workers.get(uid);
    if (!w) return this.admit(pod, undefined);
    w.update(pod);
    this.status.request(uid);
  }

  private onPodGone(pod: Pod): void {
    const uid = pod.metadata?.uid ?? '';
    const w = this.workers.get(uid);
    if (!w || this.stopped) return;
    this.gone.add(uid);
    w.kill();
  }

  /** Starts a worker for a pod, unless it never ran here and has nothing left to run. */
  private admit(pod: Pod, restored: PodRecord | undefined): void {
    const uid = pod.metadata?.uid ?? '';
    if (!uid) return;
    const phase = pod.status?.phase;
    if (!restored && pod.metadata?.deletionTimestamp) {
      void this.finalDelete(pod, () => false);
      return;
    }
    if (!restored && (phase === 'Succeeded' || phase === 'Failed')) return;
    const w = new PodWorker(pod, this.host, restored);
    this.workers.set(uid, w);
    w.start().catch((err: unknown) => this.o.log.error({ err, uid }, 'kubelet: pod start failed'));
    if (pod.metadata?.deletionTimestamp) w.update(pod);
    this.status.request(uid);
  }

  /** Every process of a terminating pod is gone: write its last status, delete it for good, give back its IP. */
  private async finish(w: PodWorker): Promise<void> {
    if (!this.gone.has(w.uid) && !this.stopped) {
      await this.status.flush(w.uid).catch(() => undefined);
      await this.finalDelete(w.pod, () => this.gone.has(w.uid) || this.stopped);
    }
    if (this.stopped) return;
    this.status.forget(w.uid);
    this.workers.delete(w.uid);
    this.gone.delete(w.uid);
    await w.release().catch((err: unknown) => this.o.log.warn({ err, uid: w.uid }, 'kubelet: pod cleanup failed'));
  }

  /** The kubelet's last word on a deleted pod: delete with grace 0, for this uid only. */
  private async finalDelete(pod: Pod, abandon: () => boolean): Promise<void> {
    const meta = pod.metadata ?? {};
    for (let attempt = 0; !abandon(); attempt++) {
      try {
        await this.o.client.delete('pods', meta.namespace ?? '', meta.name ?? '', { gracePeriodSeconds: 0, uid: meta.uid });
        this.o.log.info({ pod: `${meta.namespace ?? ''}/${meta.name ?? ''}` }, 'kubelet: pod deleted');
        return;
      } catch (err) {
        if (isApiError(err, Reason.NotFound) || isApiError(err, Reason.Conflict)) return;
        this.o.log.warn({ err, pod: `${meta.namespace ?? ''}/${meta.name ?? ''}` }, 'kubelet: final pod delete failed; retrying');
        await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** attempt, FINAL_DELETE_RETRY_MAX_MS)));
      }
    }
  }

  private desiredStatus(uid: string): core.PodStatus | undefined {
    const w = this.workers.get(uid);
    if (!w) return undefined;
    const status = computePodStatus({
      pod: w.pod,
      restartPolicy: w.restartPolicy,
      containers: w.containerViews(),
      podIP: w.podIP,
      hostIP: this.o.nodeIP,
      startTime: w.startTime,
      previous: w.previousConditions,
      now: Date.now(),
      schema: SCHEMA,
    });
    w.previousConditions = status.conditions;
    return status;
  }
}

function nodeInfo(nodeName: string): NodeInfo {
  let bootID = '';
  try {
    bootID = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    // not Linux, or no /proc: left empty
  }
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  return {
    machineID: nodeName,
    bootID,
    kernelVersion: os.release(),
    osImage: 'kemu',
    containerRuntimeVersion: 'kemu://0.1.0',
    kubeletVersion: KUBELET_VERSION,
    kubeProxyVersion: KUBELET_VERSION,
    operatingSystem: 'linux',
    architecture: arch,
  };
}
