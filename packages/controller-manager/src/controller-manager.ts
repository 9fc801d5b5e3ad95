import { KubeClient } from '@kemu/api';
import { startOpsServer, type Logger, type OpsServer } from '@kemu/common';
import { Gauge, Registry } from 'prom-client';
import type { ControllerManagerConfig, ControllerName } from './config.js';
import { SharedInformers, systemClock, type Clock, type Controller, type ControllerContext } from './controller.js';
import { DeploymentController } from './deployment/index.js';
import { EndpointsController } from './endpoints/index.js';
import { EndpointSliceController } from './endpointslice/index.js';
import { GarbageCollectorController } from './garbage-collector/index.js';
import { LeaderElector } from './leader-election.js';
import { NodeLifecycleController } from './node-lifecycle/index.js';
import { ReplicaSetController } from './replicaset/index.js';
import { SchedulerController } from './scheduler/index.js';
import { ServiceLoadBalancerController } from './service-lb/index.js';

/** How each controller is built; every one registers its informer handlers when built. */
const FACTORIES: Record<ControllerName, (ctx: ControllerContext) => Controller> = {
  scheduler: (ctx) => new SchedulerController(ctx),
  replicaset: (ctx) => new ReplicaSetController(ctx),
  deployment: (ctx) => new DeploymentController(ctx),
  endpoints: (ctx) => new EndpointsController(ctx),
  endpointslice: (ctx) => new EndpointSliceController(ctx),
  'service-lb': (ctx) => new ServiceLoadBalancerController(ctx),
  'node-lifecycle': (ctx) => new NodeLifecycleController(ctx),
  'garbage-collector': (ctx) => new GarbageCollectorController(ctx),
};

/**
 * Where this replica is. Only `syncing` and `running` replicas have started informers,
 * and only `running` ones have started controllers: a standby watches nothing but the
 * leader election Lease.
 */
type Phase = 'created' | 'standby' | 'syncing' | 'running' | 'stopping';

/**
 * The composition root of kemu-controller-manager: one apiserver client and one set of
 * shared informers for all controllers, the controllers built over them, leader election,
 * and the ops endpoints. A replica that loses the election resolves `fatal`: the process
 * exits and restarts clean, as kube-controller-manager does.
 */
export class ControllerManager {
  readonly fatal: Promise<string>;
  private resolveFatal: (reason: string) => void = () => undefined;
  private readonly metrics = new Registry();
  private readonly masterStatus: Gauge<'name'>;
  private phase: Phase = 'created';
  private client: KubeClient | undefined;
  private electionClient: KubeClient | undefined;
  private informers: SharedInformers | undefined;
  private controllers: Controller[] = [];
  private elector: LeaderElector | undefined;
  private ops: OpsServer | undefined;

  constructor(
    private readonly config: ControllerManagerConfig,
    private readonly log: Logger,
    private readonly clock: Clock = systemClock,
  ) {
    this.fatal = new Promise((resolve) => (this.resolveFatal = resolve));
    this.masterStatus = new Gauge({
      name: 'leader_election_master_status',
      help: 'Whether this replica is the leader (1) or a standby (0)',
      labelNames: ['name'],
      registers: [this.metrics],
    });
    this.masterStatus.set({ name: config.leaderElection.name }, 0);
  }

  /** The ops server's address once started (tests bind port 0). */
  opsAddress(): { address: string; port: number } | undefined {
    return this.ops?.address();
  }

  isLeader(): boolean {
    return this.phase === 'syncing' || this.phase === 'running';
  }

  async start(): Promise<void> {
    const { config, log } = this;
    const client = (this.client = new KubeClient({ endpoints: config.apiservers, token: config.token }));
    const informers = (this.informers = new SharedInformers(client, log));
    const ctx: ControllerContext = {
      client,
      informers,
      log,
      clock: this.clock,
      metrics: this.metrics,
      nodeLifecycle: config.nodeLifecycle,
      loadBalancerPool: config.loadBalancerPool,
    };
    this.controllers = config.controllers.map((name) => FACTORIES[name]({ ...ctx, log: log.child({ controller: name }) }));
    this.ops = await startOpsServer({
      host: config.opsHost,
      port: config.opsPort,
      registry: this.metrics,
      ready: { 'controller-manager': () => this.readiness() },
    });
    log.info(
      {
        apiservers: config.apiservers,
        ops: `${config.opsHost}:${this.ops.address().port}`,
        controllers: config.controllers,
        nodeLifecyclePreset: config.nodeLifecyclePreset,
        nodeLifecycle: config.nodeLifecycle,
        leaderElection: config.leaderElection.enabled ? config.leaderElection.identity : 'disabled',
      },
      'controller manager started',
    );
    this.phase = 'standby';
    if (!config.leaderElection.enabled) {
      this.lead();
      return;
    }
    const le = config.leaderElection;
    this.electionClient = new KubeClient({ endpoints: config.apiservers, token: config.token, timeoutMs: le.renewDeadlineMs });
    this.elector = new LeaderElector({
      client: this.electionClient,
      log: log.child({ subsystem: 'leader-election' }),
      clock: this.clock,
      identity: le.identity,
      namespace: le.namespace,
      name: le.name,
      leaseDurationMs: le.leaseDurationMs,
      renewDeadlineMs: le.renewDeadlineMs,
      retryPeriodMs: le.retryPeriodMs,
      onStartedLeading: () => this.lead(),
      onStoppedLeading: () => this.fail('leader election lost'),
    });
    this.elector.run();
  }

  /** Stops the controllers, then hands the Lease to a standby, then closes the rest. */
  async stop(): Promise<void> {
    this.phase = 'stopping';
    await Promise.all(this.controllers.map((c) => c.stop()));
    this.informers?.stop();
    await this.elector?.stop({ release: true });
    this.masterStatus.set({ name: this.config.leaderElection.name }, 0);
    await this.ops?.close();
    this.client?.close();
    this.electionClient?.close();
  }

  private lead(): void {
    if (this.phase !== 'standby') return;
    this.phase = 'syncing';
    this.masterStatus.set({ name: this.config.leaderElection.name }, 1);
    this.informers?.start();
    this.log.info('leading: waiting for informers to sync');
    this.informers?.waitForSync().then(
      () => {
        if (this.phase !== 'syncing') return;
        for (const c of this.controllers) c.start();
        this.phase = 'running';
        this.log.info({ controllers: this.controllers.map((c) => c.name) }, 'informers synced: controllers started');
      },
      (err: unknown) => this.fail(`informers failed to sync: ${(err as Error).message}`),
    );
  }

  private fail(reason: string): void {
    this.masterStatus.set({ name: this.config.leaderElection.name }, 0);
    this.resolveFatal(reason);
  }

  /** Ready when leading with synced caches, or standing by with the apiserver answering. */
  private readiness(): string | undefined {
    switch (this.phase) {
      case 'running':
        return undefined;
      case 'syncing':
        return 'leading; waiting for informers to sync';
      case 'created':
        return 'starting';
      case 'stopping':
        return 'shutting down';
      case 'standby': {
        const seen = this.elector?.lastObservedAt();
        if (seen !== undefined && this.clock.now() - seen <= this.config.leaderElection.leaseDurationMs) return undefined;
        return 'standby; cannot read the leader election lease from the apiserver';
      }
    }
  }
}
