import { mkdir } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server as NetServer } from 'node:net';
import { join } from 'node:path';
import { credentials, Metadata, Server, status } from '@grpc/grpc-js';
import { etcdinternal, etcdserverpb } from '@kemu/api';
import { serveGrpc as bind, shutdownGrpc as shutdown, startOpsServer, type Logger, type OpsServer } from '@kemu/common';
import type { SoftState } from '@kemu/raft';
import { Gauge, Counter, Histogram, Registry } from 'prom-client';
import { hostPort, parseInitialCluster, type MemberConfig } from './config.js';
import { EtcdError, Errors, toEtcdError } from './errors.js';
import { clusterIdOf, memberIdOf } from './ids.js';
import { NodeStoppedError, RaftNode, ReadTimeoutError } from './raft-node.js';
import { PeerTransport, type Faults, type PeerAddress } from './transport.js';
import { EtcdStateMachine, type ApplyOutcome } from './state-machine.js';
import { kvService } from './kv-service.js';
import { leaseService } from './lease-service.js';
import { clusterService } from './cluster-service.js';
import { maintenanceService } from './maintenance-service.js';
import { watchService } from './watch-service.js';
import { UnaryBoundary } from './grpc-util.js';

type RequestUnion = NonNullable<etcdinternal.InternalRequest['request']>;

interface Waiter {
  resolve(o: ApplyOutcome): void;
  reject(e: Error): void;
}

/** grpc's own limit sits above etcd's request limit so that etcd's error is the one seen. */
const GRPC_OVERHEAD_BYTES = 512 * 1024;

/**
 * One etcd member: the Raft node and its storage, the replicated state machine, the peer
 * transport and the etcd v3 client API. This is the composition root; the protocol lives
 * in @kemu/raft and the data model in ./mvcc.
 */
export class Member {
  readonly id: number;
  private readonly memberIdBig: bigint;
  /** Client URLs this member announces through the log (see publish). */
  private readonly advertisedClientUrls: string[];
  readonly clusterId: bigint;
  readonly state: EtcdStateMachine;
  readonly faults: Faults = { dropPeers: new Set(), delayMs: 0 };
  private raft!: RaftNode;
  private transport!: PeerTransport;
  private readonly peers: PeerAddress[];
  private readonly self: PeerAddress;
  private readonly waiters = new Map<bigint, Waiter>();
  private reqSeq: bigint;
  private clientServer: Server | undefined;
  private peerServer: Server | undefined;
  private clientListener: NetServer | undefined;
  private peerListener: NetServer | undefined;
  private ops: OpsServer | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private progressTimer: NodeJS.Timeout | undefined;
  private readonly revoking = new Set<bigint>();
  private leaderClient: { id: number; client: etcdinternal.MemberPeerClient } | undefined;
  private published = false;
  readonly registry = new Registry();
  /** Wraps the client API's unary handlers (errors as etcd's, handling-time metrics). */
  readonly unary: UnaryBoundary['wrap'];
  private readonly metrics;
  /** Resolves when the member has stopped on a fatal error; the process should exit. */
  readonly fatal: Promise<Error>;
  private signalFatal!: (e: Error) => void;

  constructor(
    readonly config: MemberConfig,
    readonly log: Logger,
  ) {
    const cluster = parseInitialCluster(config.initialCluster);
    const mine = cluster.find((m) => m.name === config.name);
    if (!mine) throw new EtcdError(status.INVALID_ARGUMENT, `--initial-cluster has no member named ${config.name}`);
    const addrs: PeerAddress[] = cluster.map((m) => ({
      id: memberIdOf(m.name, config.initialClusterToken),
      name: m.name,
      peerAddr: hostPort(m.peerUrl, 'initial-cluster').addr,
      clientAddr: '',
    }));
    this.self = addrs.find((a) => a.name === config.name)!;
    this.self.clientAddr = hostPort(config.listenClientUrls, 'listen-client-urls').addr;
    this.peers = addrs.filter((a) => a !== this.self);
    this.id = this.self.id;
    this.memberIdBig = BigInt(this.id);
    this.advertisedClientUrls = [config.advertiseClientUrls || config.listenClientUrls];
    this.clusterId = clusterIdOf(
      addrs.map((a) => a.id),
      config.initialClusterToken,
    );
    this.reqSeq = BigInt(Math.floor(Math.random() * 2 ** 40)) << 16n;
    this.state = new EtcdStateMachine({
      log,
      minLeaseTtl: Math.ceil((1.5 * config.electionTimeout) / 1000),
      maxTxnOps: config.maxTxnOps,
      initialMembers: addrs.map((a) => ({ id: a.id, name: a.name, peerUrls: [`http://${a.peerAddr}`], clientUrls: [] })),
      onOutcome: (id, outcome) => this.settle(id, outcome),
    });
    this.metrics = {
      hasLeader: new Gauge({ name: 'etcd_server_has_leader', help: 'Whether a leader exists (1) or not (0).', registers: [this.registry] }),
      isLeader: new Gauge({ name: 'etcd_server_is_leader', help: 'Whether this member is the leader.', registers: [this.registry] }),
      leaderChanges: new Counter({ name: 'etcd_server_leader_changes_seen_total', help: 'Leader changes seen.', registers: [this.registry] }),
      proposalsFailed: new Counter({ name: 'etcd_server_proposals_failed_total', help: 'Failed proposals.', registers: [this.registry] }),
      proposalsPending: new Gauge({ name: 'etcd_server_proposals_pending', help: 'Proposals waiting to be applied.', registers: [this.registry] }),
      term: new Gauge({ name: 'etcd_server_term', help: 'Current Raft term.', registers: [this.registry] }),
      revision: new Gauge({ name: 'etcd_mvcc_current_revision', help: 'Current store revision.', registers: [this.registry] }),
      fsync: new Histogram({
        name: 'etcd_disk_wal_fsync_duration_seconds',
        help: 'Latency of synced WAL writes (write + fdatasync) by the Ready loop.',
        buckets: [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1],
        registers: [this.registry],
      }),
      proposal: new Histogram({
        name: 'kemu_etcd_proposal_duration_seconds',
        help: 'Time from proposing a request to applying it on the proposing member.',
        buckets: [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1, 2, 4],
        registers: [this.registry],
      }),
    };
    this.unary = new UnaryBoundary(this.registry).wrap;
    this.fatal = new Promise((resolve) => (this.signalFatal = resolve));
  }

  get requestTimeoutMs(): number {
    return 5000 + 2 * this.config.electionTimeout;
  }

  async start(): Promise<void> {
    const dataDir = this.config.dataDir;
    await mkdir(join(dataDir, 'member'), { recursive: true });
    const metadata = Buffer.from(JSON.stringify({ memberId: this.id, clusterId: this.clusterId.toString() }));
    this.raft = await RaftNode.open({
      id: this.id,
      voters: [this.id, ...this.peers.map((p) => p.id)].sort((a, b) => a - b),
      walDir: join(dataDir, 'member', 'wal'),
      snapDir: join(dataDir, 'member', 'snap'),
      metadata,
      tickMs: this.config.heartbeatInterval,
      electionTicks: Math.max(2, Math.round(this.config.electionTimeout / this.config.heartbeatInterval)),
      heartbeatTicks: 1,
      snapshotCount: this.config.snapshotCount,
      catchUpEntries: this.config.snapshotCatchupEntries,
      stateMachine: this.state,
      log: this.log.child({ sub: 'raft' }),
      random: Math.random,
      send: (msgs) => this.transport.send(msgs),
      onSoftState: (s) => this.onSoftState(s),
      observeFsync: (seconds) => this.metrics.fsync.observe(seconds),
      onFatal: (err) => {
        this.log.fatal({ err }, 'raft node failed; stopping');
        this.signalFatal(err);
      },
    });
    this.transport = new PeerTransport({
      self: this.self,
      peers: this.peers,
      clusterId: this.clusterId,
      log: this.log.child({ sub: 'transport' }),
      faults: this.faults,
      onMessages: (msgs) => this.raft.step(msgs),
      onUnreachable: (id) => this.raft.reportUnreachable(id),
      onSnapshotStatus: (id, ok) => this.raft.reportSnapshot(id, ok),
      onPeerLost: (id) => this.raft.leaderLost(id),
    });

    const peer = hostPort(this.config.listenPeerUrls, 'listen-peer-urls');
    this.peerServer = new Server({ 'grpc.max_receive_message_length': 1024 * 1024 * 1024 });
    this.transport.register(this.peerServer);
    this.peerServer.addService(etcdinternal.MemberPeerService, this.memberPeerService());
    this.peerListener = await bind(this.peerServer, peer.addr);

    const client = hostPort(this.config.listenClientUrls, 'listen-client-urls');
    this.clientServer = new Server({
      'grpc.max_receive_message_length': this.config.maxRequestBytes + GRPC_OVERHEAD_BYTES,
      'grpc.max_send_message_length': 2 ** 31 - 1,
    });
    this.clientServer.addService(etcdserverpb.KVService, kvService(this));
    this.clientServer.addService(etcdserverpb.WatchService, watchService(this));
    this.clientServer.addService(etcdserverpb.LeaseService, leaseService(this));
    this.clientServer.addService(etcdserverpb.ClusterService, clusterService(this));
    this.clientServer.addService(etcdserverpb.MaintenanceService, maintenanceService(this));
    this.clientListener = await bind(this.clientServer, client.addr);

    const metricsAddr = hostPort(this.config.listenMetricsUrls, 'listen-metrics-urls');
    this.ops = await startOpsServer({
      host: metricsAddr.host,
      port: metricsAddr.port,
      registry: this.registry,
      health: { raft: () => (this.raft.stats().lead === 0 ? 'no leader' : undefined) },
      ready: { applied: () => (this.published ? undefined : 'member has not published its attributes yet') },
      routes: this.config.enableFaultInjection ? { '/debug/faults': (req, res) => this.faultRoute(req, res) } : {},
    });

    this.raft.start();
    this.leaseTimer = setInterval(() => this.revokeExpiredLeases(), 500);
    this.progressTimer = setInterval(() => this.state.watches.progressNotify(), this.config.watchProgressNotifyInterval);
    this.log.info(
      { id: this.id.toString(16), cluster: this.clusterId.toString(16), client: client.addr, peer: peer.addr },
      'etcd member started',
    );
    void this.publish();
  }

  async stop(): Promise<void> {
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    if (this.progressTimer) clearInterval(this.progressTimer);
    this.state.watches.closeAll();
    await Promise.all([shutdown(this.clientServer, this.clientListener), shutdown(this.peerServer, this.peerListener)]);
    this.transport?.close();
    this.leaderClient?.client.close();
    await this.raft?.stop();
    for (const w of this.waiters.values()) w.reject(Errors.stopped());
    this.waiters.clear();
    await this.ops?.close();
  }

  // ---- used by the services -------------------------------------------------------

  /** The response header: this member's identity, the Raft term, and a store revision. */
  readonly header = (revision?: number): etcdserverpb.ResponseHeader => ({
    clusterId: this.clusterId,
    memberId: this.memberIdBig,
    revision: BigInt(revision ?? this.state.store.revision),
    raftTerm: BigInt(this.raft.currentTerm),
  });

  /** Proposes a request through Raft and resolves with the outcome of applying it here. */
  async propose(request: RequestUnion): Promise<ApplyOutcome> {
    const id = ++this.reqSeq;
    const internal: etcdinternal.InternalRequest = { id, request };
    const data = etcdinternal.InternalRequest.encode(internal).finish();
    if (data.length > this.config.maxRequestBytes) throw Errors.requestTooLarge();
    this.state.rememberProposal(data, internal);
    const deadline = Date.now() + this.requestTimeoutMs;
    for (let attempt = 1; !this.raft.propose(data); attempt++) {
      const left = deadline - Date.now();
      if (left <= 0 || !(await this.raft.waitLeader(Math.min(left, this.config.electionTimeout * 3)))) {
        this.metrics.proposalsFailed.inc();
        throw Errors.noLeader();
      }
      // A leader is known yet the proposal was refused (a leadership transfer, or a leader
      // just forgotten): back off on a timer so the event loop keeps turning meanwhile.
      await new Promise((r) => setTimeout(r, Math.min(Math.max(0, deadline - Date.now()), 5 * attempt)));
    }
    this.metrics.proposalsPending.inc();
    const stopTimer = this.metrics.proposal.startTimer();
    try {
      return await new Promise<ApplyOutcome>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.waiters.delete(id);
          this.metrics.proposalsFailed.inc();
          reject(Errors.timeout());
        }, Math.max(1, deadline - Date.now()));
        this.waiters.set(id, {
          resolve: (o) => {
            clearTimeout(timer);
            resolve(o);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
      });
    } finally {
      stopTimer();
      this.metrics.proposalsPending.dec();
    }
  }

  private settle(id: bigint, outcome: ApplyOutcome): void {
    this.metrics.revision.set(this.state.store.revision);
    const w = this.waiters.get(id);
    if (!w) return;
    this.waiters.delete(id);
    if (outcome.kind === 'error') w.reject(outcome.error);
    else w.resolve(outcome);
  }

  /** Blocks until this member has applied everything committed when the call was made. */
  async linearizableRead(): Promise<void> {
    try {
      await this.raft.readBarrier(this.requestTimeoutMs);
    } catch (err) {
      if (err instanceof ReadTimeoutError) throw this.raft.stats().lead === 0 ? Errors.noLeader() : Errors.timeout();
      if (err instanceof NodeStoppedError) throw Errors.stopped();
      throw err;
    }
  }

  memberList(): etcdserverpb.Member[] {
    return this.state.members().map((m) => ({
      ID: BigInt(m.id),
      name: m.name,
      peerURLs: m.peerUrls,
      clientURLs: m.clientUrls,
      isLearner: false,
    }));
  }

  raftStats(): ReturnType<RaftNode['stats']> {
    return this.raft.stats();
  }

  transferLeadership(to: number): void {
    this.raft.transferLeader(to);
  }

  isMember(id: number): boolean {
    return id === this.id || this.peers.some((p) => p.id === id);
  }

  // ---- leases -------------------------------------------------------------------

  async renewLease(req: etcdserverpb.LeaseKeepAliveRequest): Promise<etcdserverpb.LeaseKeepAliveResponse> {
    const stats = this.raft.stats();
    if (stats.role === 'leader') {
      // A new leader may not have applied every grant yet: catch up first.
      await this.raft.waitApplied(stats.commit);
      const ttl = this.state.lessor.renew(req.ID, Date.now());
      return { header: this.header(), ID: req.ID, TTL: BigInt(ttl ?? 0) };
    }
    const leader = await this.leaderPeer();
    return await new Promise((resolve, reject) => {
      leader.leaseRenew(req, new Metadata(), { deadline: Date.now() + this.requestTimeoutMs }, (err, res) => (err ? reject(toEtcdError(err)) : resolve(res)));
    });
  }

  async leaseTimeToLive(req: etcdserverpb.LeaseTimeToLiveRequest): Promise<etcdserverpb.LeaseTimeToLiveResponse> {
    const stats = this.raft.stats();
    if (stats.role === 'leader') {
      await this.raft.waitApplied(stats.commit);
      const l = this.state.lessor.get(req.ID);
      if (!l) return { header: this.header(), ID: req.ID, TTL: -1n, grantedTTL: 0n, keys: [] };
      return {
        header: this.header(),
        ID: req.ID,
        TTL: BigInt(this.state.lessor.remaining(req.ID, Date.now())),
        grantedTTL: BigInt(l.ttl),
        keys: req.keys ? this.state.store.keysForLease(req.ID) : [],
      };
    }
    const leader = await this.leaderPeer();
    return await new Promise((resolve, reject) => {
      leader.leaseTimeToLive(req, new Metadata(), { deadline: Date.now() + this.requestTimeoutMs }, (err, res) =>
        err ? reject(toEtcdError(err)) : resolve(res),
      );
    });
  }

  private async leaderPeer(): Promise<etcdinternal.MemberPeerClient> {
    if (!(await this.raft.waitLeader(this.requestTimeoutMs))) throw Errors.noLeader();
    const lead = this.raft.stats().lead;
    if (this.leaderClient?.id === lead) return this.leaderClient.client;
    const peer = this.peers.find((p) => p.id === lead);
    if (!peer) throw Errors.noLeader();
    this.leaderClient?.client.close();
    const client = new etcdinternal.MemberPeerClient(peer.peerAddr, credentials.createInsecure());
    this.leaderClient = { id: lead, client };
    return client;
  }

  private memberPeerService(): etcdinternal.MemberPeerServer {
    // A forwarded call reached a member that is no longer leader: the caller retries.
    const leaderOnly = <Req, Res>(fn: (req: Req) => Promise<Res>) =>
      this.unary(async (req: Req) => {
        if (this.raft.stats().role !== 'leader') throw Errors.notLeader();
        return fn(req);
      });
    return {
      leaseRenew: leaderOnly((req: etcdserverpb.LeaseKeepAliveRequest) => this.renewLease(req)),
      leaseTimeToLive: leaderOnly((req: etcdserverpb.LeaseTimeToLiveRequest) => this.leaseTimeToLive(req)),
    };
  }

  /** The leader revokes leases whose time is up, through Raft like any other write. */
  private revokeExpiredLeases(): void {
    if (!this.state.lessor.isPrimary) return;
    for (const id of this.state.lessor.expired(Date.now(), 64)) {
      if (this.revoking.has(id)) continue;
      this.revoking.add(id);
      this.propose({ $case: 'leaseRevoke', leaseRevoke: { ID: id } })
        .catch((err: unknown) => this.log.debug({ err: (err as Error).message, lease: id.toString(16) }, 'lease revoke failed'))
        .finally(() => this.revoking.delete(id));
    }
  }

  private onSoftState(s: SoftState): void {
    const isLeader = s.role === 'leader';
    this.metrics.hasLeader.set(s.lead === 0 ? 0 : 1);
    this.metrics.isLeader.set(isLeader ? 1 : 0);
    this.metrics.term.set(this.raft.stats().term);
    if (s.lead !== 0) this.metrics.leaderChanges.inc();
    if (isLeader && !this.state.lessor.isPrimary) this.state.lessor.promote(Date.now());
    if (!isLeader && this.state.lessor.isPrimary) this.state.lessor.demote();
  }

  /** Announces this member's client URLs through the log; retried until it is applied. */
  private async publish(): Promise<void> {
    while (!this.published) {
      try {
        await this.propose({
          $case: 'publish',
          publish: { memberId: BigInt(this.id), name: this.config.name, clientUrls: this.advertisedClientUrls },
        });
        this.published = true;
        this.log.info('published member attributes; ready');
      } catch (err) {
        if (err instanceof EtcdError && err.message === Errors.stopped().message) return;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** POST /debug/faults {"dropPeers": ["etcd-1"], "delayMs": 0} partitions this member as it sees it. */
  private faultRoute(req: IncomingMessage, res: ServerResponse): void {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      try {
        if (req.method === 'POST') {
          const f = JSON.parse(body || '{}') as { dropPeers?: string[]; delayMs?: number };
          const ids = (f.dropPeers ?? []).map((name) => {
            const p = this.peers.find((x) => x.name === name || x.id.toString(16) === name);
            if (!p) throw new Error(`unknown peer ${name}`);
            return p.id;
          });
          this.faults.dropPeers.clear();
          for (const id of ids) this.faults.dropPeers.add(id);
          this.faults.delayMs = f.delayMs ?? 0;
          this.log.warn({ dropPeers: f.dropPeers ?? [], delayMs: this.faults.delayMs }, 'fault injection changed');
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            dropPeers: this.peers.filter((p) => this.faults.dropPeers.has(p.id)).map((p) => p.name),
            delayMs: this.faults.delayMs,
          }),
        );
      } catch (err) {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(`${(err as Error).message}\n`);
      }
    });
  }
}
