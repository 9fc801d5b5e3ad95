// The objects a chaos run works with: the target Service and its Deployment, the traffic
// clients, the write probe's Lease. Pure manifests.
import type { Deployment, Lease, Namespace, Pod, Service } from '@kemu/api';

export const CHAOS_NAMESPACE = 'kemu-chaos';
export const TARGET_NAME = 'chaos-target';
export const TARGET_LABELS = { app: TARGET_NAME } as const;
export const TARGET_SELECTOR = `app=${TARGET_NAME}`;
export const TARGET_PORT = 80;
export const CLIENT_LABELS = { app: 'chaos-client' } as const;
export const CLIENT_SELECTOR = 'app=chaos-client';
export const RUN_LABEL = 'kemu.dev/chaos-run';
export const WRITE_PROBE_LEASE = 'write-probe';

export function chaosNamespace(): Namespace {
  return { metadata: { name: CHAOS_NAMESPACE } };
}

/** kemu/echo replicas; the scheduler spreads them over nodes and zones. */
export function targetDeployment(replicas: number): Deployment {
  return {
    metadata: { name: TARGET_NAME, namespace: CHAOS_NAMESPACE, labels: { ...TARGET_LABELS } },
    spec: {
      replicas,
      selector: { matchLabels: { ...TARGET_LABELS } },
      template: {
        metadata: { labels: { ...TARGET_LABELS } },
        spec: {
          containers: [
            {
              name: 'echo',
              image: 'kemu/echo',
              ports: [{ name: 'http', containerPort: 8080 }],
              readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1 },
            },
          ],
        },
      },
    },
  };
}

export function targetService(): Service {
  return {
    metadata: { name: TARGET_NAME, namespace: CHAOS_NAMESPACE, labels: { ...TARGET_LABELS } },
    spec: { type: 'ClusterIP', selector: { ...TARGET_LABELS }, ports: [{ name: 'http', port: TARGET_PORT, targetPort: 'http' }] },
  };
}

export interface ClientPodOptions {
  runId: string;
  index: number;
  node: string;
  url: string;
  /** Requests per second of this client. */
  rate: number;
  /** Each request's deadline. */
  timeoutMs: number;
  /** The client stops by itself after this long, should the run never delete it. */
  durationS: number;
}

/** A kemu/client pod pinned to a node that the fault leaves alone (nodeName: no scheduling needed). */
export function clientPod(o: ClientPodOptions): Pod {
  return {
    metadata: {
      name: `chaos-client-${o.runId}-${o.index}`,
      namespace: CHAOS_NAMESPACE,
      labels: { ...CLIENT_LABELS, [RUN_LABEL]: o.runId },
    },
    spec: {
      nodeName: o.node,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 2,
      containers: [
        {
          name: 'client',
          image: 'kemu/client',
          args: ['--url', o.url, '--rate', String(o.rate), '--timeout', String(o.timeoutMs), '--duration', String(o.durationS)],
        },
      ],
    },
  };
}

export function writeProbeLease(): Lease {
  return { metadata: { name: WRITE_PROBE_LEASE, namespace: CHAOS_NAMESPACE }, spec: { holderIdentity: 'kemu-chaos-write-probe', leaseDurationSeconds: 1 } };
}
