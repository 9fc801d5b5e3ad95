import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initialProbeState, probeAction, probeSettings, recordProbe, type ProbeKind, type ProbeOutcome, type ProbeState } from './probe-state.js';

test("Kubernetes' probe defaults", () => {
  assert.deepEqual(probeSettings({}, 'readiness'), { initialDelayMs: 0, periodMs: 10_000, timeoutMs: 1_000, successThreshold: 1, failureThreshold: 3 });
  assert.deepEqual(probeSettings({ initialDelaySeconds: 5, periodSeconds: 2, timeoutSeconds: 3, successThreshold: 2, failureThreshold: 1 }, 'readiness'), {
    initialDelayMs: 5_000,
    periodMs: 2_000,
    timeoutMs: 3_000,
    successThreshold: 2,
    failureThreshold: 1,
  });
  assert.equal(probeSettings({ successThreshold: 3 }, 'liveness').successThreshold, 1);
});

test('before the first probe: not ready, alive, not started', () => {
  assert.equal(initialProbeState('readiness').result, 'failure');
  assert.equal(initialProbeState('liveness').result, 'success');
  assert.equal(initialProbeState('startup').result, 'unknown');
});

/** Feeds outcomes; returns the result after each and marks the ones that changed it with '!'. */
function trace(kind: ProbeKind, outcomes: string, thresholds: { successThreshold?: number; failureThreshold?: number }): string {
  const settings = { ...probeSettings({}, kind), ...thresholds };
  let s: ProbeState = initialProbeState(kind);
  const out: string[] = [];
  for (const ch of outcomes) {
    const outcome: ProbeOutcome = ch === 'S' ? 'success' : 'failure';
    const step = recordProbe(s, outcome, settings, kind);
    s = step.state;
    out.push(`${s.result[0]!.toUpperCase()}${step.changed ? '!' : ''}`);
  }
  return out.join(' ');
}

test('readiness changes only after successThreshold successes or failureThreshold failures in a row', () => {
  assert.equal(trace('readiness', 'SSSFFSFFF', { successThreshold: 1, failureThreshold: 3 }), 'S! S S S S S S S F!');
  assert.equal(trace('readiness', 'SFSSSFF', { successThreshold: 3, failureThreshold: 2 }), 'F F F F S! S F!');
});

test('a liveness failure holds until the container is replaced', () => {
  assert.equal(trace('liveness', 'FFSFFFSSF', { failureThreshold: 3 }), 'S S S S S F! F F F');
  assert.equal(trace('liveness', 'FSF', { failureThreshold: 1 }), 'F! F F');
});

test('a startup probe succeeds once, or fails after failureThreshold failures', () => {
  assert.equal(trace('startup', 'FFS', { failureThreshold: 3 }), 'U U S!');
  assert.equal(trace('startup', 'FFFS', { failureThreshold: 3 }), 'U U F! F');
});

test('probe actions: named ports, default host and path, headers; bad ports are errors', () => {
  const container = { name: 'web', ports: [{ name: 'http', containerPort: 8080 }] };
  assert.deepEqual(probeAction({ httpGet: { port: 'http', path: 'healthz', httpHeaders: [{ name: 'X-A', value: '1' }] } }, container, '127.77.3.2'), {
    ok: true,
    action: { kind: 'http', scheme: 'http', host: '127.77.3.2', port: 8080, path: '/healthz', headers: [['X-A', '1']] },
  });
  assert.deepEqual(probeAction({ tcpSocket: { port: 9000, host: '127.77.3.9' } }, container, '127.77.3.2'), {
    ok: true,
    action: { kind: 'tcp', host: '127.77.3.9', port: 9000 },
  });
  assert.deepEqual(probeAction({ exec: { command: ['true'] } }, container, ''), { ok: true, action: { kind: 'exec', command: ['true'] } });
  assert.deepEqual(probeAction({ tcpSocket: { port: 'grpc' } }, container, ''), { ok: false, message: 'couldn\'t find port "grpc" in container web' });
  assert.equal(probeAction({ tcpSocket: { port: 70000 } }, container, '').ok, false);
  assert.equal(probeAction({}, container, '').ok, false);
});
