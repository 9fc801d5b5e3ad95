// kemu chaos as a user drives it: spawned `kemu` commands against one local cluster in
// 127.63.0.0/16, their output and the report files checked.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { kemuSync, processAlive, type RecordedProcess } from '../harness/index.js';

const BLOCK = '127.63';

/** `ps -o stat= -p PID`: "" when there is no such process. */
const psStat = (pid: number): string => spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim();

async function until(cond: () => boolean, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/** The parts of report.json these tests read. */
interface Report {
  scenario: string;
  faults: Array<{ atS: number; phase: 'fault' | 'heal'; action: string; target: string; detail: string }>;
  clients: Array<{ pod: string; node: string }>;
  requests: {
    total: { ok: number; failed: number; availabilityPct: number | null };
    afterFault: { ok: number; failed: number; availabilityPct: number | null };
    seconds: Array<{ rel: number; failed: number; stalled: number; reports: number }>;
  };
  writes: { resumedS: number | null; afterFault: { ok: number; failed: number }; faultGapMs: number | null };
  etcd: { leaderBefore: { name: string; term: number } | null; leaders: Array<{ atS: number; name: string; term: number }> };
  timeline: Array<{ atS: number; source: string; kind: string; subject: string; node?: string; message: string }>;
  files: { json: string; text: string; svg: string; png: string | null; pngNote?: string };
}

/**
 * Seconds from the fault on in which a client process did not run: it wrote no report line,
 * or a request deadline passed while its own timer was late. Only a machine that starves
 * every process does that; the last, partial second is left out.
 */
function clientStalls(report: Report): number[] {
  const secs = report.requests.seconds.filter((s) => s.rel >= 0);
  return secs.slice(0, -1).filter((s) => s.reports < report.clients.length || s.stalled > 0).map((s) => s.rel);
}

describe('kemu chaos against a local cluster', { timeout: 420_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'kemu-chaos-e2e-'));
  const state = ['--state-dir', dir];
  let profile = 'none (kemu up has no --profile)';

  const processes = (): Array<RecordedProcess & { name: string }> => JSON.parse(readFileSync(join(dir, 'processes.json'), 'utf8')) as Array<RecordedProcess & { name: string }>;
  const recordOf = (name: string): RecordedProcess => processes().find((p) => p.name === name) ?? { pid: -1 };
  const pidOf = (name: string): number => recordOf(name).pid;

  /** Runs a scenario with its report in its own directory; returns the report and the output. */
  function run(scenario: string, flags: string[], attempt = 1): { report: Report; out: string; outDir: string } {
    const outDir = join(dir, `report-${scenario}${attempt > 1 ? `-${attempt}` : ''}`);
    const r = kemuSync(['chaos', 'run', scenario, ...state, '--out', outDir, ...flags], 200_000);
    assert.equal(r.status, 0, r.out);
    const report = JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8')) as Report;
    return { report, out: r.out, outDir };
  }

  before(() => {
    // The lifecycle work adds --profile; fast-recovery shows a node loss within seconds.
    const help = kemuSync(['up', '--help']).out;
    const withProfile = /--profile/.test(help) && /fast-recovery/.test(help);
    if (withProfile) profile = 'fast-recovery';
    const up = kemuSync(['up', ...state, '--address-block', BLOCK, ...(withProfile ? ['--profile', 'fast-recovery'] : [])], 180_000);
    assert.equal(up.status, 0, up.out);
  });

  after(() => {
    const down = kemuSync(['down', ...state], 60_000);
    if (down.status !== 0) process.stderr.write(`kemu down: ${down.out}\n`);
    rmSync(dir, { recursive: true, force: true });
  });

  test('node-kill: 3 replicas over 3 nodes keep at least 99% of requests; the report shows NotReady and the endpoint leaving', (t) => {
    // fast-recovery marks a silent node NotReady after 8 s; the default profile after 20 s.
    const duration = profile === 'fast-recovery' ? '30s' : '45s';
    const flags = ['--duration', duration, '--warmup', '5s', '--tail', '5s', '--rate', '40'];
    let { report, out, outDir } = run('node-kill', flags);
    // The requests in flight when the node dies fail with it (as in Kubernetes), and in local
    // mode so do those the killed agent was carrying for other nodes' clients: about one on a
    // machine that runs. A machine its hypervisor starves stretches every request to seconds,
    // so dozens are in flight at the kill and all of them fail. A run whose own clients show
    // such a stall measured the machine, not the Service: it is run once more.
    const pct = (r: Report): number => r.requests.afterFault.availabilityPct ?? 0;
    const stalls = clientStalls(report);
    if (pct(report) < 99 && stalls.length > 0) {
      t.diagnostic(`first run: ${pct(report)}% after the fault with the clients stalled at +${stalls.join(', +')} s; running it again`);
      ({ report, out, outDir } = run('node-kill', flags, 2));
    }
    const ctx = `profile ${profile}\n${out}`;
    const fault = report.faults.find((f) => f.phase === 'fault');
    assert.ok(fault, ctx);
    assert.equal(fault.action, 'kill');
    assert.match(fault.target, /^node-[123]$/, ctx);
    assert.match(fault.detail, /SIGKILL node-\d \(pid \d+\); SIGKILL [1-9]\d* pod process/, 'the node dies with its pods');
    assert.ok(report.clients.every((c) => c.node !== fault.target), 'clients run on nodes the fault leaves alone');
    assert.ok(report.faults.some((f) => f.phase === 'heal' && f.action === 'restart' && f.target === fault.target), ctx);

    // The Service, measured from the clients: traffic flowed and at least 99% of it succeeded
    // through the kill, from the fault on (a CI run once lost 25 requests in a warm-up second
    // the whole machine stalled in, with every request after the kill answered).
    const { total, afterFault } = report.requests;
    assert.ok(total.ok >= 400, `requests were sent: ${total.ok} ok\n${ctx}`);
    assert.ok(afterFault.availabilityPct !== null && afterFault.availabilityPct >= 99, `availability after the fault ${afterFault.availabilityPct}% (${afterFault.ok} ok, ${afterFault.failed} failed)\n${ctx}`);

    // The control plane, from the watches: the node went NotReady, then its endpoint left the Service.
    const notReady = report.timeline.find((e) => e.kind === 'node-not-ready' && e.subject === fault.target);
    assert.ok(notReady && notReady.atS > 0, `node NotReady in the timeline\n${ctx}`);
    const endpointOut = report.timeline.find((e) => (e.kind === 'endpoint-not-ready' || e.kind === 'endpoint-removed') && e.node === fault.target);
    assert.ok(endpointOut && endpointOut.atS >= notReady.atS, `endpoint of ${fault.target} out of the EndpointSlice after NotReady\n${ctx}`);

    // The files a person opens.
    assert.match(out, /Requests: \d+ ok, \d+ failed: availability/);
    assert.match(readFileSync(join(outDir, 'report.txt'), 'utf8'), new RegExp(`node ${fault.target} NotReady`));
    const svg = readFileSync(join(outDir, 'chart.svg'), 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /<line class="fault"/);
    assert.match(svg, /<rect class="ok"/);
    assert.match(svg, new RegExp(`node ${fault.target} NotReady`));
    if (report.files.png === null) assert.match(out, /PNG skipped/);
    else assert.ok(existsSync(report.files.png));
    assert.ok(readdirSync(outDir).some((f) => /^chaos-client-.*\.log$/.test(f)), 'the clients\' raw logs are kept');
  });

  test('etcd-leader-kill: a new leader with a higher term, and writes resume', () => {
    const { report, out } = run('etcd-leader-kill', ['--duration', '15s', '--warmup', '4s', '--tail', '3s']);
    const before = report.etcd.leaderBefore;
    assert.ok(before, out);
    const fault = report.faults.find((f) => f.phase === 'fault');
    assert.equal(fault?.target, before.name, 'the leader is the one killed');
    const newLeader = report.etcd.leaders.find((l) => l.atS > 0 && l.term > before.term);
    assert.ok(newLeader, `a leader of a higher term after the kill\n${out}`);
    assert.notEqual(newLeader.name, before.name);
    assert.ok(report.timeline.some((e) => e.kind === 'etcd-leader' && e.atS > 0 && e.subject === newLeader.name), out);
    // Writes through the apiserver: one that started after the kill succeeded.
    assert.ok(report.writes.resumedS !== null && report.writes.resumedS > 0, `writes resumed\n${out}`);
    assert.ok(report.writes.afterFault.ok > 0, out);
    // The data path does not go through etcd: the Service kept answering.
    assert.ok(report.requests.afterFault.ok > 0, out);
    // From the fault on (a warm-up second the whole machine stalled in is not the fault's
    // doing). Nothing on the data path waits for etcd, but a CI machine starved by its
    // hypervisor can stall every process for a second, which times out the clients' 1 s
    // requests of that second: 97% leaves room for that and still fails if the Service
    // stops answering for longer than about half a second of the 18.
    assert.ok((report.requests.afterFault.availabilityPct ?? 0) >= 97, out);
    // Healed: the killed member runs again under the pid processes.json records.
    assert.ok(processAlive(recordOf(before.name)), `${before.name} restarted`);
  });

  test('chaos kill, stop, cont and restart change a process as ps and kill -0 show; a node freezes with its pods', async () => {
    const dnsRecord = recordOf('dns-0');
    const dns = dnsRecord.pid;
    assert.ok(processAlive(dnsRecord));
    let r = kemuSync(['chaos', 'stop', 'dns-0', ...state]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, new RegExp(`SIGSTOP dns-0 \\(pid ${dns}\\)`));
    assert.ok(await until(() => psStat(dns).startsWith('T')), `ps: ${psStat(dns)}`);
    r = kemuSync(['chaos', 'cont', 'dns-0', ...state]);
    assert.equal(r.status, 0, r.out);
    assert.ok(await until(() => /^[RSD]/.test(psStat(dns))), `ps: ${psStat(dns)}`);

    // A node and the pod processes its agent started.
    const node = ['node-1', 'node-2', 'node-3'].find((n) => podPids(n).length > 0);
    assert.ok(node, 'some node runs a pod');
    const agent = pidOf(node);
    const pod = podPids(node)[0]!;
    r = kemuSync(['chaos', 'stop', node, ...state]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /and [1-9]\d* pod process/);
    assert.ok(await until(() => psStat(agent).startsWith('T') && psStat(pod).startsWith('T')), `ps: agent ${psStat(agent)}, pod ${psStat(pod)}`);
    r = kemuSync(['chaos', 'cont', node, ...state]);
    assert.equal(r.status, 0, r.out);
    assert.ok(await until(() => /^[RSD]/.test(psStat(agent)) && /^[RSD]/.test(psStat(pod))), `ps: agent ${psStat(agent)}, pod ${psStat(pod)}`);

    // A role alias resolves to the process that plays it.
    r = kemuSync(['chaos', 'stop', 'etcd-leader', ...state]);
    assert.equal(r.status, 0, r.out);
    const leader = /etcd-leader is (etcd-\d)/.exec(r.out)?.[1];
    assert.ok(leader, r.out);
    assert.ok(await until(() => psStat(pidOf(leader)).startsWith('T')));
    assert.equal(kemuSync(['chaos', 'cont', leader, ...state]).status, 0);

    r = kemuSync(['chaos', 'kill', 'dns-0', ...state]);
    assert.equal(r.status, 0, r.out);
    assert.ok(await until(() => !processAlive(dnsRecord)), 'dns-0 is gone after chaos kill');
    // ps (and kill -0) stop showing it once it is reaped, not just dead.
    assert.ok(await until(() => psStat(dns) === ''), `ps: ${psStat(dns)}`);

    r = kemuSync(['chaos', 'restart', 'dns-0', ...state]);
    assert.equal(r.status, 0, r.out);
    const again = pidOf('dns-0');
    assert.notEqual(again, dns);
    assert.ok(processAlive(recordOf('dns-0')));
    assert.match(r.out, new RegExp(`started dns-0 again \\(pid ${again}\\), ready`));

    r = kemuSync(['chaos', 'kill', 'etcd-9', ...state]);
    assert.equal(r.status, 1);
    assert.match(r.out, /no process named "etcd-9" .*known: etcd-0, etcd-1, etcd-2, apiserver/);
  });

  /** Live pod processes of a node, from the state files its agent keeps. */
  function podPids(node: string): number[] {
    const pods = join(dir, 'nodes', node, 'pods');
    if (!existsSync(pods)) return [];
    const out: number[] = [];
    for (const d of readdirSync(pods)) {
      const file = join(pods, d, 'state.json');
      if (!existsSync(file)) continue;
      const rec = JSON.parse(readFileSync(file, 'utf8')) as { containers?: Record<string, { running?: RecordedProcess }> };
      for (const c of Object.values(rec.containers ?? {})) if (c.running && processAlive(c.running)) out.push(c.running.pid);
    }
    return out;
  }
});
