import { Counter, Histogram, type Registry } from 'prom-client';

/** The EndpointSlice controller's metrics, named as kube-controller-manager's (plus `_total` on counters). */
export interface EndpointSliceMetrics {
  /** Slice writes, by operation: create, update, delete. */
  readonly changes: Counter<'operation'>;
  /** Service syncs, by result: success, error, stale (cache behind the controller's writes). */
  readonly syncs: Counter<'result'>;
  readonly endpointsAdded: Histogram;
  readonly endpointsRemoved: Histogram;
}

export function endpointSliceMetrics(registry: Registry): EndpointSliceMetrics {
  const registers = [registry];
  const buckets = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
  return {
    changes: new Counter({
      name: 'endpoint_slice_controller_changes_total',
      help: 'EndpointSlice writes by the EndpointSlice controller, by operation',
      labelNames: ['operation'],
      registers,
    }),
    syncs: new Counter({
      name: 'endpoint_slice_controller_syncs_total',
      help: 'Service syncs of the EndpointSlice controller, by result',
      labelNames: ['result'],
      registers,
    }),
    endpointsAdded: new Histogram({
      name: 'endpoint_slice_controller_endpoints_added_per_sync',
      help: 'Endpoints added to a Service\'s EndpointSlices per sync',
      buckets,
      registers,
    }),
    endpointsRemoved: new Histogram({
      name: 'endpoint_slice_controller_endpoints_removed_per_sync',
      help: 'Endpoints removed from a Service\'s EndpointSlices per sync',
      buckets,
      registers,
    }),
  };
}
