import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The proxy's Prometheus metrics (names after kube-proxy's where one exists). */
export class ProxyMetrics {
  readonly connections: Counter<'service_port'>;
  readonly bytes: Counter<'service_port' | 'direction'>;
  readonly connectFailures: Counter<'service_port'>;
  readonly connectRetries: Counter<'service_port'>;
  readonly rejected: Counter<'service_port' | 'reason'>;
  readonly udpDatagrams: Counter<'service_port' | 'direction'>;
  readonly syncDuration: Histogram;
  readonly programmingLatency: Histogram;
  readonly lastSync: Gauge;

  constructor(registry: Registry, live: { connections(): number; frontends(): number }) {
    const registers = [registry];
    this.connections = new Counter({
      name: 'kemu_proxy_connections_total',
      help: 'TCP connections forwarded to an endpoint, by service port',
      labelNames: ['service_port'],
      registers,
    });
    this.bytes = new Counter({
      name: 'kemu_proxy_bytes_total',
      help: 'Bytes forwarded, by service port and direction (to_backend, to_client); TCP counted when a connection ends',
      labelNames: ['service_port', 'direction'],
      registers,
    });
    this.connectFailures = new Counter({
      name: 'kemu_proxy_connect_failures_total',
      help: 'Failed connects to an endpoint, by service port',
      labelNames: ['service_port'],
      registers,
    });
    this.connectRetries = new Counter({
      name: 'kemu_proxy_connect_retries_total',
      help: 'Connects retried on another endpoint after a failure, by service port',
      labelNames: ['service_port'],
      registers,
    });
    this.rejected = new Counter({
      name: 'kemu_proxy_rejected_connections_total',
      help: 'Client connections reset at once, by service port and reason (no-endpoints, drop, limit, dial-failed)',
      labelNames: ['service_port', 'reason'],
      registers,
    });
    this.udpDatagrams = new Counter({
      name: 'kemu_proxy_udp_datagrams_total',
      help: 'UDP datagrams forwarded, by service port and direction',
      labelNames: ['service_port', 'direction'],
      registers,
    });
    this.syncDuration = new Histogram({
      name: 'kemu_proxy_sync_proxy_rules_duration_seconds',
      help: 'Time to apply one batch of Service and EndpointSlice changes to the forwarding table and listeners',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.programmingLatency = new Histogram({
      name: 'kemu_proxy_network_programming_duration_seconds',
      help: 'From an EndpointSlice change (its last-change-trigger-time) to the change being applied on this node',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.lastSync = new Gauge({
      name: 'kemu_proxy_sync_proxy_rules_last_timestamp_seconds',
      help: 'When the forwarding table was last applied',
      registers,
    });
    new Gauge({
      name: 'kemu_proxy_active_connections',
      help: 'TCP connections open through this agent',
      registers,
      collect() {
        this.set(live.connections());
      },
    });
    new Gauge({
      name: 'kemu_proxy_frontends',
      help: 'Addresses this agent listens on for Services (ClusterIP, NodePort, LoadBalancer and health check ports)',
      registers,
      collect() {
        this.set(live.frontends());
      },
    });
  }
}
