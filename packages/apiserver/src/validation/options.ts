/** What validation needs to know about the cluster it guards. */
export interface ValidationOptions {
  /** The Service ClusterIP range, e.g. 127.96.0.0/16 (--service-cluster-ip-range). */
  serviceCIDR: string;
  /** The NodePort range, inclusive (--service-node-port-range). */
  nodePortRange: { min: number; max: number };
  /**
   * Kubernetes refuses loopback addresses in Endpoints and EndpointSlices. kemu runs
   * every pod on 127.0.0.0/8, so its apiserver sets this; false (the default) is
   * Kubernetes-exact.
   */
  allowLoopbackEndpoints?: boolean;
}
