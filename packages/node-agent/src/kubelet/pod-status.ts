import type { Pod, core } from '@kemu/api';
import type { SchemaSupport } from './api-extensions.js';
import type { RestartPolicy } from './restart-policy.js';
import { rfc3339 } from '@kemu/common';

/** How a container instance ended. Times are milliseconds since the epoch. */
export interface TerminatedInfo {
  exitCode: number;
  signal?: number;
  reason: string;
  message?: string;
  startedAt: number;
  finishedAt: number;
  pid?: number;
}

export type ContainerStateView =
  | { kind: 'waiting'; reason: string; message?: string }
  | { kind: 'running'; startedAt: number; pid: number }
  | { kind: 'terminated'; info: TerminatedInfo };

/** What the kubelet knows about one container, the input of its ContainerStatus. */
export interface ContainerView {
  name: string;
  image: string;
  state: ContainerStateView;
  lastTerminated?: TerminatedInfo;
  restartCount: number;
  ready: boolean;
  started: boolean;
}

export interface PodStatusInput {
  pod: Pod;
  restartPolicy: RestartPolicy;
  /** In the order of pod.spec.containers. */
  containers: readonly ContainerView[];
  podIP: string | undefined;
  hostIP: string;
  /** When the kubelet accepted the pod. */
  startTime: number;
  /** The conditions written last, for lastTransitionTime: they change only on a transition. */
  previous: readonly core.PodCondition[] | undefined;
  now: number;
  schema: SchemaSupport;
}

/**
 * The pod's phase from its containers (kubelet getPhase): Pending while any container
 * has not run yet, Running while any runs (or all stopped but some will restart),
 * Succeeded when all exited 0 for good, Failed when all stopped for good and one failed.
 * A container waiting to restart counts as stopped.
 */
export function podPhase(policy: RestartPolicy, containers: readonly ContainerView[]): string {
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of containers) {
    switch (c.state.kind) {
      case 'running':
        running++;
        break;
      case 'terminated':
        stopped++;
        if (c.state.info.exitCode === 0) succeeded++;
        break;
      case 'waiting':
        if (c.lastTerminated) stopped++;
        else waiting++;
        break;
    }
  }
  if (containers.length === 0 || waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (policy === 'Always') return 'Running';
  if (stopped === succeeded) return 'Succeeded';
  if (policy === 'Never') return 'Failed';
  return 'Running';
}

export function computePodStatus(input: PodStatusInput): core.PodStatus {
  const { containers, now } = input;
  const phase = podPhase(input.restartPolicy, containers);
  const unready = containers.filter((c) => !c.ready).map((c) => c.name);
  const allReady = containers.length > 0 && unready.length === 0;
  const notReady =
    phase === 'Succeeded'
      ? { reason: 'PodCompleted' }
      : { reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` };
  const cond = (type: string, ok: boolean, why: { reason?: string; message?: string } = {}): core.PodCondition => {
    const status = ok ? 'True' : 'False';
    const before = input.previous?.find((c) => c.type === type);
    const at = before?.status === status && before.lastTransitionTime ? before.lastTransitionTime : rfc3339(now);
    return { type, status, lastTransitionTime: at, ...(ok ? {} : why) };
  };
  const status: core.PodStatus = {
    phase,
    conditions: [
      cond('Initialized', true),
      cond('Ready', allReady, notReady),
      cond('ContainersReady', allReady, notReady),
      cond('PodScheduled', true),
    ],
    hostIP: input.hostIP,
    startTime: rfc3339(input.startTime),
    containerStatuses: containers.map((c) => containerStatus(c, input.schema)),
  };
  if (input.schema.hostIPs) Object.assign(status, { hostIPs: [{ ip: input.hostIP }] });
  if (input.podIP) {
    status.podIP = input.podIP;
    status.podIPs = [{ ip: input.podIP }];
  }
  return status;
}

export function containerID(pid: number): string {
  return `kemu://${pid}`;
}

function containerStatus(c: ContainerView, schema: SchemaSupport): core.ContainerStatus {
  const s: core.ContainerStatus = {
    name: c.name,
    state: stateOf(c.state),
    lastState: c.lastTerminated ? { terminated: terminated(c.lastTerminated) } : {},
    ready: c.ready,
    restartCount: c.restartCount,
    image: c.image,
    started: c.started,
  };
  if (schema.imageID) Object.assign(s, { imageID: c.image });
  const pid = c.state.kind === 'running' ? c.state.pid : c.state.kind === 'terminated' ? c.state.info.pid : undefined;
  if (schema.containerID && pid !== undefined) Object.assign(s, { containerID: containerID(pid) });
  return s;
}

function stateOf(s: ContainerStateView): core.ContainerState {
  switch (s.kind) {
    case 'waiting':
      return { waiting: { reason: s.reason, ...(s.message ? { message: s.message } : {}) } };
    case 'running':
      return { running: { startedAt: rfc3339(s.startedAt) } };
    case 'terminated':
      return { terminated: terminated(s.info) };
  }
}

function terminated(t: TerminatedInfo): core.ContainerStateTerminated {
  return {
    exitCode: t.exitCode,
    ...(t.signal ? { signal: t.signal } : {}),
    reason: t.reason,
    ...(t.message ? { message: t.message } : {}),
    startedAt: rfc3339(t.startedAt),
    finishedAt: rfc3339(t.finishedAt),
  };
}

/** Whether two statuses say the same (key order does not matter). */
export function sameStatus(a: core.PodStatus | undefined, b: core.PodStatus | undefined): boolean {
  return canonical(a ?? {}) === canonical(b ?? {});
}

/**
 * The JSON merge patch that turns `current` into `desired`: the whole status, with the
 * top-level keys only `current` has set to null (lists are replaced whole by a merge
 * patch). The uid makes the apiserver refuse it for another pod of the same name.
 */
export function statusPatch(uid: string, current: core.PodStatus | undefined, desired: core.PodStatus): Record<string, unknown> {
  const status: Record<string, unknown> = { ...desired };
  for (const k of Object.keys(current ?? {})) if (!(k in status)) status[k] = null;
  return { metadata: { uid }, status };
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}
