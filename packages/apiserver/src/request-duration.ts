import { Histogram, type Registry } from 'prom-client';

const NAME = 'apiserver_request_duration_seconds';

/**
 * kube-apiserver's request latency histogram, one per apiserver process: the gRPC API and the
 * Kubernetes HTTP API observe into the same series, as kube-apiserver's handlers do.
 */
export function requestDuration(metrics: Registry): Histogram<'verb' | 'resource' | 'code'> {
  const existing = metrics.getSingleMetric(NAME);
  if (existing) return existing as Histogram<'verb' | 'resource' | 'code'>;
  return new Histogram({
    name: NAME,
    help: 'Response latency per verb, resource and HTTP-style code (watches: time to the first byte), gRPC and HTTP alike.',
    labelNames: ['verb', 'resource', 'code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [metrics],
  });
}
