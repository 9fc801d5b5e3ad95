import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Informer, KubeClient, type Node, type Service } from '@kemu/api';
import { startOpsServer, type Logger, type OpsServer } from '@kemu/common';
import { Registry } from 'prom-client';
import type { NodeAgentConfig } from './config.js';
import { ContainerNetwork } from './container-network.js';
import { Kubelet } from './kubelet/kubelet.js';
import { LoopbackAddresses, nodeInternalIPv4, nodePodCIDRs } from './network/index.js';
import { containsAddress, parseCidr4, parseIPv4 } from './network/ipv4.js';
import { Proxier } from './proxier.js';

const WORKLOADS_MAIN = fileURLToPath(new URL('./workloads/main.js', import.meta.url));

/**
 * The composition root of one node: one apiserver client, the Service informer both halves
 * share, the kubelet half (node, lease, pods as processes) and the proxy half (forwarding
 * table and listeners), and the ops endpoints (/healthz, /readyz, /metrics, /rules).
 */
export class NodeAgent {
  readonly registry = new Registry();
  private client: KubeClient | undefined;
  private heartbeatClient: KubeClient | undefined;
  private informers: Informer<'services' | 'endpointslices' | 'nodes'>[] = [];
  private kubelet: Kubelet | undefined;
  private proxier: Proxier | undefined;
  private containerNetwork: ContainerNetwork | undefined;
  private ops: OpsServer | undefined;

  constructor(
    private readonly config: NodeAgentConfig,
    private readonly log: Logger,
  ) {}

  opsAddress(): { address: string; port: number } | undefined {
    return this.ops?.address();
  }

  async start(): Promise<void> {
    const { config, log } = this;
    const client = (this.client = new KubeClient({ endpoints: config.apiservers, token: config.token }));
    const onError = (what: string) => (err: unknown) => log.warn({ err: (err as Error).message }, `${what} informer: rewatching`);
    const services = new Informer(client, 'services', { onError: onError('services'), transform: slimService });
    this.informers.push(services);

    if (config.runProxy) {
      const slices = new Informer(client, 'endpointslices', { onError: onError('endpointslices') });
      const nodes = new Informer(client, 'nodes', { onError: onError('nodes') });
      this.informers.push(slices, nodes);
      const nodeOfIP = new NodeAddressIndex(nodes);
      if (config.networkMode === 'container') {
        this.containerNetwork = new ContainerNetwork({
          nodeName: config.nodeName,
          podCIDR: config.podCIDR,
          clusterCIDR: config.clusterCIDR,
          clusterDomain: config.clusterDomain,
          resolvConf: config.resolvConf,
          nodes,
          services,
          log,
        });
      }
      this.proxier = new Proxier({
        nodeName: config.nodeName,
        nodeIPs: [config.nodeIP],
        algorithm: config.algorithm,
        nodeOfIP: (ip) => nodeOfIP.lookup(ip),
        services,
        slices,
        forwarder: config.forwarder,
        forwarderThreads: config.forwarderThreads,
        maxConnections: config.maxConnections,
        limits: { udpIdleTimeoutMs: config.udpIdleTimeoutMs, dialTimeoutsMs: config.dialTimeoutsMs },
        minSyncPeriodMs: config.minSyncPeriodMs,
        syncPeriodMs: config.syncPeriodMs,
        log,
        registry: this.registry,
        ...(config.networkMode === 'container' ? { frontendAddresses: new LoopbackAddresses({ owned: config.frontendCIDRs, log }) } : {}),
      });
    }
    if (config.runKubelet) {
      // The kubelet's heartbeat client times out at the status update interval or the
      // lease's length, whichever is shorter (kubelet: nodeStatusUpdateFrequency capped by
      // nodeLeaseDurationSeconds); the rest of the agent waits longer.
      const heartbeatMs = Math.min(config.nodeStatusUpdateFrequencyMs, config.leaseDurationSeconds * 1000);
      this.heartbeatClient = new KubeClient({ endpoints: config.apiservers, token: config.token, timeoutMs: heartbeatMs });
      this.kubelet = new Kubelet({
        client,
        heartbeatClient: this.heartbeatClient,
        nodeName: config.nodeName,
        nodeIP: config.nodeIP,
        zone: config.zone,
        podCIDR: config.podCIDR,
        rootDir: config.rootDir,
        networkMode: config.networkMode,
        workloadsMain: WORKLOADS_MAIN,
        services,
        leaseDurationSeconds: config.leaseDurationSeconds,
        leaseRenewIntervalMs: config.leaseRenewIntervalMs,
        nodeStatusUpdateFrequencyMs: config.nodeStatusUpdateFrequencyMs,
        log,
        registry: this.registry,
      });
    }

    this.ops = await startOpsServer({
      host: config.opsHost,
      port: config.opsPort,
      registry: this.registry,
      ready: {
        ...(this.proxier ? { proxy: () => (this.proxier?.hasSynced() ? undefined : 'forwarding table not programmed yet') } : {}),
        ...(this.kubelet ? { kubelet: () => (this.kubelet?.hasSynced() ? undefined : 'pods not synced yet') } : {}),
      },
      routes: {
        // Leak checks (the abuse tests): a full GC, then the heap in use, in bytes.
        '/debug/gc': (req, res) => {
          if (req.method !== 'POST') {
            res.writeHead(405).end('POST only\n');
            return;
          }
          fullGC();
          res.writeHead(200, { 'content-type': 'text/plain' }).end(`${process.memoryUsage().heapUsed}\n`);
        },
        '/rules': (req, res) => {
          const url = new URL(req.url ?? '/', 'http://agent');
          const sp = url.searchParams.get('service') ?? undefined;
          res.writeHead(this.proxier ? 200 : 404, { 'content-type': 'text/plain; charset=utf-8' });
          res.end(this.proxier ? this.proxier.rules(sp) : 'this agent runs no proxy\n');
        },
      },
    });

    for (const i of this.informers) i.start();
    await this.proxier?.start();
    await this.containerNetwork?.start();
    await this.kubelet?.start();
    log.info(
      { node: config.nodeName, nodeIP: config.nodeIP, ops: `${config.opsHost}:${this.ops.address().port}`, forwarder: this.proxier?.splicer.kind },
      'node agent started',
    );
  }

  async stop(): Promise<void> {
    await this.kubelet?.stop({ stopPods: this.config.stopPodsOnExit });
    this.proxier?.stop();
    this.containerNetwork?.stop();
    for (const i of this.informers) i.stop();
    await this.ops?.close();
    this.client?.close();
    this.heartbeatClient?.close();
  }
}

/** A full garbage collection, without starting node with --expose-gc. */
function fullGC(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/**
 * What the agent reads of a Service (the proxy: spec and LoadBalancer ingress; the kubelet:
 * name, ClusterIP and ports for service environment variables), so that a cache of 10,000
 * Services holds no uids, timestamps, selectors or IP-family bookkeeping.
 */
export function slimService(s: Service): Service {
  const m = s.metadata ?? {};
  // Copied field by field: deleting properties would turn each object into a (bigger) dictionary.
  const { selector: _selector, ipFamilies: _families, ipFamilyPolicy: _policy, ...spec } = s.spec ?? {};
  const slim: Service = { metadata: { name: m.name, namespace: m.namespace, resourceVersion: m.resourceVersion }, spec };
  if (s.status?.loadBalancer?.ingress?.length) slim.status = { loadBalancer: s.status.loadBalancer };
  return slim;
}

/**
 * Which node an address belongs to: a node's InternalIP, or an address in its podCIDR.
 * Answers are cached per address until the next Node change.
 */
class NodeAddressIndex {
  private cache = new Map<string, string | undefined>();

  constructor(private readonly nodes: Informer<'nodes'>) {
    const reset = (): void => {
      this.cache = new Map();
    };
    nodes.on({ add: reset, update: reset, delete: reset });
  }

  lookup(ip: string): string | undefined {
    if (this.cache.has(ip)) return this.cache.get(ip);
    const n = parseIPv4(ip);
    let found: string | undefined;
    if (n !== undefined) {
      for (const node of this.nodes.list()) {
        if (ownsAddress(node, ip, n)) {
          found = node.metadata?.name;
          break;
        }
      }
    }
    if (this.cache.size > 65_536) this.cache.clear();
    this.cache.set(ip, found);
    return found;
  }
}

function ownsAddress(node: Node, ip: string, n: number): boolean {
  if (nodeInternalIPv4(node) === ip) return true;
  return nodePodCIDRs(node).some((c) => {
    const cidr = parseCidr4(c);
    return cidr !== undefined && containsAddress(cidr, n);
  });
}
