#!/usr/bin/env node
// Entry point of the built-in pod workloads: `node dist/workloads/main.js <workload> [flags]`.
// Parses argv and the pod environment, starts one workload, and owns the process:
// SIGTERM/SIGINT close it and exit 0 within a second; usage errors exit 2.
import { startClient } from './client.js';
import { startEcho } from './echo.js';
import { flagUsage, intFlag, parseFlags, positiveNumberFlag, stringFlag, UsageError, type FlagSpec, type FlagValues } from './flags.js';
import { defaultListenHost, podIdentityFromEnv } from './pod-identity.js';
import { startTcpEcho } from './tcp-echo.js';
import { startUdpEcho } from './udp-echo.js';
import { isWorkloadName, WORKLOADS, type WorkloadName } from './workload-image.js';
import type { WorkloadBase } from './workload.js';

interface Running {
  close(): Promise<void>;
  /** Resolves when the workload ends by itself (the client at its bounds). */
  finished?: Promise<unknown>;
}

interface WorkloadEntry {
  summary: string;
  flags: Record<string, FlagSpec>;
  start(values: FlagValues, base: WorkloadBase): Promise<Running>;
}

/** How long a SIGTERM's close may take before the process exits regardless (still 0: the contract is exit 0 within 1 s). */
const STOP_GRACE_MS = 900;

const listenFlags = (defaultPort: number, proto: string): Record<string, FlagSpec> => ({
  host: { type: 'string', value: '<ip>', description: 'listen address (default $POD_IP, else 127.0.0.1)' },
  port: { type: 'string', value: '<port>', description: `${proto} port (default ${defaultPort}; 0 picks one)` },
});

const ENTRIES: Record<WorkloadName, WorkloadEntry> = {
  echo: {
    summary: 'HTTP server answering who served the request (kemu/echo)',
    flags: listenFlags(8080, 'HTTP'),
    start: (v, base) =>
      startEcho({
        ...base,
        host: stringFlag(v, 'host', defaultListenHost(base.identity)),
        port: intFlag('echo', v, 'port', 8080, 0, 65535),
        onExit: (code) => process.exit(code),
      }),
  },
  'tcp-echo': {
    summary: 'TCP echo; a connection starting with WHOAMI\\n gets "<pod> <podIP>\\n" (kemu/tcp-echo)',
    flags: listenFlags(9000, 'TCP'),
    start: (v, base) =>
      startTcpEcho({
        ...base,
        host: stringFlag(v, 'host', defaultListenHost(base.identity)),
        port: intFlag('tcp-echo', v, 'port', 9000, 0, 65535),
      }),
  },
  'udp-echo': {
    summary: 'UDP echo; a WHOAMI datagram gets "<pod> <podIP>" (kemu/udp-echo)',
    flags: listenFlags(9000, 'UDP'),
    start: (v, base) =>
      startUdpEcho({
        ...base,
        host: stringFlag(v, 'host', defaultListenHost(base.identity)),
        port: intFlag('udp-echo', v, 'port', 9000, 0, 65535),
      }),
  },
  client: {
    summary: 'paced HTTP GETs with one JSON stats line per second (kemu/client)',
    flags: {
      url: { type: 'string', value: '<url>', description: 'http:// URL to GET (required)' },
      rate: { type: 'string', value: '<n>', description: 'requests per second (default 20)' },
      timeout: { type: 'string', value: '<ms>', description: 'per-request deadline in ms (default 1000)' },
      keepalive: { type: 'boolean', description: 'reuse connections (default: a new connection per request)' },
      duration: { type: 'string', value: '<s>', description: 'stop after this many seconds (default 3600)' },
      'max-requests': { type: 'string', value: '<n>', description: 'stop after this many requests (default 1000000)' },
    },
    start: async (v, base) => {
      const raw = stringFlag(v, 'url', '');
      if (raw === '') throw new UsageError('client: --url is required');
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw new UsageError(`client: --url: invalid URL ${JSON.stringify(raw)}`);
      }
      if (url.protocol !== 'http:') throw new UsageError(`client: --url: only http:// is supported, got ${JSON.stringify(raw)}`);
      const run = await startClient({
        ...base,
        url,
        rate: positiveNumberFlag('client', v, 'rate', 20),
        timeoutMs: intFlag('client', v, 'timeout', 1000, 1, 3_600_000),
        keepAlive: v['keepalive'] === true,
        durationS: positiveNumberFlag('client', v, 'duration', 3600),
        maxRequests: intFlag('client', v, 'max-requests', 1_000_000, 1, Number.MAX_SAFE_INTEGER),
      });
      return { close: () => run.close(), finished: run.done };
    },
  },
};

function usage(): string {
  const lines = ['usage: node main.js <workload> [flags]', '', 'workloads:'];
  for (const name of WORKLOADS) lines.push(`  ${name.padEnd(10)} ${ENTRIES[name].summary}`);
  lines.push('', 'Run `node main.js <workload> --help` for its flags.');
  return lines.join('\n') + '\n';
}

function fail(err: unknown): never {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(err instanceof UsageError ? 2 : 1);
}

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h') {
    process.stdout.write(usage());
    process.exit(0);
  }
  if (name === undefined) throw new UsageError(`missing workload\n${usage()}`);
  if (!isWorkloadName(name)) throw new UsageError(`unknown workload ${JSON.stringify(name)} (want one of ${WORKLOADS.join(', ')})`);
  const entry = ENTRIES[name];
  const values = parseFlags(name, rest, entry.flags);
  if (values['help'] === true) {
    process.stdout.write(`usage: node main.js ${name} [flags]\n${entry.summary}\n\nflags:\n${flagUsage(entry.flags)}\n`);
    process.exit(0);
  }

  const log = (line: string): void => {
    process.stdout.write(line + '\n');
  };
  const started = entry.start(values, { identity: podIdentityFromEnv(process.env), log });
  let stopping = false;
  const onSignal = (): void => {
    if (stopping) process.exit(0);
    stopping = true;
    setTimeout(() => {
      process.stderr.write(`${name}: shutdown took over ${STOP_GRACE_MS} ms; exiting anyway\n`);
      process.exit(0);
    }, STOP_GRACE_MS).unref();
    started.then((running) => running.close()).then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  const running = await started;
  running.finished?.then(
    () => process.exit(0),
    (err: unknown) => fail(err),
  );
}

main(process.argv.slice(2)).catch(fail);
