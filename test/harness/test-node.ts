import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_AGENT_V8_FLAGS } from '@kemu/node-agent';
import { TestProcess } from './process.js';

const AGENT_MAIN = new URL('./main.js', import.meta.resolve('@kemu/node-agent')).pathname;
/** As kemu up runs agents (see packages/node-agent/README.md, "Memory"). */
const NODE_AGENT_NODE_OPTIONS = [...NODE_AGENT_V8_FLAGS];

export interface TestNodeOptions {
  name: string;
  nodeIP: string;
  zone: string;
  /** e.g. 127.141.1.0/24: every pod of this node gets an address in it. */
  podCIDR: string;
  apiservers: string[];
  token: string;
  /** Directory for the agent's root dir and log. */
  dir: string;
  args?: string[];
}

/**
 * A real node agent process for tests (kubelet + proxy), on its own node IP. Its pods are
 * separate processes; `podPids()` finds them by their POD_IP environment variable, so a test
 * can kill them (node loss) and cleanup never leaves one behind.
 */
export class TestNode {
  readonly process: TestProcess;
  readonly rootDir: string;

  constructor(readonly o: TestNodeOptions) {
    this.rootDir = join(o.dir, o.name);
    mkdirSync(this.rootDir, { recursive: true });
    this.process = new TestProcess(
      o.name,
      AGENT_MAIN,
      [
        '--apiserver', o.apiservers.join(','),
        '--token', o.token,
        '--node-name', o.name,
        '--node-ip', o.nodeIP,
        '--zone', o.zone,
        '--pod-cidr', o.podCIDR,
        '--root-dir', this.rootDir,
        '--node-lease-renew-interval', '500ms',
        '--node-status-update-frequency', '1s',
        '--stop-pods-on-exit',
        ...(o.args ?? []),
      ],
      join(o.dir, `${o.name}.log`),
      `http://${o.nodeIP}:10256/readyz`,
      NODE_AGENT_NODE_OPTIONS,
    );
  }

  get name(): string {
    return this.o.name;
  }

  start(): this {
    this.process.start();
    return this;
  }

  /** Pids of this node's pod processes (those whose POD_IP is in the node's pod CIDR). */
  podPids(): number[] {
    const prefix = this.o.podCIDR.replace(/\.0\/24$/, '.');
    const out: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const env = readFileSync(`/proc/${entry}/environ`, 'latin1');
        if (env.split('\0').some((kv) => kv.startsWith(`POD_IP=${prefix}`))) out.push(Number(entry));
      } catch {
        // gone, or not ours to read
      }
    }
    return out;
  }

  /** kill -9 of the agent and every pod process of the node: the node is lost. */
  async killNode(): Promise<void> {
    await this.process.kill();
    this.killPods();
  }

  killPods(): void {
    for (const pid of this.podPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  /** SIGTERM (the agent stops its pods) then SIGKILL of anything left. */
  async destroy(): Promise<void> {
    if (this.process.running()) {
      const timer = setTimeout(() => void this.process.kill(), 8000);
      await this.process.signal('SIGTERM');
      clearTimeout(timer);
    }
    this.killPods();
  }
}
