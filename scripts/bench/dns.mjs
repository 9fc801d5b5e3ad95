// @ts-check
// `npm run bench -- dns`: kemu's cluster DNS against dnsmasq serving the same names, in
// one run. N ClusterIP Services are created in namespace `bench`; kemu's dns learns them
// from the apiserver, dnsmasq reads the same name -> ClusterIP pairs from a hosts file.
//   throughput  dnsperf over the same query file, rounds alternating the two servers
//   latency     a paced UDP probe written here (dnsperf reports no percentiles)
//   change      a new Service created, then kemu dns polled until it answers with its IP
//   memory      RSS of the kemu dns process with N Services, before and after the load
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlPlane, TestDns, TOKENS, eventually } from '../../test/dist/harness/index.js';
import { writeSection } from './benchmarks-md.mjs';
import { isApiError, Reason } from '@kemu/api';
import { encodeQuery, readName, skipRecord } from '@kemu/dns';
import { quantile, median, runPool, sleep, withRetry } from './control-plane/pool.mjs';
import { machineCpu, peakRssKiB, rssKiB, cpuMs } from './proc-stats.mjs';

const REPO = new URL('../..', import.meta.url).pathname;
const BLOCK = '127.33.0';
const SERVICE_CIDR = '127.98.0.0/16';
const KEMU_HOST = `${BLOCK}.53`;
const DNSMASQ_HOST = `${BLOCK}.54`;
const PORT = 1053;
const NS = 'bench';
const ZONE = 'cluster.local';
/** Polling interval of the change-propagation stage. */
const POLL_MS = 2;

const HELP = `usage: npm run bench -- dns [options]
  --quick            short runs (3 s, 1 round, 1,000 Services, 10 samples); prints only
  --duration S       seconds per dnsperf run and per latency probe (default 10)
  --rounds N         rounds alternating kemu and dnsmasq (default 3)
  --services N       Services served by both (default 10000)
  --outstanding N    dnsperf -q: queries in flight (default 500)
  --clients N        dnsperf -c: client sockets (default 1)
  --rate N           queries/s of the paced latency probe (default 2000)
  --samples N        Service creations timed in the change stage (default 50)
  --no-write         do not update BENCHMARKS.md
`;

/** @param {string[]} argv */
function options(argv) {
  const o = { duration: 10, rounds: 3, services: 10_000, outstanding: 500, clients: 1, rate: 2000, samples: 50, write: true, quick: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v <= 0) throw new Error(`${a}: want a positive integer`);
      return v;
    };
    if (a === '--quick') Object.assign(o, { quick: true, duration: 3, rounds: 1, services: 1000, samples: 10, write: false });
    else if (a === '--duration') o.duration = num();
    else if (a === '--rounds') o.rounds = num();
    else if (a === '--services') o.services = num();
    else if (a === '--outstanding') o.outstanding = num();
    else if (a === '--clients') o.clients = num();
    else if (a === '--rate') o.rate = num();
    else if (a === '--samples') o.samples = num();
    else if (a === '--no-write') o.write = false;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(HELP);
      process.exit(0);
    } else throw new Error(`unknown option ${a}\n${HELP}`);
  }
  if (o.services > 60_000) throw new Error('--services: at most 60000 (the service range is a /16)');
  return o;
}

const log = (/** @type {string} */ m) => process.stdout.write(`[dns] ${m}\n`);

/** @param {string} tool @param {string} pkg */
function need(tool, pkg) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} not found: apt-get install ${pkg}`);
}

/** @param {number} x @param {number} [d] */
const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : 'n/a');

/** @param {number} i */
const svcName = (i) => `svc-${i}.${NS}.svc.${ZONE}`;

// --- DNS wire format: queries and record walking come from kemu's dns package ---------

/**
 * The ID, RCODE and A records of a reply; undefined for anything that is not one.
 * @param {Buffer} b
 * @returns {{ id: number, rcode: number, ips: string[] } | undefined}
 */
function parseReply(b) {
  if (b.length < 12 || (b[2] ?? 0) < 0x80) return undefined;
  const id = b.readUInt16BE(0);
  const rcode = (b[3] ?? 0) & 0x0f;
  /** @type {string[]} */
  const ips = [];
  try {
    const qd = b.readUInt16BE(4);
    const an = b.readUInt16BE(6);
    let off = 12;
    for (let i = 0; i < qd; i++) off = readName(b, off, false).next + 4;
    for (let i = 0; i < an; i++) {
      const rr = skipRecord(b, off);
      if (rr.type === 1 && rr.rdlen === 4) ips.push(`${b[rr.rdata]}.${b[rr.rdata + 1]}.${b[rr.rdata + 2]}.${b[rr.rdata + 3]}`);
      off = rr.next;
    }
  } catch {
    /* a malformed answer section: keep what was read */
  }
  return { id, rcode, ips };
}

/** One UDP socket asking one server, any number of queries in flight, matched by ID. */
class Resolver {
  /** @param {string} host @param {number} port */
  constructor(host, port) {
    this.host = host;
    this.port = port;
    this.sock = createSocket('udp4');
    this.nextId = 1;
    /** @type {Map<number, (r: { rcode: number, ips: string[] } | undefined) => void>} */
    this.pending = new Map();
    this.sock.on('message', (m) => {
      const r = parseReply(m);
      const done = r && this.pending.get(r.id);
      if (r && done) {
        this.pending.delete(r.id);
        done(r);
      }
    });
    this.sock.unref();
  }

  /**
   * @param {string} name @param {number} timeoutMs
   * @returns {Promise<{ rcode: number, ips: string[] } | undefined>} undefined: no answer in time
   */
  ask(name, timeoutMs) {
    let id = this.nextId;
    for (let n = 0; this.pending.has(id); n++) {
      if (n > 65535) return Promise.reject(new Error('65,536 queries in flight'));
      id = (id + 1) & 0xffff;
    }
    this.nextId = (id + 1) & 0xffff;
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.pending.set(id, (r) => {
        clearTimeout(t);
        resolve(r);
      });
      this.sock.send(encodeQuery(name, { id }), this.port, this.host);
    });
  }

  close() {
    this.sock.close();
  }
}

/**
 * Asks `host` for every name (64 in flight, up to 3 tries each) and counts the answers
 * that are not exactly the expected single A record.
 * @param {Resolver} r @param {string[]} names @param {string[]} ips
 */
async function verifyAll(r, names, ips) {
  let wrong = 0;
  /** @type {string | undefined} */
  let example;
  const res = await runPool(
    names.length,
    64,
    async (i) => {
      for (let attempt = 0; attempt < 3; attempt++) {
        const a = await r.ask(/** @type {string} */ (names[i]), 2000);
        if (!a) continue;
        if (a.rcode !== 0 || a.ips.length !== 1 || a.ips[0] !== ips[i]) {
          wrong++;
          example ??= `${names[i]}: rcode ${a.rcode}, ${a.ips.join(',') || 'no A'} (want ${ips[i]})`;
        }
        return;
      }
      throw new Error(`${names[i]}: no answer`);
    },
    { maxMs: 120_000, maxErrors: 1_000_000 },
  );
  return { wrong, unanswered: names.length - res.ok, example };
}

/**
 * Open-loop latency: one socket sends `rate` queries/s for `seconds` (names cycling
 * through `names`), whatever the answers do; each answer's round trip is measured with
 * performance.now() in this process (so it holds the client's event loop too).
 * @param {string} host @param {string[]} names @param {number} rate @param {number} seconds
 */
async function pacedProbe(host, names, rate, seconds) {
  const sock = createSocket('udp4');
  const total = Math.round(rate * seconds);
  /** @type {Map<number, number>} */
  const sentAt = new Map();
  /** @type {number[]} */
  const rtts = [];
  let errors = 0;
  sock.on('message', (m) => {
    const r = parseReply(m);
    if (!r) return;
    const t = sentAt.get(r.id);
    if (t === undefined) return;
    rtts.push(performance.now() - t);
    sentAt.delete(r.id);
    if (r.rcode !== 0 || r.ips.length === 0) errors++;
  });
  await new Promise((res) => sock.bind(0, '127.0.0.1', () => res(undefined)));
  const packets = names.map((n) => encodeQuery(n));
  let sent = 0;
  const t0 = performance.now();
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000));
      while (sent < due) {
        const id = sent & 0xffff;
        const p = Buffer.from(/** @type {Buffer} */ (packets[sent % packets.length])); // a copy: send may read it later
        p.writeUInt16BE(id, 0);
        sentAt.set(id, performance.now()); // a still-unanswered query with this ID counts as lost
        sock.send(p, PORT, host);
        sent++;
      }
      if (sent >= total || performance.now() - t0 > seconds * 1000 + 5000) {
        clearInterval(timer);
        resolve(undefined);
      }
    }, 1);
  });
  const sendSeconds = (performance.now() - t0) / 1000;
  await sleep(1000); // stragglers
  sock.close();
  rtts.sort((a, b) => a - b);
  return { sent, answered: rtts.length, lost: sent - rtts.length, errors, sendSeconds, p50: quantile(rtts, 0.5), p99: quantile(rtts, 0.99), max: rtts[rtts.length - 1] ?? NaN };
}

/**
 * One dnsperf run (bounded by -l), parsed.
 * @param {string} host @param {string} file @param {{ duration: number, outstanding: number, clients: number }} o
 */
function dnsperf(host, file, o) {
  const args = ['-s', host, '-p', String(PORT), '-d', file, '-l', String(o.duration), '-q', String(o.outstanding), '-c', String(o.clients), '-t', '2'];
  const r = spawnSync('dnsperf', args, { encoding: 'utf8', timeout: (o.duration + 30) * 1000 });
  const out = r.stdout ?? '';
  const qps = Number(/Queries per second:\s+([\d.]+)/.exec(out)?.[1]);
  const avgMs = Number(/Average Latency \(s\):\s+([\d.]+)/.exec(out)?.[1]) * 1000;
  const sent = Number(/Queries sent:\s+(\d+)/.exec(out)?.[1]);
  const lost = Number(/Queries lost:\s+(\d+)/.exec(out)?.[1]);
  const codes = /Response codes:\s+(.*)/.exec(out)?.[1]?.trim() ?? '';
  if (!Number.isFinite(qps)) throw new Error(`dnsperf ${args.join(' ')} failed: ${r.error?.message ?? ''} ${r.stderr || out}`);
  return { qps, avgMs, sent, lost, codes };
}

/** A fixed-seed shuffle (mulberry32), so both servers and every run see the same order. @template T @param {T[]} xs */
function shuffled(xs) {
  let s = 0x6b656d75;
  const rnd = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [/** @type {T} */ (out[j]), /** @type {T} */ (out[i])];
  }
  return out;
}

export async function main(/** @type {string[]} */ argv) {
  const o = options(argv);
  need('dnsperf', 'dnsperf');
  need('dnsmasq', 'dnsmasq');
  const dir = mkdtempSync(join(tmpdir(), 'kemu-bench-dns-'));
  /** @type {ControlPlane | undefined} */
  let cp;
  /** @type {TestDns | undefined} */
  let dns;
  /** @type {import('node:child_process').ChildProcess | undefined} */
  let dnsmasq;
  /** @type {Resolver | undefined} */
  let kemuR;
  /** @type {Resolver | undefined} */
  let masqR;
  const cleanup = () => {
    if (dnsmasq?.pid && dnsmasq.exitCode === null && dnsmasq.signalCode === null) dnsmasq.kill('SIGKILL');
  };
  process.on('exit', cleanup);
  try {
    log(`starting etcd x3, an apiserver and kemu dns on ${KEMU_HOST}:${PORT} (temp dir ${dir})`);
    cp = await ControlPlane.start({ ipPrefix: BLOCK, controllerManagers: 0, apiserverArgs: ['--service-cluster-ip-range', SERVICE_CIDR] });
    const client = cp.client();
    await client.create('namespaces', { metadata: { name: NS } });
    dns = new TestDns({ name: 'dns-0', apiservers: cp.apiserverEndpoints(), token: TOKENS.admin, host: KEMU_HOST, port: PORT, opsPort: 9153, dir }).start();
    await dns.process.waitReady();
    const dnsPid = dns.process.proc?.pid;
    kemuR = new Resolver(KEMU_HOST, PORT);
    masqR = new Resolver(DNSMASQ_HOST, PORT);

    // Stage 1: N Services, served by kemu dns as they arrive.
    log(`creating ${fmt(o.services)} Services in namespace ${NS}`);
    const t0 = Date.now();
    const created = await runPool(
      o.services,
      32,
      async (i) => {
        await withRetry(
          () => client.create('services', { metadata: { name: `svc-${i}`, namespace: NS }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] } }),
          { alreadyDone: (err) => isApiError(err, Reason.AlreadyExists) },
        );
      },
      { maxMs: 600_000, progress: (n, ms) => log(`  ${fmt(n)} created (${fmt(n / (ms / 1000))}/s)`), progressMs: 15_000 },
    );
    if (!created.complete) throw new Error(`created ${created.ok} of ${o.services} Services: ${created.firstError ?? 'out of time'}`);
    const createSeconds = (Date.now() - t0) / 1000;
    /** @type {Map<string, string>} */
    const ipOf = new Map();
    let cont = '';
    do {
      const page = await client.list('services', { namespace: NS, limit: 1000, continue: cont });
      for (const s of page.items) ipOf.set(s.metadata?.name ?? '', s.spec?.clusterIP ?? '');
      cont = page.continue;
    } while (cont);
    const names = Array.from({ length: o.services }, (_, i) => svcName(i));
    const ips = Array.from({ length: o.services }, (_, i) => ipOf.get(`svc-${i}`) ?? '');
    if (ips.some((ip) => !/^\d+\.\d+\.\d+\.\d+$/.test(ip))) throw new Error('a Service without an IPv4 ClusterIP');
    const last = o.services - 1;
    await eventually(async () => {
      const a = await kemuR?.ask(svcName(last), 500);
      if (a?.ips[0] !== ips[last]) throw new Error(`kemu dns does not answer ${svcName(last)} yet`);
    }, 300_000, 100);
    const servedSeconds = (Date.now() - t0) / 1000;
    const kemuCheck = await verifyAll(kemuR, names, ips);
    if (kemuCheck.wrong + kemuCheck.unanswered > 0) log(`kemu dns: ${kemuCheck.wrong} wrong, ${kemuCheck.unanswered} unanswered (${kemuCheck.example ?? ''})`);
    await sleep(2000);
    const rssLoaded = rssKiB(dnsPid) ?? NaN;
    log(`${fmt(o.services)} Services created in ${fmt(createSeconds, 1)} s, all answered by kemu dns ${fmt(servedSeconds, 1)} s after the first create; dns RSS ${fmt(rssLoaded / 1024, 1)} MiB`);

    // dnsmasq with the same names, nothing else: no upstreams, no /etc/hosts, cluster.local local only.
    const hostsFile = join(dir, 'hosts');
    writeFileSync(hostsFile, names.map((n, i) => `${ips[i]} ${n}\n`).join(''));
    dnsmasq = spawn(
      'dnsmasq',
      [
        '-k',
        '--no-resolv',
        '--no-hosts',
        '--bind-interfaces',
        `--listen-address=${DNSMASQ_HOST}`,
        `--port=${PORT}`,
        '--user=root',
        `--addn-hosts=${hostsFile}`,
        `--local=/${ZONE}/`,
        '--cache-size=10000',
        '--local-ttl=5',
        `--pid-file=${join(dir, 'dnsmasq.pid')}`,
        `--log-facility=${join(dir, 'dnsmasq.log')}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    /** @type {string} */
    let dnsmasqErr = '';
    dnsmasq.stderr?.on('data', (d) => (dnsmasqErr += String(d)));
    await eventually(async () => {
      if (dnsmasq?.exitCode !== null) throw new Error(`dnsmasq exited: ${dnsmasqErr}`);
      const a = await masqR?.ask(svcName(last), 500);
      if (a?.ips[0] !== ips[last]) throw new Error('dnsmasq does not answer yet');
    }, 20_000, 100);
    const masqCheck = await verifyAll(masqR, names, ips);
    if (masqCheck.wrong + masqCheck.unanswered > 0) log(`dnsmasq: ${masqCheck.wrong} wrong, ${masqCheck.unanswered} unanswered (${masqCheck.example ?? ''})`);
    const nx = await Promise.all([kemuR.ask(`nope.${NS}.svc.${ZONE}`, 2000), masqR.ask(`nope.${NS}.svc.${ZONE}`, 2000)]);
    log(`unknown name: kemu rcode ${nx[0]?.rcode ?? 'none'}, dnsmasq rcode ${nx[1]?.rcode ?? 'none'} (3 = NXDOMAIN)`);
    const masqVersion = /Dnsmasq version (\S+)/.exec(spawnSync('dnsmasq', ['--version'], { encoding: 'utf8' }).stdout)?.[1] ?? '?';
    const perfVersion = /Version (\S+)/.exec((() => { const h = spawnSync('dnsperf', ['-h'], { encoding: 'utf8' }); return `${h.stdout ?? ''}${h.stderr ?? ''}`; })())?.[1] ?? '?';

    const queryFile = join(dir, 'queries.txt');
    const queryNames = shuffled(names);
    writeFileSync(queryFile, queryNames.map((n) => `${n} A\n`).join(''));

    /** @type {Array<readonly [string, string]>} */
    const targets = [
      ['kemu', KEMU_HOST],
      ['dnsmasq', DNSMASQ_HOST],
    ];
    log('warming up (2 s dnsperf each)');
    for (const [, host] of targets) dnsperf(host, queryFile, { ...o, duration: 2 });

    // Stage 2: throughput and latency, rounds alternating the servers.
    /** @type {Record<string, Array<ReturnType<typeof dnsperf>>>} */
    const perf = { kemu: [], dnsmasq: [] };
    /** @type {Record<string, Array<Awaited<ReturnType<typeof pacedProbe>>>>} */
    const probes = { kemu: [], dnsmasq: [] };
    const cpu0 = machineCpu();
    const dnsCpu0 = cpuMs(dnsPid) ?? 0;
    const tLoad = performance.now();
    for (let round = 0; round < o.rounds; round++) {
      for (const [name, host] of round % 2 === 0 ? targets : [...targets].reverse()) {
        const r = dnsperf(host, queryFile, o);
        perf[name]?.push(r);
        log(`round ${round + 1} ${name} dnsperf: ${fmt(r.qps)} qps, avg ${fmt(r.avgMs, 3)} ms, lost ${r.lost} of ${r.sent} (${r.codes})`);
      }
      for (const [name, host] of round % 2 === 0 ? targets : [...targets].reverse()) {
        const p = await pacedProbe(host, queryNames, o.rate, o.duration);
        probes[name]?.push(p);
        log(`round ${round + 1} ${name} paced ${fmt(o.rate)}/s: p50 ${fmt(p.p50, 3)} ms, p99 ${fmt(p.p99, 3)} ms, max ${fmt(p.max, 1)} ms, lost ${p.lost}, errors ${p.errors} (sent in ${fmt(p.sendSeconds, 1)} s)`);
      }
    }
    const loadSeconds = (performance.now() - tLoad) / 1000;
    const dnsCpu = (cpuMs(dnsPid) ?? 0) - dnsCpu0;
    const cpu1 = machineCpu();
    const stealPct = cpu1.total > cpu0.total ? ((cpu1.steal - cpu0.steal) / (cpu1.total - cpu0.total)) * 100 : NaN;
    const rssAfterLoad = rssKiB(dnsPid) ?? NaN;
    const masqRss = rssKiB(dnsmasq.pid) ?? NaN;
    log(`after the load: kemu dns RSS ${fmt(rssAfterLoad / 1024, 1)} MiB, dnsmasq ${fmt(masqRss / 1024, 1)} MiB; steal ${fmt(stealPct, 1)}%`);

    // Stage 3: a new Service, and how long until kemu dns answers it.
    /** @type {number[]} */
    const fromReturn = [];
    /** @type {number[]} */
    const fromCall = [];
    let notSeen = 0;
    for (let k = 0; k < o.samples; k++) {
      const name = `chg-${k}`;
      const tCall = performance.now();
      const svc = await client.create('services', { metadata: { name, namespace: NS }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] } });
      const tReturn = performance.now();
      const ip = svc.spec?.clusterIP ?? '';
      const fqdn = `${name}.${NS}.svc.${ZONE}`;
      // A query every POLL_MS ms, not waiting for answers: one lost datagram (or a stall of
      // this process) must not count as propagation time.
      let stop = false;
      const resolver = kemuR;
      const seen = await new Promise((/** @type {(t: number) => void} */ resolve) => {
        const tick = () => {
          if (stop) return;
          if (performance.now() - tReturn >= 10_000) return resolve(NaN);
          void resolver.ask(fqdn, 2000).then((a) => {
            if (!stop && a && a.rcode === 0 && a.ips.includes(ip)) {
              stop = true;
              resolve(performance.now());
            }
          });
          setTimeout(tick, POLL_MS);
        };
        tick();
      });
      stop = true;
      if (Number.isNaN(seen)) notSeen++;
      else {
        fromReturn.push(seen - tReturn);
        fromCall.push(seen - tCall);
      }
      await sleep(50);
    }
    fromReturn.sort((a, b) => a - b);
    fromCall.sort((a, b) => a - b);
    const chg = {
      p50: quantile(fromReturn, 0.5),
      p99: quantile(fromReturn, 0.99),
      max: fromReturn[fromReturn.length - 1] ?? NaN,
      callP50: quantile(fromCall, 0.5),
      callP99: quantile(fromCall, 0.99),
    };
    log(`change: answered p50 ${fmt(chg.p50, 1)} ms, p99 ${fmt(chg.p99, 1)} ms, max ${fmt(chg.max, 1)} ms after create returned (from before the call: p50 ${fmt(chg.callP50, 1)}, p99 ${fmt(chg.callP99, 1)} ms); ${notSeen} not seen in 10 s`);
    const rssEnd = rssKiB(dnsPid) ?? NaN;
    const rssMax = Math.max(rssLoaded, rssAfterLoad, rssEnd);
    const rssPeak = peakRssKiB(dnsPid) ?? NaN;

    const med = (/** @type {string} */ n, /** @type {'qps'|'avgMs'} */ f) => median((perf[n] ?? []).map((r) => r[f]));
    const pmed = (/** @type {string} */ n, /** @type {'p50'|'p99'|'max'} */ f) => median((probes[n] ?? []).map((r) => r[f]));
    const probeLost = (/** @type {string} */ n) => (probes[n] ?? []).reduce((a, r) => a + r.lost, 0);
    const lostOf = (/** @type {string} */ n) => (perf[n] ?? []).reduce((a, r) => a + r.lost, 0);
    const ratio = med('kemu', 'qps') / med('dnsmasq', 'qps');
    const mb = (/** @type {number} */ kib) => (kib * 1024) / 1e6;
    /** @type {Array<[string, string, string, string, string]>} */
    const rows = [
      ['queries/s (dnsperf, median)', fmt(med('kemu', 'qps')), fmt(med('dnsmasq', 'qps')), '>= 0.6x dnsmasq', `${fmt(ratio, 2)}x: ${ratio >= 0.6 ? 'yes' : '**no**'}`],
      ['dnsperf average latency, ms', fmt(med('kemu', 'avgMs'), 3), fmt(med('dnsmasq', 'avgMs'), 3), '-', '-'],
      ['dnsperf queries lost (all rounds)', fmt(lostOf('kemu')), fmt(lostOf('dnsmasq')), '-', '-'],
      [`p50 latency at ${fmt(o.rate)} queries/s, ms`, fmt(pmed('kemu', 'p50'), 3), fmt(pmed('dnsmasq', 'p50'), 3), '-', '-'],
      [`p99 latency at ${fmt(o.rate)} queries/s, ms`, fmt(pmed('kemu', 'p99'), 3), fmt(pmed('dnsmasq', 'p99'), 3), 'reported', 'yes'],
      [`max latency at ${fmt(o.rate)} queries/s, ms`, fmt(pmed('kemu', 'max'), 1), fmt(pmed('dnsmasq', 'max'), 1), '-', '-'],
      [`probe queries lost (all rounds, not in the percentiles)`, fmt(probeLost('kemu')), fmt(probeLost('dnsmasq')), '-', '-'],
      [
        `new Service answered, p99 of ${fromReturn.length} (p50 / max), ms`,
        `${fmt(chg.p99, 1)} (${fmt(chg.p50, 1)} / ${fmt(chg.max, 1)})`,
        'n/a (static file)',
        '<= 100 ms',
        chg.p99 <= 100 && notSeen === 0 ? 'yes' : '**no**',
      ],
      [`RSS with ${fmt(o.services)} Services, MB`, fmt(mb(rssMax), 1), fmt(mb(masqRss), 1), '<= 150 MB', mb(rssMax) <= 150 ? 'yes' : '**no**'],
    ];
    const section = [
      '## Cluster DNS (`npm run bench -- dns`)',
      '',
      `kemu's dns (\`packages/dns\`, default flags: cache 30 s, TTL 5 s) against dnsmasq ${masqVersion} serving the same ${fmt(o.services)} names (\`svc-<i>.${NS}.svc.${ZONE}\` -> ClusterIP, from a hosts file, \`--local=/${ZONE}/\`, \`--cache-size=10000\`, no upstreams), both on UDP over loopback. Every name was checked on both before the load (wrong or missing answers: kemu ${kemuCheck.wrong + kemuCheck.unanswered}, dnsmasq ${masqCheck.wrong + masqCheck.unanswered}).`,
      '',
      `- Throughput: dnsperf ${perfVersion} (\`-q ${o.outstanding} -c ${o.clients} -l ${o.duration}\`) over the ${fmt(o.services)} A queries in a fixed shuffled order, median of ${o.rounds} round${o.rounds === 1 ? '' : 's'} alternating the servers.`,
      `- Latency: dnsperf gives no percentiles, so a paced probe in the benchmark sends ${fmt(o.rate)} queries/s for ${o.duration} s on one UDP socket whatever the answers do and times each round trip in the client (its own event loop included); median over the rounds of each round's p50/p99/max.`,
      `- Change: ${o.samples} new Services created one at a time with ${fmt(o.services)} in place; kemu dns is polled (a query every ${POLL_MS} ms, not waiting for answers) from the moment the create call returns until it answers with the new ClusterIP. Measured from before the create call instead: p50 ${fmt(chg.callP50, 1)} ms, p99 ${fmt(chg.callP99, 1)} ms.${notSeen ? ` ${notSeen} not answered within 10 s.` : ''}`,
      `- RSS: VmRSS of the dns process, highest of: after all Services were served, after the load, at the end (peak VmHWM ${fmt(mb(rssPeak), 1)} MB); dnsmasq's after the load.`,
      '',
      '| metric | kemu dns | dnsmasq | target | met |',
      '|---|---:|---:|---|---|',
      ...rows.map((r) => `| ${r.join(' | ')} |`),
      '',
      `Measured ${new Date().toISOString().slice(0, 10)} on ${process.platform}, ${cpus().length} cores (dnsperf, the probe, both servers and the control plane share them), load average ${loadavg().map((x) => fmt(x, 1)).join(' ')}; CPU steal during the load stage ${fmt(stealPct, 1)}%. ${fmt(o.services)} Services created in ${fmt(createSeconds, 1)} s, all answered by kemu dns ${fmt(servedSeconds, 1)} s after the first create. kemu dns CPU during the load stage: ${fmt(dnsCpu / 1000, 1)} s of ${fmt(loadSeconds, 0)} s.`,
    ].join('\n');
    process.stdout.write(`\n${section}\n`);
    if (o.write) {
      writeSection(join(REPO, 'BENCHMARKS.md'), 'dns', section);
      log('BENCHMARKS.md updated');
    }
    client.close();
  } finally {
    kemuR?.close();
    masqR?.close();
    cleanup();
    await dns?.process.kill();
    await cp?.destroy();
  }
}
