import { join } from 'node:path';
import { TestProcess } from './process.js';

const DNS_MAIN = new URL('./main.js', import.meta.resolve('@kemu/dns')).pathname;

export interface TestDnsOptions {
  name: string;
  apiservers: string[];
  token: string;
  /** DNS listens here (UDP and TCP); /healthz, /ready and /metrics on host:opsPort. */
  host: string;
  port: number;
  opsPort: number;
  dir: string;
  args?: string[];
}

/** A kemu dns process for tests. */
export class TestDns {
  readonly process: TestProcess;

  constructor(readonly o: TestDnsOptions) {
    this.process = new TestProcess(
      o.name,
      DNS_MAIN,
      [
        '--apiserver', o.apiservers.join(','),
        '--token', o.token,
        '--listen', `${o.host}:${o.port}`,
        '--ops-addr', `${o.host}:${o.opsPort}`,
        '--lease-duration', '4',
        ...(o.args ?? []),
      ],
      join(o.dir, `${o.name}.log`),
      `http://${o.host}:${o.opsPort}/ready`,
    );
  }

  start(): this {
    this.process.start();
    return this;
  }

  metricsUrl(): string {
    return `http://${this.o.host}:${this.o.opsPort}/metrics`;
  }
}
