// @ts-check
// The control plane under test (three etcd members, one apiserver, one controller-manager,
// each its own OS process on a loopback block, built from the test harness's
// EtcdTestCluster and TestProcess), the Nodes the pods are bound to, and the list of
// processes to measure.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isApiError, KubeClient, Reason } from '@kemu/api';
import { EtcdTestCluster, TestProcess, TOKENS } from '../../../test/dist/harness/index.js';
import { track, trackStopper, untrack } from './processes.mjs';
import { withRetry } from './pool.mjs';

const APISERVER_MAIN = new URL('./main.js', import.meta.resolve('@kemu/apiserver')).pathname;
const CM_MAIN = new URL('./main.js', import.meta.resolve('@kemu/controller-manager')).pathname;

/** etcd's own defaults (the harness's ControlPlane uses 50 / 500 ms, see BenchControlPlane). */
export const ETCD_TIMING = { heartbeatMs: 100, electionMs: 1000 };

/**
 * The harness's ControlPlane, assembled the same way (same processes, addresses, tokens and
 * readiness checks) with three differences for a load test on a small machine:
 * - etcd runs with its default timings (ETCD_TIMING); at the harness's 50 / 500 ms a
 *   2-core machine saturated by 100,000 writes saw 45 etcd elections in 20 minutes;
 * - the controller-manager runs without leader election (there is one): under that load
 *   it lost its lease and exited, as kube-controller-manager does, and nothing restarts it;
 *   and with a node grace period of 1 h, so that Nodes whose Lease renewals are starved of
 *   CPU never go Unknown (and their endpoints not ready);
 * - the apiserver keeps its default intervals (bookmarks, endpoint reconcile, lease TTL).
 */
export class BenchControlPlane {
  /** @param {EtcdTestCluster} etcd @param {string} ipPrefix */
  constructor(etcd, ipPrefix) {
    this.etcd = etcd;
    this.ipPrefix = ipPrefix;
    /** @type {TestProcess[]} */
    this.apiservers = [];
    /** @type {TestProcess[]} */
    this.controllerManagers = [];
  }

  /** @param {string} ipPrefix */
  static async start(ipPrefix) {
    const etcd = await EtcdTestCluster.start({ ipPrefix, ...ETCD_TIMING });
    const cp = new BenchControlPlane(etcd, ipPrefix);
    track(cp);
    const dir = etcd.dir;
    writeFileSync(
      join(dir, 'tokens.csv'),
      [`${TOKENS.admin},kubernetes-admin,uid-admin,"system:masters"`, `${TOKENS.controllerManager},system:kube-controller-manager,uid-kcm`].join('\n') + '\n',
    );
    writeFileSync(join(dir, 'cm-token'), `${TOKENS.controllerManager}\n`);
    const api = `${ipPrefix}.11`;
    cp.apiservers.push(
      new TestProcess(
        'apiserver-0',
        APISERVER_MAIN,
        ['--etcd-servers', etcd.endpoints().join(','), '--bind-address', api, '--ops-addr', `${api}:6444`, '--token-auth-file', join(dir, 'tokens.csv')],
        join(dir, 'apiserver-0.log'),
        `http://${api}:6444/readyz`,
      ).start(),
    );
    await cp.apiservers[0]?.waitReady();
    const cm = `${ipPrefix}.21`;
    cp.controllerManagers.push(
      new TestProcess(
        'controller-manager-0',
        CM_MAIN,
        [
          '--apiserver', cp.apiserverEndpoints().join(','),
          '--token-file', join(dir, 'cm-token'),
          '--ops-addr', `${cm}:10257`,
          '--leader-elect=false',
          '--node-monitor-grace-period', '1h',
        ],
        join(dir, 'controller-manager-0.log'),
        `http://${cm}:10257/readyz`,
      ).start(),
    );
    await cp.controllerManagers[0]?.waitReady();
    return cp;
  }

  apiserverEndpoints() {
    return [`${this.ipPrefix}.11:6443`];
  }

  /** Every process still runs. */
  alive() {
    return [...this.apiservers, ...this.controllerManagers].every((p) => p.running()) && this.etcd.members.every((m) => this.etcd.isRunning(m.plan.name));
  }

  /** The names of processes that have exited. */
  exited() {
    return [
      ...[...this.apiservers, ...this.controllerManagers].filter((p) => !p.running()).map((p) => p.name),
      ...this.etcd.members.filter((m) => !this.etcd.isRunning(m.plan.name)).map((m) => m.plan.name),
    ];
  }

  logs() {
    return [...this.apiservers, ...this.controllerManagers].map((p) => `--- ${p.name}\n${p.tail(25)}`).join('\n');
  }

  /** The highest raft term any running member reports (each election adds at least one). */
  async etcdTerm() {
    let term;
    for (const m of this.etcd.members) {
      if (!this.etcd.isRunning(m.plan.name)) continue;
      try {
        const t = Number((await this.etcd.status(m.plan.name, 2000)).raftTerm);
        term = Math.max(term ?? 0, t);
      } catch {
        /* busy or gone: the others answer */
      }
    }
    return term;
  }

  /** @returns {Array<[string, string]>} each process's name and log file */
  logFiles() {
    return [
      ...[...this.apiservers, ...this.controllerManagers].map((p) => /** @type {[string, string]} */ ([p.name, p.logFile])),
      ...this.etcd.members.map((m) => /** @type {[string, string]} */ ([m.plan.name, m.logFile])),
    ];
  }

  /** How far each log has been written: pass to warnings() later. @returns {Record<string, number>} */
  logMark() {
    return Object.fromEntries(this.logFiles().map(([name, file]) => [name, readLog(file).length]));
  }

  /**
   * Lines at level warn (40) or above in each process's log since `mark` (kemu logs JSON
   * lines), counted per message, with the largest `ms` field on them (stall warnings carry one).
   * @param {Record<string, number>} mark from logMark()
   * @returns {Record<string, Record<string, { count: number, maxMs: number | undefined }>>} process -> message -> figures
   */
  warnings(mark) {
    /** @type {Record<string, Record<string, { count: number, maxMs: number | undefined }>>} */
    const out = {};
    for (const [name, file] of this.logFiles()) {
      /** @type {Record<string, { count: number, maxMs: number | undefined }>} */
      const msgs = {};
      for (const line of readLog(file).subarray(mark[name] ?? 0).toString('utf8').split('\n')) {
        if (!/"level":[4-9]\d/.test(line)) continue;
        let msg = '(unreadable line)';
        /** @type {number | undefined} */
        let ms;
        try {
          /** @type {{ msg?: string, ms?: unknown, err?: { message?: string } }} */
          const j = JSON.parse(line);
          msg = `${j.msg ?? ''}${j.err?.message ? `: ${j.err.message}` : ''}`.replace(/raft [0-9a-f]+: /, 'raft: ').slice(0, 160);
          if (typeof j.ms === 'number') ms = j.ms;
        } catch {
          /* counted as unreadable */
        }
        const m = (msgs[msg] ??= { count: 0, maxMs: undefined });
        m.count++;
        if (ms !== undefined) m.maxMs = Math.max(m.maxMs ?? 0, ms);
      }
      out[name] = msgs;
    }
    return out;
  }

  async destroy() {
    await Promise.all([...this.controllerManagers, ...this.apiservers].map((p) => p.kill()));
    await this.etcd.destroy();
  }
}

export const NAMESPACE = 'bench';
export const ZONES = ['zone-a', 'zone-b', 'zone-c'];
/** How often the bench renews each Node's Lease (the controller-manager's grace period is 1 h anyway). */
const LEASE_RENEW_MS = 10_000;

/**
 * @typedef {object} BenchProcess
 * @property {string} name e.g. "apiserver-0", "etcd-1 (leader)"
 * @property {string} role "etcd" | "apiserver" | "controller-manager"
 * @property {number | undefined} pid
 */

/**
 * Starts the control plane on `ipPrefix` (etcd .1-.3, apiserver .11, controller-manager .21).
 * @param {string} ipPrefix
 */
export function startControlPlane(ipPrefix) {
  return BenchControlPlane.start(ipPrefix);
}

/** @param {BenchControlPlane} cp */
export async function destroyControlPlane(cp) {
  await cp.destroy();
  untrack(cp);
}

/**
 * A client of its own (its own gRPC channel) with a long deadline: unpaginated lists of
 * 100,000 pods take seconds.
 * @param {BenchControlPlane} cp
 * @param {number} [timeoutMs]
 */
export function newClient(cp, timeoutMs = 60_000) {
  return new KubeClient({ endpoints: cp.apiserverEndpoints(), token: TOKENS.admin, timeoutMs });
}

/** @param {string} file @returns {Buffer} */
function readLog(file) {
  try {
    return readFileSync(file);
  } catch {
    return Buffer.alloc(0);
  }
}

/** @param {number} i */
export const nodeName = (i) => `bench-node-${String(i).padStart(2, '0')}`;
/** Node addresses are data only: nothing listens on them. @param {number} i */
export const nodeIP = (i) => `127.247.0.${i + 1}`;

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
/** MicroTime (Lease renewTime) has microseconds. */
const microNow = () => new Date().toISOString().replace(/Z$/, '000Z');

/**
 * Creates `count` Ready Nodes spread over ZONES and a Lease per node, and renews the Leases
 * every LEASE_RENEW_MS until the returned stop() (or the bench's exit).
 * @param {KubeClient} client
 * @param {number} count
 * @returns {Promise<() => void>}
 */
export async function createNodes(client, count) {
  for (let i = 0; i < count; i++) {
    const name = nodeName(i);
    try {
      await client.create('nodes', {
        metadata: { name, labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': ZONES[i % ZONES.length] } },
      });
    } catch (err) {
      if (!isApiError(err, Reason.AlreadyExists)) throw err;
    }
    const t = now();
    await client.patch(
      'nodes',
      '',
      name,
      {
        status: {
          conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'bench node', lastHeartbeatTime: t, lastTransitionTime: t }],
          addresses: [
            { type: 'InternalIP', address: nodeIP(i) },
            { type: 'Hostname', address: name },
          ],
          capacity: { cpu: '64', memory: '256Gi', pods: '110000' },
          allocatable: { cpu: '64', memory: '256Gi', pods: '110000' },
        },
      },
      { status: true },
    );
    await client.create('leases', {
      metadata: { name, namespace: 'kube-node-lease' },
      spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microNow() },
    });
  }
  let renewing = false;
  const timer = setInterval(() => {
    if (renewing) return;
    renewing = true;
    const renewTime = microNow();
    Promise.all(
      Array.from({ length: count }, (_, i) =>
        withRetry(() => client.patch('leases', 'kube-node-lease', nodeName(i), { spec: { renewTime } }), { tries: 2 }).catch(() => undefined),
      ),
    ).finally(() => {
      renewing = false;
    });
  }, LEASE_RENEW_MS);
  return trackStopper(() => clearInterval(timer));
}

/** @param {KubeClient} client */
export async function createNamespace(client) {
  try {
    await client.create('namespaces', { metadata: { name: NAMESPACE } });
  } catch (err) {
    if (!isApiError(err, Reason.AlreadyExists)) throw err;
  }
}

/**
 * Every process of the control plane, the etcd leader marked (as it was when last asked).
 * @param {BenchControlPlane} cp
 * @param {{ etcdLeader: string | undefined }} leaders
 * @returns {BenchProcess[]}
 */
export function processes(cp, leaders) {
  return [
    ...cp.etcd.members.map((m) => ({ name: `${m.plan.name}${m.plan.name === leaders.etcdLeader ? ' (leader)' : ''}`, role: 'etcd', pid: m.proc?.pid })),
    ...cp.apiservers.map((a) => ({ name: a.name, role: 'apiserver', pid: a.proc?.pid })),
    ...cp.controllerManagers.map((c) => ({ name: c.name, role: 'controller-manager', pid: c.proc?.pid })),
  ];
}
