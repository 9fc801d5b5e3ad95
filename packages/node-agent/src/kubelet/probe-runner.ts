import { spawn } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { ioDeadline } from '@kemu/common';
import type { ProbeAction, ProbeOutcome } from './probe-state.js';
import { signalGroup } from './process-runner.js';

export interface ProbeRun {
  outcome: ProbeOutcome;
  /** Why it failed, for logs. */
  message?: string;
}

export interface ExecContext {
  env: ReadonlyMap<string, string>;
  cwd: string;
}

/**
 * Runs one probe within `timeoutMs`, as the kubelet's prober does: an HTTP GET succeeds
 * with a status from 200 to 399, a TCP probe when the connection opens, an exec probe
 * when the command exits 0 (it is killed at the timeout).
 */
export function runProbe(action: ProbeAction, timeoutMs: number, exec: ExecContext): Promise<ProbeRun> {
  switch (action.kind) {
    case 'http':
      return httpProbe(action, timeoutMs);
    case 'tcp':
      return tcpProbe(action.host, action.port, timeoutMs);
    case 'exec':
      return execProbe(action.command, timeoutMs, exec);
  }
}

const USER_AGENT = 'kube-probe/kemu';

function httpProbe(a: Extract<ProbeAction, { kind: 'http' }>, timeoutMs: number): Promise<ProbeRun> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: ProbeRun): void => {
      if (done) return;
      done = true;
      deadline.clear();
      req.destroy();
      resolve(r);
    };
    const headers: Record<string, string> = { 'User-Agent': USER_AGENT, Accept: '*/*' };
    for (const [k, v] of a.headers) headers[k] = v;
    const options = { host: a.host, port: a.port, path: a.path, method: 'GET', headers, agent: false as const };
    const onResponse = (res: http.IncomingMessage): void => {
      const code = res.statusCode ?? 0;
      res.resume();
      if (code >= 200 && code < 400) finish({ outcome: 'success' });
      else finish({ outcome: 'failure', message: `HTTP probe failed with statuscode: ${code}` });
    };
    const req = a.scheme === 'https' ? https.request({ ...options, rejectUnauthorized: false }, onResponse) : http.request(options, onResponse);
    req.on('error', (err) => finish({ outcome: 'failure', message: `Get "${a.scheme}://${a.host}:${a.port}${a.path}": ${err.message}` }));
    const deadline = ioDeadline(timeoutMs, () =>
      finish({ outcome: 'failure', message: `Get "${a.scheme}://${a.host}:${a.port}${a.path}": context deadline exceeded` }),
    );
    req.end();
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeRun> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const finish = (r: ProbeRun): void => {
      deadline.clear();
      sock.destroy();
      resolve(r);
    };
    const deadline = ioDeadline(timeoutMs, () => finish({ outcome: 'failure', message: `dial tcp ${host}:${port}: i/o timeout` }));
    sock.once('connect', () => finish({ outcome: 'success' }));
    sock.once('error', (err) => finish({ outcome: 'failure', message: `dial tcp ${host}:${port}: ${err.message}` }));
  });
}

function execProbe(command: readonly string[], timeoutMs: number, ctx: ExecContext): Promise<ProbeRun> {
  return new Promise((resolve) => {
    const [file, ...args] = command;
    const child = spawn(file!, args, { env: Object.fromEntries(ctx.env), cwd: ctx.cwd, detached: true, stdio: 'ignore' });
    let done = false;
    const finish = (r: ProbeRun): void => {
      if (done) return;
      done = true;
      deadline.clear();
      resolve(r);
    };
    const deadline = ioDeadline(timeoutMs, () => {
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      finish({ outcome: 'failure', message: `command timed out after ${timeoutMs / 1000}s` });
    });
    child.once('error', (err) => finish({ outcome: 'failure', message: err.message }));
    child.once('exit', (code, signal) => {
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      if (code === 0) finish({ outcome: 'success' });
      else finish({ outcome: 'failure', message: signal ? `command killed by ${signal}` : `command exited with ${code ?? -1}` });
    });
  });
}
