// @ts-check
// `npm run bench -- proxy`: kemu's Service forwarding against HAProxy 2.6 (TCP mode) in one
// run, with wrk on loopback, in front of the same three kemu/echo pods:
//   direct     wrk -> one pod
//   haproxy    wrk -> HAProxy (roundrobin over the 3 pods)
//   clusterip  wrk -> ClusterIP:80 (the node agent's forwarder)
//   nodeport   wrk -> NodeIP:NodePort
// Rounds alternate the targets and the median of each is reported. Then the agent gets
// 10,000 Services: its RSS, and the time to apply one changed Service.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlPlane, TestNode, TOKENS, eventually, sliceAddresses } from '../../test/dist/harness/index.js';
import { writeSection } from './benchmarks-md.mjs';
import { isApiError, Reason } from '@kemu/api';
import { fetchText } from '@kemu/common/fetch';
import { runPool, median, sleep, withRetry } from './control-plane/pool.mjs';
import { rssKiB, cpuMs } from './proc-stats.mjs';

const REPO = new URL('../..', import.meta.url).pathname;
const BLOCK = '127.32.0';
const SERVICE_CIDR = '127.97.0.0/16';
const NODE_IP = `${BLOCK}.101`;
const HAPROXY_ADDR = `${BLOCK}.50`;
const NS = 'default';
/** Paced runs: each wrk connection waits this long between requests. */
const PACE_MS = 5;

const HELP = `usage: npm run bench -- proxy [options]
  --quick            short runs (3 s, 1 round, 1,000 Services); prints only
  --duration S       seconds per wrk run (default 10)
  --rounds N         rounds over the four targets (default 3)
  --services N       Services programmed for the sync/RSS stage (default 10000)
  --connections N    wrk connections (default 50)
  --samples N        single-Service changes timed in the sync stage (default 50)
  --no-traffic       skip the wrk rounds (sync and RSS only; prints only)
  --no-write         do not update BENCHMARKS.md
`;

/** @param {string[]} argv */
function options(argv) {
  const o = { duration: 10, rounds: /** @type {number} */ (3), services: 10_000, connections: 50, samples: 50, write: true, quick: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${a}: want a positive number`);
      return v;
    };
    if (a === '--quick') Object.assign(o, { quick: true, duration: 3, rounds: 1, services: 1000, write: false });
    else if (a === '--duration') o.duration = num();
    else if (a === '--rounds') o.rounds = num();
    else if (a === '--services') o.services = num();
    else if (a === '--connections') o.connections = num();
    else if (a === '--samples') o.samples = num();
    else if (a === '--no-write') o.write = false;
    else if (a === '--no-traffic') Object.assign(o, { rounds: 0, write: false });
    else if (a === '--help' || a === '-h') {
      process.stdout.write(HELP);
      process.exit(0);
    } else throw new Error(`unknown option ${a}\n${HELP}`);
  }
  return o;
}

const log = (/** @type {string} */ m) => process.stdout.write(`[proxy] ${m}\n`);

/** @param {string} tool */
function need(tool) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} not found: apt-get install ${tool === 'haproxy' ? 'haproxy' : 'wrk'}`);
}

/** wrk's latency figures ("1.66ms", "850.00us", "1.2s") in ms. @param {string} v */
function ms(v) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v);
  if (!m) return NaN;
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60_000 }[/** @type {'us'|'ms'|'s'|'m'} */ (m[2])];
}

/** wrk's Transfer/sec ("1.23GB") in MiB/s. @param {string} v */
function mib(v) {
  const m = /^([\d.]+)(B|KB|MB|GB)$/.exec(v);
  if (!m) return NaN;
  return Number(m[1]) * { B: 1 / 1048576, KB: 1 / 1024, MB: 1, GB: 1024 }[/** @type {'B'|'KB'|'MB'|'GB'} */ (m[2])];
}

/**
 * One wrk run (bounded by -d), parsed. `script`: a wrk Lua script (the paced runs).
 * @param {string} url @param {{ connections: number, duration: number, threads?: number, script?: string }} o
 */
function wrk(url, o) {
  const args = [`-t${o.threads ?? 2}`, `-c${o.connections}`, `-d${o.duration}s`, '--latency', '--timeout', '5s', ...(o.script ? ['-s', o.script] : []), url];
  const r = spawnSync('wrk', args, {
    encoding: 'utf8',
    timeout: (o.duration + 30) * 1000,
  });
  const out = r.stdout ?? '';
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p50 = ms(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? '');
  const p99 = ms(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? '');
  const transfer = mib(/Transfer\/sec:\s+(\S+)/.exec(out)?.[1] ?? '');
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(out)?.[0];
  if (!Number.isFinite(rps)) throw new Error(`wrk ${url} failed: ${r.stderr || out}`);
  return { rps, p50, p99, transfer, errors };
}

/**
 * Appends one run's result to the list kept for `name`.
 * @param {Map<string, Array<ReturnType<typeof wrk>>>} runs @param {string} name @param {ReturnType<typeof wrk>} r
 */
function record(runs, name, r) {
  const list = runs.get(name);
  if (list) list.push(r);
  else runs.set(name, [r]);
}

/** @param {string} text @param {string} name */
function metric(text, name) {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

/** @param {string} url */
async function scrape(url) {
  return (await fetchText(url, 10_000)).text;
}

/** @param {number} x @param {number} [d] */
const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : 'n/a');

export async function main(/** @type {string[]} */ argv) {
  const o = options(argv);
  need('wrk');
  need('haproxy');
  const dir = mkdtempSync(join(tmpdir(), 'kemu-bench-proxy-'));
  /** @type {ControlPlane | undefined} */
  let cp;
  /** @type {TestNode | undefined} */
  let node;
  /** @type {import('node:child_process').ChildProcess | undefined} */
  let haproxy;
  const cleanup = () => {
    if (haproxy?.pid && haproxy.exitCode === null) haproxy.kill('SIGKILL');
  };
  process.on('exit', cleanup);
  try {
    log('starting etcd x3, apiserver, controller-manager and one node agent');
    cp = await ControlPlane.start({ ipPrefix: BLOCK, apiserverArgs: ['--service-cluster-ip-range', SERVICE_CIDR] });
    node = new TestNode({
      name: 'node-1',
      nodeIP: NODE_IP,
      zone: 'zone-a',
      podCIDR: '127.132.1.0/24',
      apiservers: cp.apiserverEndpoints(),
      token: TOKENS.node,
      dir,
    }).start();
    await node.process.waitReady();
    const client = cp.client();
    await client.create('deployments', {
      metadata: { name: 'web', namespace: NS },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'echo', image: 'kemu/echo', ports: [{ name: 'http', containerPort: 8080 }] }] },
        },
      },
    });
    const svc = await client.create('services', {
      metadata: { name: 'web', namespace: NS },
      spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] },
    });
    const clusterIP = svc.spec?.clusterIP ?? '';
    const nodePort = svc.spec?.ports?.[0]?.nodePort ?? 0;
    const podIPs = await eventually(async () => {
      const s = await sliceAddresses(client, NS, 'web');
      if (s.ready.length !== 3) throw new Error(`${s.ready.length} ready`);
      return s.ready;
    }, 60_000);
    await eventually(async () => {
      const r = await fetchText(`http://${clusterIP}/`, 1000);
      if (!r.ok) throw new Error(String(r.status));
    }, 20_000);

    const cfg = join(dir, 'haproxy.cfg');
    writeFileSync(
      cfg,
      [
        'global',
        '  maxconn 4000',
        'defaults',
        '  mode tcp',
        '  timeout connect 5s',
        '  timeout client 60s',
        '  timeout server 60s',
        'frontend web',
        `  bind ${HAPROXY_ADDR}:8080`,
        '  default_backend pods',
        'backend pods',
        '  balance roundrobin',
        ...podIPs.map((ip, i) => `  server pod${i} ${ip}:8080`),
        '',
      ].join('\n'),
    );
    haproxy = spawn('haproxy', ['-f', cfg, '-db'], { stdio: ['ignore', 'ignore', 'pipe'] });
    await eventually(async () => {
      const r = await fetchText(`http://${HAPROXY_ADDR}:8080/`, 1000);
      if (!r.ok) throw new Error(String(r.status));
    }, 10_000);
    const version = /HAProxy version (\S+)/.exec(spawnSync('haproxy', ['-v'], { encoding: 'utf8' }).stdout)?.[1] ?? '?';

    const targets = /** @type {const} */ ([
      ['direct (one pod)', `http://${podIPs[0]}:8080`],
      [`HAProxy ${version} (tcp mode)`, `http://${HAPROXY_ADDR}:8080`],
      ['kemu ClusterIP', `http://${clusterIP}:80`],
      ['kemu NodePort', `http://${NODE_IP}:${nodePort}`],
    ]);
    log(`warming up; pods ${podIPs.join(' ')}, ClusterIP ${clusterIP}, NodePort ${nodePort}`);
    if (o.rounds > 0) for (const [, url] of targets) wrk(`${url}/`, { connections: o.connections, duration: 2 });

    /** @type {Map<string, Array<ReturnType<typeof wrk>>>} */
    const small = new Map();
    /** @type {Map<string, Array<ReturnType<typeof wrk>>>} */
    const bulk = new Map();
    /** @type {Map<string, Array<ReturnType<typeof wrk>>>} */
    const paced = new Map();
    // Latency is compared at a fixed, moderate load: at saturation every target's tail is
    // set by how the 2 cores are shared between wrk, the pods and the proxy, not by the proxy.
    const pacing = join(dir, 'paced.lua');
    writeFileSync(pacing, `function delay()\n  return ${PACE_MS}\nend\n`);
    const agentCpu0 = cpuMs(node.process.proc?.pid);
    for (let round = 0; round < o.rounds; round++) {
      for (const [name, url] of targets) {
        const r = wrk(`${url}/`, { connections: o.connections, duration: o.duration });
        record(small, name, r);
        log(`round ${round + 1} ${name}: ${fmt(r.rps)} req/s, p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms${r.errors ? ` (${r.errors})` : ''}`);
      }
      for (const [name, url] of targets) {
        const r = wrk(`${url}/`, { connections: o.connections, duration: o.duration, script: pacing });
        record(paced, name, r);
        log(`round ${round + 1} ${name} paced: ${fmt(r.rps)} req/s, p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms`);
      }
      for (const [name, url] of targets) {
        const r = wrk(`${url}/bytes?n=1048576`, { connections: 4, duration: o.duration });
        record(bulk, name, r);
        log(`round ${round + 1} ${name} bulk: ${fmt(r.transfer)} MiB/s`);
      }
    }
    const agentCpu = (cpuMs(node.process.proc?.pid) ?? 0) - (agentCpu0 ?? 0);
    const med = (/** @type {Map<string, Array<ReturnType<typeof wrk>>>} */ m, /** @type {string} */ k, /** @type {'rps'|'p50'|'p99'|'transfer'} */ f) =>
      median((m.get(k) ?? []).map((r) => r[f]));
    const names = targets.map(([n]) => n);
    const [directName, haName, cipName, npName] = names;

    // Stage 2: many Services.
    log(`creating ${o.services} Services`);
    const t0 = Date.now();
    const created = await runPool(
      o.services,
      32,
      async (i) => {
        await withRetry(
          () =>
            client.create('services', {
              metadata: { name: `s-${i}`, namespace: NS },
              spec: { ports: [{ port: 80 + (i % 3), targetPort: 8080 }] },
            }),
          { alreadyDone: (err) => isApiError(err, Reason.AlreadyExists) },
        );
      },
      { maxMs: 600_000 },
    );
    if (!created.complete) throw new Error(`created ${created.ok} of ${o.services} Services: ${created.firstError ?? 'out of time'}`);
    const createSeconds = (Date.now() - t0) / 1000;
    const metricsUrl = `http://${NODE_IP}:10256/metrics`;
    await eventually(async () => {
      const n = metric(await scrape(metricsUrl), 'kemu_proxy_frontends') ?? 0;
      if (n < o.services) throw new Error(`${n} frontends`);
    }, 300_000, 500);
    const programmedSeconds = (Date.now() - t0) / 1000;
    await sleep(3000);
    const rss = rssKiB(node.process.proc?.pid) ?? 0;
    log(`${o.services} Services programmed ${fmt(programmedSeconds, 1)} s after the first create; agent RSS ${fmt(rss / 1024, 1)} MiB`);

    /** @type {number[]} */
    const syncs = [];
    for (let i = 0; i < o.samples; i++) {
      const before = await scrape(metricsUrl);
      const sum0 = metric(before, 'kemu_proxy_sync_proxy_rules_duration_seconds_sum') ?? 0;
      const count0 = metric(before, 'kemu_proxy_sync_proxy_rules_duration_seconds_count') ?? 0;
      await client.patch('services', NS, `s-${i}`, { spec: { ports: [{ port: 1000 + i, targetPort: 8080 }] } });
      const one = await eventually(async () => {
        const after = await scrape(metricsUrl);
        const count = metric(after, 'kemu_proxy_sync_proxy_rules_duration_seconds_count') ?? 0;
        if (count <= count0) throw new Error('not synced yet');
        if (count !== count0 + 1) return undefined; // a periodic sync ran too: not one change alone
        return ((metric(after, 'kemu_proxy_sync_proxy_rules_duration_seconds_sum') ?? 0) - sum0) * 1000;
      }, 10_000, 20);
      if (one !== undefined) syncs.push(one);
    }
    syncs.sort((a, b) => a - b);
    const syncP50 = median(syncs);
    const syncP90 = syncs[Math.min(syncs.length - 1, Math.floor(syncs.length * 0.9))] ?? NaN;
    const syncMax = syncs[syncs.length - 1] ?? NaN;
    log(`one changed Service with ${o.services} programmed: sync p50 ${fmt(syncP50, 3)} ms, p90 ${fmt(syncP90, 3)} ms, max ${fmt(syncMax, 3)} ms (${syncs.length} samples)`);

    const rows = names.map((n) => {
      const added = med(paced, n, 'p99') - med(paced, directName ?? '', 'p99');
      return `| ${n} | ${fmt(med(small, n, 'rps'))} | ${fmt(med(small, n, 'p99'), 2)} | ${fmt(med(paced, n, 'rps'))} | ${fmt(med(paced, n, 'p50'), 2)} | ${fmt(med(paced, n, 'p99'), 2)} | ${n === directName ? '-' : fmt(added, 2)} | ${fmt(med(bulk, n, 'transfer'))} |`;
    });
    const haRps = med(small, haName ?? '', 'rps');
    const haAddedP99 = med(paced, haName ?? '', 'p99') - med(paced, directName ?? '', 'p99');
    const cipAddedP99 = med(paced, cipName ?? '', 'p99') - med(paced, directName ?? '', 'p99');
    const haBulk = med(bulk, haName ?? '', 'transfer');
    const checks = [
      ['requests/s through the ClusterIP >= HAProxy', `${fmt(med(small, cipName ?? '', 'rps'))} vs ${fmt(haRps)} (${fmt(med(small, cipName ?? '', 'rps') / haRps, 2)}x)`, med(small, cipName ?? '', 'rps') >= haRps],
      ['added p99 latency (paced load) <= HAProxy', `${fmt(cipAddedP99, 2)} ms vs ${fmt(haAddedP99, 2)} ms`, cipAddedP99 <= haAddedP99],
      ['bulk throughput >= 0.9x HAProxy', `${fmt(med(bulk, cipName ?? '', 'transfer'))} vs ${fmt(haBulk)} MiB/s (${fmt(med(bulk, cipName ?? '', 'transfer') / haBulk, 2)}x)`, med(bulk, cipName ?? '', 'transfer') >= 0.9 * haBulk],
      [`sync of one changed Service <= 1 ms with ${fmt(o.services)} Services (median of ${syncs.length})`, `p50 ${fmt(syncP50, 3)} ms, p90 ${fmt(syncP90, 3)} ms, max ${fmt(syncMax, 3)} ms`, syncP50 <= 1],
      [`agent RSS <= 100 MB with ${fmt(o.services)} Services`, `${fmt((rss * 1024) / 1e6, 1)} MB`, (rss * 1024) / 1e6 <= 100],
    ];
    const section = [
      '## Service forwarding (`npm run bench -- proxy`)',
      '',
      `wrk (${o.connections} connections, 2 threads, ${o.duration} s per run, median of ${o.rounds} alternating rounds) against three \`kemu/echo\` pods on one node agent; HAProxy in TCP mode in front of the same pods. Saturated: as fast as wrk goes. Paced: each connection waits ${PACE_MS} ms between requests (a fixed, moderate load), where the added latency is read: a target's p99 minus the direct run's. The direct run puts all the load on one pod while the proxies spread it over three, so an added latency can come out below zero; what compares is kemu's against HAProxy's in the same run. Bulk: 4 connections fetching 1 MiB answers. Agent forwarder: ${/"forwarder":"(\w+)"/.exec(node.process.tail(400))?.[1] ?? 'unknown'}. Measured ${new Date().toISOString().slice(0, 10)} on ${process.platform}, ${(await import('node:os')).cpus().length} cores.`,
      '',
      '| target | saturated req/s | saturated p99 ms | paced req/s | paced p50 ms | paced p99 ms | added p99 ms (paced) | bulk MiB/s |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      ...rows,
      '',
      '| target | measured | met |',
      '|---|---|---|',
      ...checks.map(([what, got, ok]) => `| ${what} | ${got} | ${ok ? 'yes' : '**no**'} |`),
      '',
      `${fmt(o.services)} Services created in ${fmt(createSeconds, 1)} s and listened on by the agent ${fmt(programmedSeconds, 1)} s after the first create. Agent CPU during the wrk rounds: ${fmt(agentCpu / 1000, 1)} s.`,
    ].join('\n');
    process.stdout.write(`\n${section}\n`);
    if (o.write) {
      writeSection(join(REPO, 'BENCHMARKS.md'), 'proxy', section);
      log('BENCHMARKS.md updated');
    }
    client.close();
  } finally {
    cleanup();
    await node?.destroy();
    await cp?.destroy();
  }
}
