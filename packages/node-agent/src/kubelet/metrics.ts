import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The kubelet's metrics, under Kubernetes' names where Kubernetes has one. Unregistered without a registry. */
export class KubeletMetrics {
  readonly startedPods: Counter;
  readonly startedContainers: Counter;
  readonly containerRestarts: Counter;
  readonly probes: Counter<'probe_type' | 'result'>;
  readonly statusSync: Histogram;
  readonly runningPods: Gauge;
  readonly runningContainers: Gauge;

  constructor(registry: Registry | undefined, counts: () => { pods: number; containers: number }) {
    const registers = registry ? [registry] : [];
    this.startedPods = new Counter({ name: 'kubelet_started_pods_total', help: 'Pods the kubelet started', registers });
    this.startedContainers = new Counter({ name: 'kubelet_started_containers_total', help: 'Container processes the kubelet started', registers });
    this.containerRestarts = new Counter({ name: 'kubelet_container_restarts_total', help: 'Containers started again after they stopped', registers });
    this.probes = new Counter({
      name: 'prober_probe_total',
      help: 'Liveness, readiness and startup probes run, by result',
      labelNames: ['probe_type', 'result'],
      registers,
    });
    this.statusSync = new Histogram({
      name: 'kubelet_pod_status_sync_duration_seconds',
      help: 'Time to write a pod status to the apiserver',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.runningPods = new Gauge({
      name: 'kubelet_running_pods',
      help: 'Pods with at least one running container',
      registers,
      collect() {
        this.set(counts().pods);
      },
    });
    this.runningContainers = new Gauge({
      name: 'kubelet_running_containers',
      help: 'Running container processes',
      registers,
      collect() {
        this.set(counts().containers);
      },
    });
  }
}
