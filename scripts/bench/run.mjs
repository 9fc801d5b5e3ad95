// @ts-check
// Benchmark dispatcher: `node scripts/bench/run.mjs <name> [options]` (or `npm run bench -- <name>`,
// which builds the workspace first). Benchmarks are plain ESM JavaScript that import the
// built packages (@kemu/api, @kemu/etcd from packages/*/dist), so they need no build step
// of their own; `npm run build` must have run once.
import { existsSync } from 'node:fs';

/** @type {Record<string, { file: string, description: string }>} */
const BENCHMARKS = {
  etcd: {
    file: './etcd.mjs',
    description: "kemu's etcd cluster vs real etcd 3.4: put latency/throughput, failover, catch-up, RSS (writes BENCHMARKS.md)",
  },
  proxy: {
    file: './proxy.mjs',
    description: 'Service forwarding vs HAProxy 2.6 with wrk (req/s, p99, bulk), sync time and RSS at 10,000 Services (writes BENCHMARKS.md)',
  },
  'control-plane': {
    file: './control-plane.mjs',
    description: 'etcd + apiserver + controller-manager at 100-10,000 services: endpoint propagation, list/watch/create throughput, RSS (writes BENCHMARKS.md)',
  },
  dns: {
    file: './dns.mjs',
    description: 'cluster DNS vs dnsmasq with dnsperf: QPS, p99, change propagation, RSS at 10,000 Services (writes BENCHMARKS.md)',
  },
};

function list() {
  process.stdout.write('usage: npm run bench -- <name> [options]   (or node scripts/bench/run.mjs <name>)\n\nbenchmarks:\n');
  for (const [name, b] of Object.entries(BENCHMARKS)) process.stdout.write(`  ${name.padEnd(8)} ${b.description}\n`);
  process.stdout.write('\n`<name> --help` shows a benchmark\'s options.\n');
}

const [name, ...rest] = process.argv.slice(2);
if (name === undefined || name === '--help' || name === '-h') {
  list();
  process.exit(0);
}
const bench = BENCHMARKS[name];
if (!bench) {
  process.stderr.write(`unknown benchmark ${JSON.stringify(name)}\n`);
  list();
  process.exit(2);
}
for (const pkg of ['api', 'etcd']) {
  if (!existsSync(new URL(`../../packages/${pkg}/dist/index.js`, import.meta.url))) {
    process.stderr.write(`packages/${pkg}/dist is missing: run \`npm run build\` first (npm run bench does)\n`);
    process.exit(1);
  }
}
try {
  /** @type {{ main: (argv: string[]) => Promise<void> }} */
  const mod = await import(bench.file);
  await mod.main(rest);
  process.exit(0);
} catch (err) {
  process.stderr.write(`bench ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
