// @ts-check
// `npm run bench -- control-plane`: kemu's control plane (three etcd members, an apiserver,
// a controller-manager, all real processes on loopback) at growing numbers of Services:
// endpoint propagation latency, apiserver create / list / watch throughput, RSS.
// See scripts/bench/README.md.
import { existsSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { installCleanupHooks } from './control-plane/processes.mjs';
import { errText } from './control-plane/pool.mjs';
import { cpuDetails, table, targets, targetTable, warningDetails } from './control-plane/report.mjs';
import { writeSection } from './benchmarks-md.mjs';
import { disableProfiling, enableProfiling, stopForProfiles, summarizeProfiles } from './control-plane/profile.mjs';

const REPO = new URL('../../', import.meta.url).pathname;
const IP_PREFIX = '127.31.0';

/** Stage sizes (Services); each stage adds to the previous one's objects. */
const SIZES = {
  full: { stages: [100, 1000, 10_000], samples: 200, burst: 10_000 },
  quick: { stages: [100, 1000], samples: 50, burst: 2000 },
};
/**
 * An unreported first stage: freshly started processes run unoptimised (not yet JIT-compiled)
 * code, which made the first reported stage's latencies 2-3x worse than after warm-up.
 */
const WARMUP = { services: 30, samples: 150 };

const USAGE = `usage: node scripts/bench/run.mjs control-plane [options]
  --quick                 100 and 1,000 services, 50 samples; prints only (BENCHMARKS.md untouched)
  --scale N               the largest stage has N services (default 10000; quick 1000); smaller
                          default stages are run first
  --pods-per-service N    pods (= endpoints) per service (default 10)
  --samples N             propagation samples per stage (default 200; quick 50)
  --concurrency N         calls in flight while populating (default 64)
  --nodes N               Nodes the pods are spread over, 3 zones (default 12)
  --write / --no-write    force / skip updating BENCHMARKS.md
  --profile DIR           run every control plane process under node --cpu-prof (profiles in
                          DIR), stop them with SIGTERM at the end and print where each spent
                          its CPU; prints only`;

/** @param {string[]} argv */
function parseArgs(argv) {
  const o = {
    quick: false,
    scale: /** @type {number | undefined} */ (undefined),
    podsPerService: 10,
    samples: /** @type {number | undefined} */ (undefined),
    concurrency: 64,
    nodes: 12,
    write: /** @type {boolean | undefined} */ (undefined),
    profile: /** @type {string | undefined} */ (undefined),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    /** @param {number} min @param {number} max */
    const int = (min, max) => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${a}: expected an integer ${min}..${max}\n${USAGE}`);
      return v;
    };
    switch (a) {
      case '--quick': o.quick = true; break;
      case '--scale': o.scale = int(1, 50_000); break;
      case '--pods-per-service': o.podsPerService = int(1, 100); break;
      case '--samples': o.samples = int(1, 2000); break;
      case '--concurrency': o.concurrency = int(1, 1024); break;
      case '--nodes': o.nodes = int(1, 200); break;
      case '--write': o.write = true; break;
      case '--no-write': o.write = false; break;
      case '--profile': {
        const v = argv[++i];
        if (v === undefined) throw new Error(`--profile needs a directory\n${USAGE}`);
        o.profile = resolve(v);
        break;
      }
      case '--help': case '-h': process.stdout.write(`${USAGE}\n`); process.exit(0); break;
      default: throw new Error(`unknown option ${a}\n${USAGE}`);
    }
  }
  return o;
}

const log = (/** @type {string} */ s) => process.stdout.write(`${s}\n`);

function machine() {
  return { nproc: availableParallelism(), cpu: cpus()[0]?.model.trim() ?? '?', memGiB: (totalmem() / 2 ** 30).toFixed(1), kernel: release(), node: process.version };
}

/** @typedef {import('./control-plane/report.mjs').StageResult} StageResult */

const fmt = (/** @type {number} */ x) => x.toLocaleString('en-US');

/** @param {string[]} argv */
export async function main(argv) {
  installCleanupHooks();
  const o = parseArgs(argv);
  if (!existsSync(join(REPO, 'test/dist/harness/index.js'))) {
    throw new Error('test/dist/harness is missing: run `npm run build` first (npm run bench does)');
  }
  const { startControlPlane, destroyControlPlane, newClient, createNamespace, createNodes, processes, NAMESPACE, ETCD_TIMING } = await import('./control-plane/cluster.mjs');
  const { MAX_PODS } = await import('./control-plane/workloads.mjs');
  const { SliceView } = await import('./control-plane/slice-view.mjs');
  const { runStage } = await import('./control-plane/stage.mjs');

  const size = o.quick ? SIZES.quick : SIZES.full;
  const scale = o.scale ?? size.stages[size.stages.length - 1] ?? 1000;
  const stages = [...size.stages.filter((n) => n < scale), scale];
  const samples = o.samples ?? size.samples;
  const layout = { podsPerService: o.podsPerService, nodes: o.nodes };
  if (scale * layout.podsPerService > MAX_PODS) throw new Error(`at most ${fmt(MAX_PODS)} pods (pod IPs 127.244.0.0-127.254.255.255)`);
  const warmup = stages[0] !== undefined && stages[0] > WARMUP.services ? WARMUP : undefined;
  const m = machine();
  const started = performance.now();
  log(`control-plane benchmark${o.quick ? ' (quick)' : ''}: ${m.nproc} cores (${m.cpu}), ${m.memGiB} GiB, node ${m.node}`);
  log(`stages: ${stages.map((n) => `${fmt(n)} services`).join(' → ')}, ${layout.podsPerService} pods each on ${layout.nodes} nodes; ${samples} propagation samples per stage${warmup ? `; after an unreported warm-up stage of ${warmup.services} services` : ''}`);

  log(`\n== starting the control plane on ${IP_PREFIX}.x (etcd .1-.3, apiserver .11, controller-manager .21)`);
  if (o.profile) enableProfiling(o.profile);
  const cp = await startControlPlane(IP_PREFIX);
  if (o.profile) disableProfiling();
  log(`  data and logs in ${cp.etcd.dir}`);
  const client = newClient(cp);
  const viewClient = newClient(cp);
  const view = new SliceView(viewClient, NAMESPACE);
  /** @type {StageResult[]} */
  const results = [];
  /** @type {() => void} */
  let stopLeases = () => undefined;
  /** @type {string | undefined} */
  let fatal;
  /** @type {() => import('./control-plane/cluster.mjs').BenchProcess[]} */
  let procs = () => processes(cp, { etcdLeader: undefined });
  try {
    await createNamespace(client);
    stopLeases = await createNodes(client, layout.nodes);
    const leaders = { etcdLeader: /** @type {string | undefined} */ (await cp.etcd.leader()) };
    procs = () => processes(cp, leaders);
    log(`  ${procs().map((p) => `${p.name} pid ${p.pid}`).join(', ')}`);
    await view.start();
    /** @type {import('./control-plane/stage.mjs').StageContext} */
    const ctx = { client, view, procs, exited: () => cp.exited(), etcdTerm: () => cp.etcdTerm(), logMark: () => cp.logMark(), warnings: (mark) => cp.warnings(mark), newClient: () => newClient(cp), log, layout, concurrency: o.concurrency, samples, burst: size.burst };

    let from = 0;
    if (warmup) {
      log(`\n== warm-up (not reported): ${warmup.services} services, ${warmup.samples} propagation samples`);
      const w = await runStage({ ...ctx, log: () => undefined, samples: warmup.samples, burst: 1000 }, 0, warmup.services);
      log(`  done${w.errors.length ? `; problems: ${w.errors.join('; ')}` : ''}`);
      from = warmup.services;
      if (w.populate.error) throw new Error(`warm-up failed: ${w.populate.error}`);
    }
    for (const n of stages) {
      const was = leaders.etcdLeader;
      leaders.etcdLeader = await cp.etcd.leader().catch(() => undefined);
      if (leaders.etcdLeader !== was) log(`\n  etcd leader now ${leaders.etcdLeader ?? 'unknown'} (was ${was ?? 'unknown'})`);
      log(`\n== stage: ${fmt(n)} services, ${fmt(n * layout.podsPerService)} pods (adding ${fmt(n - from)} services)`);
      const r = await runStage(ctx, from, n);
      results.push(r);
      from = n;
      if (r.populate.error || r.errors.some((e) => e.startsWith('processes gone'))) {
        log(`  stopping after this stage: ${r.errors.join('; ')}`);
        break;
      }
    }
  } catch (err) {
    fatal = errText(err);
    log(`\nrun ended early: ${fatal}\n${cp.logs()}`);
  } finally {
    view.stop();
    stopLeases();
    client.close();
    viewClient.close();
    if (o.profile) {
      log('\nstopping the control plane with SIGTERM so that node writes the profiles');
      await stopForProfiles(cp, 60_000);
    }
    const finalProcs = procs();
    await destroyControlPlane(cp);
    if (o.profile) log(`\n${summarizeProfiles(o.profile, finalProcs)}`);
  }

  const totalMin = (performance.now() - started) / 60_000;
  if (results.length === 0) throw new Error(fatal ?? 'no stage completed');
  const tbl = table(results);
  const tgt = targetTable(targets(results));
  const cpu = cpuDetails(results);
  const warnings = warningDetails(results);
  const problems = results.flatMap((r) => r.errors.map((e) => `- ${fmt(r.services)} services: ${e}`));
  if (fatal) problems.push(`- the run ended early: ${fatal.split('\n')[0]}`);
  log(`\n${tbl}\n\n${tgt}\n\nCPU per phase:\n${cpu}\n${warnings ? `\ncommonest warnings logged:\n${warnings}\n` : ''}${problems.length ? `\nproblems:\n${problems.join('\n')}\n` : ''}\ntotal ${totalMin.toFixed(1)} min`);
  const busy = results.some((r) => Math.max(...r.load) > m.nproc + 1);

  const write = o.write ?? (!o.quick && !o.profile);
  if (!write) {
    log('BENCHMARKS.md not updated (quick or profile run; pass --write to force)');
    return;
  }
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const section = `## control plane: endpoint propagation, apiserver throughput, RSS

Measured ${date} by \`npm run bench -- control-plane\`${o.quick ? ' --quick' : ''}${o.scale ? ` --scale ${o.scale}` : ''} on ${m.nproc} cores (${m.cpu}), ${m.memGiB} GiB RAM, Linux ${m.kernel}, node ${m.node}; the whole run took ${totalMin.toFixed(0)} min.

One control plane, every part its own OS process on loopback (${IP_PREFIX}.x), assembled like the test harness's \`ControlPlane\`: three kemu etcd members (heartbeat ${ETCD_TIMING.heartbeatMs} ms, election timeout ${ETCD_TIMING.electionMs} ms, etcd's defaults), one apiserver (default settings), one controller-manager (every controller on, \`--leader-elect=false\` as it is alone, \`--node-monitor-grace-period 1h\`). The benchmark itself is a fourth kind of node process on the same ${m.nproc} cores. There is no peer to compare with side by side: no real Kubernetes control plane runs on this machine, so the figures stand against the issue's targets only.

Stages add Services to the same cluster: ${stages.map((n) => fmt(n)).join(', ')} Services in namespace \`${NAMESPACE}\`${warmup ? ` (after an unreported warm-up stage of ${warmup.services} Services, so that the first stage is not measured on unoptimised code)` : ''}, each selecting ${layout.podsPerService} pods of its own, spread over ${layout.nodes} Ready Nodes in 3 zones (Leases renewed every 10 s). Setup per stage, ${o.concurrency} calls in flight: pods created with \`spec.nodeName\` set, then their status written (Running, Ready, a pod IP from 127.244.0.0 on; data only, nothing listens there), then the Services; then it waits until a list+watch of the EndpointSlices shows every pod IP ready, and until the control plane is quiet (< 0.3 cores). Propagation: ${samples} pods spread over all Services, one at a time, are set not Ready and then Ready again (status merge patch); latency is from just before the status write to the arrival, on an EndpointSlice watch opened beforehand on its own connection, of the slice showing the change. That path holds two apiserver writes (the pod's status, then the controller-manager's slice update); the "of which" rows split it at the moment a pod watch (its own connection, like the controller-manager's informer) receives the pod update. Lists: wall time of \`list\` in the client, decoding included (median of 2-3). Watch: a new watch with \`sendInitialEvents\` (all objects as ADDED events), and 4 watchers (own connections) receiving ${fmt(size.burst)} pod status updates (64 in flight) that no controller acts on. RSS: VmRSS (and VmHWM, the peak) from \`/proc/<pid>/status\` at the end of each stage.

${tgt}

${tbl}

Where the CPU went (CPU seconds per process, ≥ 0.05 s shown; "bench" is the benchmark's own process):

${cpu}
${warnings ? `\nThe commonest warnings the processes logged (level warn or above), per stage:\n\n${warnings}\n` : ''}${problems.length ? `\nProblems seen in this run:\n\n${problems.join('\n')}\n` : ''}${busy ? `\nNote: the 1-minute load average exceeded ${m.nproc + 1} during the run (the control plane and the benchmark share ${m.nproc} cores), so the throughput figures are CPU-bound.\n` : ''}`;
  const file = join(REPO, 'BENCHMARKS.md');
  writeSection(file, 'control-plane', section);
  log(`wrote the control-plane section of ${file}`);
}
