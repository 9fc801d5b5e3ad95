import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from '@kemu/api';
import type { SchemaSupport } from './api-extensions.js';
import { computePodStatus, podPhase, sameStatus, statusPatch, type ContainerView, type TerminatedInfo } from './pod-status.js';

const T0 = Date.parse('2025-01-01T00:00:00Z');
const NO_EXTRAS: SchemaSupport = { containerID: false, imageID: false, hostIPs: false, nodeInfo: false };
const pod: Pod = { metadata: { name: 'web', namespace: 'ns', uid: 'u1' }, spec: { containers: [{ name: 'a' }, { name: 'b' }] } };

const ended = (exitCode: number): TerminatedInfo => ({ exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: T0, finishedAt: T0 + 5_000, pid: 41 });
const view = (name: string, state: ContainerView['state'], more: Partial<ContainerView> = {}): ContainerView => ({
  name,
  image: 'kemu/echo',
  state,
  restartCount: 0,
  ready: false,
  started: false,
  ...more,
});
const running = (name: string, ready = true): ContainerView => view(name, { kind: 'running', startedAt: T0, pid: 42 }, { ready, started: true });
const creating = (name: string): ContainerView => view(name, { kind: 'waiting', reason: 'ContainerCreating' });
const backingOff = (name: string): ContainerView =>
  view(name, { kind: 'waiting', reason: 'CrashLoopBackOff', message: 'back-off 10s' }, { lastTerminated: ended(1), restartCount: 1 });
const done = (name: string, code: number): ContainerView => view(name, { kind: 'terminated', info: ended(code) });

test("the pod phase follows the kubelet's getPhase", () => {
  assert.equal(podPhase('Always', [creating('a'), running('b')]), 'Pending', 'a container not started yet');
  assert.equal(podPhase('Always', [running('a'), running('b')]), 'Running');
  assert.equal(podPhase('Always', [running('a'), backingOff('b')]), 'Running', 'a crash-looping container counts as stopped');
  assert.equal(podPhase('Always', [backingOff('a'), done('b', 0)]), 'Running');
  assert.equal(podPhase('Never', [done('a', 0), done('b', 0)]), 'Succeeded');
  assert.equal(podPhase('Never', [done('a', 0), done('b', 2)]), 'Failed');
  assert.equal(podPhase('OnFailure', [done('a', 0), done('b', 0)]), 'Succeeded');
  assert.equal(podPhase('OnFailure', [done('a', 0), backingOff('b')]), 'Running', 'will restart');
  assert.equal(podPhase('Never', [done('a', 1), running('b')]), 'Running');
});

test('a running, ready pod: conditions, IPs, container statuses', () => {
  const s = computePodStatus({
    pod,
    restartPolicy: 'Always',
    containers: [running('a'), { ...running('b'), restartCount: 2, lastTerminated: ended(137) }],
    podIP: '127.77.3.2',
    hostIP: '127.77.3.1',
    startTime: T0,
    previous: undefined,
    now: T0 + 1_500,
    schema: NO_EXTRAS,
  });
  const at = '2025-01-01T00:00:01Z';
  assert.deepEqual(s, {
    phase: 'Running',
    conditions: [
      { type: 'Initialized', status: 'True', lastTransitionTime: at },
      { type: 'Ready', status: 'True', lastTransitionTime: at },
      { type: 'ContainersReady', status: 'True', lastTransitionTime: at },
      { type: 'PodScheduled', status: 'True', lastTransitionTime: at },
    ],
    hostIP: '127.77.3.1',
    startTime: '2025-01-01T00:00:00Z',
    podIP: '127.77.3.2',
    podIPs: [{ ip: '127.77.3.2' }],
    containerStatuses: [
      { name: 'a', state: { running: { startedAt: '2025-01-01T00:00:00Z' } }, lastState: {}, ready: true, restartCount: 0, image: 'kemu/echo', started: true },
      {
        name: 'b',
        state: { running: { startedAt: '2025-01-01T00:00:00Z' } },
        lastState: { terminated: { exitCode: 137, reason: 'Error', startedAt: '2025-01-01T00:00:00Z', finishedAt: '2025-01-01T00:00:05Z' } },
        ready: true,
        restartCount: 2,
        image: 'kemu/echo',
        started: true,
      },
    ],
  });
});

test('lastTransitionTime changes only when a condition changes', () => {
  const input = (containers: ContainerView[], previous: ReturnType<typeof computePodStatus>['conditions'], now: number): ReturnType<typeof computePodStatus> =>
    computePodStatus({ pod, restartPolicy: 'Always', containers, podIP: '127.77.3.2', hostIP: '127.77.3.1', startTime: T0, previous, now, schema: NO_EXTRAS });
  const first = input([running('a', false), running('b')], undefined, T0);
  const ready = first.conditions!.find((c) => c.type === 'Ready')!;
  assert.deepEqual(ready, {
    type: 'Ready',
    status: 'False',
    lastTransitionTime: '2025-01-01T00:00:00Z',
    reason: 'ContainersNotReady',
    message: 'containers with unready status: [a]',
  });
  const same = input([running('a', false), running('b')], first.conditions, T0 + 60_000);
  assert.ok(sameStatus(first, same), 'nothing changed: the same status, times included');
  const flipped = input([running('a'), running('b')], same.conditions, T0 + 90_000);
  assert.equal(flipped.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime, '2025-01-01T00:01:30Z');
  assert.equal(flipped.conditions!.find((c) => c.type === 'Initialized')!.lastTransitionTime, '2025-01-01T00:00:00Z');
});

test('a completed pod is not ready because it completed; optional status fields follow the schema', () => {
  const s = computePodStatus({
    pod,
    restartPolicy: 'Never',
    containers: [done('a', 0), done('b', 0)],
    podIP: '127.77.3.2',
    hostIP: '127.77.3.1',
    startTime: T0,
    previous: undefined,
    now: T0,
    schema: { containerID: true, imageID: true, hostIPs: true, nodeInfo: false },
  });
  assert.equal(s.phase, 'Succeeded');
  assert.deepEqual(s.conditions!.find((c) => c.type === 'ContainersReady'), { type: 'ContainersReady', status: 'False', lastTransitionTime: '2025-01-01T00:00:00Z', reason: 'PodCompleted' });
  const extra = s as { hostIPs?: unknown; containerStatuses?: { containerID?: string; imageID?: string }[] };
  assert.deepEqual(extra.hostIPs, [{ ip: '127.77.3.1' }]);
  assert.equal(extra.containerStatuses?.[0]?.containerID, 'kemu://41');
  assert.equal(extra.containerStatuses?.[0]?.imageID, 'kemu/echo');
});

test('the status patch nulls what the current status has and the new one lacks, and pins the uid', () => {
  assert.deepEqual(statusPatch('u1', { phase: 'Running', message: 'm', podIP: '1.2.3.4' }, { phase: 'Failed' }), {
    metadata: { uid: 'u1' },
    status: { phase: 'Failed', message: null, podIP: null },
  });
  assert.ok(sameStatus({ phase: 'Running', hostIP: 'x' }, { hostIP: 'x', phase: 'Running' }), 'key order does not matter');
  assert.ok(!sameStatus({ phase: 'Running' }, { phase: 'Running', hostIP: 'x' }));
});
