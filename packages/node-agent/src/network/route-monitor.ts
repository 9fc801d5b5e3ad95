import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '@kemu/common';

// The kernel drops every route through a device when that device goes down (a container
// disconnected from its network), and nothing tells the agent. `ip monitor` does: it prints
// a line per route and link change, and each one asks for a resync. A library binding
// netlink would save one process, but none is kept up for Node; iproute2 is already what
// programs the routes.

export interface RouteMonitorOptions {
  /** The ip command and its leading options; default ['ip'] (tests: ['ip', '-n', ns]). */
  ipCommand?: readonly string[];
  /** Called on every change line; callers coalesce (the agent's runner does). */
  onChange: () => void;
  log: Logger;
  /** Delay before starting ip again after it exits; default 1 s. */
  restartDelayMs?: number;
}

/** Runs `ip -4 monitor route link` for as long as it is started, restarting it if it exits. */
export class RouteMonitor {
  private child: ChildProcess | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;

  constructor(private readonly o: RouteMonitorOptions) {}

  start(): void {
    this.stopped = false;
    this.spawn();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.child?.kill('SIGTERM');
    this.child = undefined;
  }

  private spawn(): void {
    const [file, ...base] = this.o.ipCommand ?? ['ip'];
    const child = spawn(file ?? 'ip', [...base, '-4', 'monitor', 'route', 'link'], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.child = child;
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', () => this.o.onChange());
    child.on('error', (err) => this.o.log.warn({ err }, 'route monitor: cannot run ip monitor'));
    child.on('close', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      if (this.stopped) return;
      this.o.log.warn({ code, signal }, 'route monitor: ip monitor exited; starting it again');
      this.timer = setTimeout(() => this.spawn(), this.o.restartDelayMs ?? 1000);
      this.timer.unref();
      // Changes may have been missed while it was down.
      this.o.onChange();
    });
  }
}
