import type { core } from '@kemu/api';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';
export type ProbeOutcome = 'success' | 'failure';
export type ProbeResult = ProbeOutcome | 'unknown';

/** A probe's timing and thresholds with Kubernetes' defaults filled in, in milliseconds. */
export interface ProbeSettings {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

export function probeSettings(p: core.Probe, kind: ProbeKind): ProbeSettings {
  const pos = (v: number | undefined, d: number): number => (v !== undefined && v > 0 ? v : d);
  return {
    initialDelayMs: Math.max(0, p.initialDelaySeconds ?? 0) * 1000,
    periodMs: pos(p.periodSeconds, 10) * 1000,
    timeoutMs: pos(p.timeoutSeconds, 1) * 1000,
    // Liveness and startup probes must have successThreshold 1 (validation enforces it).
    successThreshold: kind === 'readiness' ? pos(p.successThreshold, 1) : 1,
    failureThreshold: pos(p.failureThreshold, 3),
  };
}

/**
 * One probe worker's state for one container instance (pkg/kubelet/prober/worker.go).
 * `result` is what the kubelet acts on; it changes only after `successThreshold`
 * successes or `failureThreshold` failures in a row. A liveness or startup probe that
 * reached failure is on hold (its container is being restarted) until a new instance.
 */
export interface ProbeState {
  readonly result: ProbeResult;
  readonly last: ProbeOutcome | undefined;
  readonly run: number;
  readonly onHold: boolean;
}

/** Before the first probe: not ready, alive, not started. */
export function initialProbeState(kind: ProbeKind): ProbeState {
  const result: ProbeResult = kind === 'readiness' ? 'failure' : kind === 'liveness' ? 'success' : 'unknown';
  return { result, last: undefined, run: 0, onHold: false };
}

export interface ProbeStep {
  state: ProbeState;
  /** `result` changed: readiness changes the pod's status, a liveness/startup failure restarts the container. */
  changed: boolean;
}

export function recordProbe(s: ProbeState, outcome: ProbeOutcome, settings: ProbeSettings, kind: ProbeKind): ProbeStep {
  if (s.onHold) return { state: s, changed: false };
  const run = s.last === outcome ? s.run + 1 : 1;
  const threshold = outcome === 'failure' ? settings.failureThreshold : settings.successThreshold;
  if (run < threshold) return { state: { ...s, last: outcome, run }, changed: false };
  const changed = s.result !== outcome;
  if (outcome === 'failure' && kind !== 'readiness') {
    return { state: { result: 'failure', last: outcome, run: 0, onHold: true }, changed };
  }
  return { state: { result: outcome, last: outcome, run, onHold: false }, changed };
}

/** What a probe does, resolved against the container (named ports) and the pod (default host). */
export type ProbeAction =
  | { kind: 'http'; scheme: 'http' | 'https'; host: string; port: number; path: string; headers: [string, string][] }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'exec'; command: string[] };

export type ProbeActionResult = { ok: true; action: ProbeAction } | { ok: false; message: string };

export function probeAction(p: core.Probe, container: core.Container, podIP: string): ProbeActionResult {
  if (p.httpGet) {
    const port = resolvePort(p.httpGet.port, container);
    if (!port.ok) return port;
    const scheme = (p.httpGet.scheme ?? 'HTTP').toUpperCase() === 'HTTPS' ? 'https' : 'http';
    let path = p.httpGet.path || '/';
    if (!path.startsWith('/')) path = `/${path}`;
    const headers = (p.httpGet.httpHeaders ?? []).map((h): [string, string] => [h.name ?? '', h.value ?? '']);
    return { ok: true, action: { kind: 'http', scheme, host: p.httpGet.host || podIP, port: port.port, path, headers } };
  }
  if (p.tcpSocket) {
    const port = resolvePort(p.tcpSocket.port, container);
    if (!port.ok) return port;
    return { ok: true, action: { kind: 'tcp', host: p.tcpSocket.host || podIP, port: port.port } };
  }
  if (p.exec) {
    const command = p.exec.command ?? [];
    if (command.length === 0) return { ok: false, message: 'exec probe has no command' };
    return { ok: true, action: { kind: 'exec', command } };
  }
  return { ok: false, message: 'probe has no handler (httpGet, tcpSocket or exec)' };
}

type PortResult = { ok: true; port: number } | { ok: false; message: string };

/** A probe's port: a number, a numeric string, or the name of one of the container's ports. */
function resolvePort(port: number | string | undefined, container: core.Container): PortResult {
  let n: number | undefined;
  if (typeof port === 'number') n = port;
  else if (typeof port === 'string' && /^\d+$/.test(port)) n = Number(port);
  else if (typeof port === 'string') {
    n = container.ports?.find((p) => p.name === port)?.containerPort;
    if (n === undefined) return { ok: false, message: `couldn't find port "${port}" in container ${container.name ?? ''}` };
  }
  if (n === undefined || !Number.isInteger(n) || n <= 0 || n > 65535) return { ok: false, message: `invalid port number: ${String(port)}` };
  return { ok: true, port: n };
}
