import type { FieldError, ResourceName, ResourceTypes } from '@kemu/api';
import {
  validateDeployment,
  validateDeploymentStatusUpdate,
  validateDeploymentUpdate,
  validateReplicaSet,
  validateReplicaSetStatusUpdate,
  validateReplicaSetUpdate,
} from './apps.js';
import { validateEndpointSlice, validateEndpointSliceUpdate } from './endpoint-slice.js';
import { validateEndpoints, validateEndpointsUpdate } from './endpoints.js';
import { validateLease, validateLeaseUpdate } from './lease.js';
import { validateNamespace, validateNamespaceStatusUpdate, validateNamespaceUpdate } from './namespace.js';
import { validateNode, validateNodeUpdate } from './node.js';
import type { ValidationOptions } from './options.js';
import { validatePod, validatePodStatusUpdate, validatePodUpdate } from './pod.js';
import { validateServiceAllocation } from './service-allocation.js';
import { validateService, validateServiceStatusUpdate, validateServiceUpdate } from './service.js';

type Create = { [R in ResourceName]: (obj: ResourceTypes[R], opts: ValidationOptions) => FieldError[] };
type Update = { [R in ResourceName]: (obj: ResourceTypes[R], old: ResourceTypes[R], opts: ValidationOptions) => FieldError[] };

// Services: the allocator's checks run first and, when they fail, alone (kube-apiserver
// allocates before it validates).
const CREATE: Create = {
  namespaces: validateNamespace,
  nodes: validateNode,
  pods: validatePod,
  services: (svc, opts) => {
    const alloc = validateServiceAllocation(svc, undefined, opts);
    return alloc.length ? alloc : validateService(svc);
  },
  endpoints: validateEndpoints,
  endpointslices: validateEndpointSlice,
  replicasets: validateReplicaSet,
  deployments: validateDeployment,
  leases: validateLease,
};

const UPDATE: Update = {
  namespaces: validateNamespaceUpdate,
  nodes: validateNodeUpdate,
  pods: validatePodUpdate,
  services: (svc, old, opts) => {
    const alloc = validateServiceAllocation(svc, old, opts);
    return alloc.length ? alloc : validateServiceUpdate(svc, old);
  },
  endpoints: validateEndpointsUpdate,
  endpointslices: validateEndpointSliceUpdate,
  replicasets: validateReplicaSetUpdate,
  deployments: validateDeploymentUpdate,
  leases: validateLeaseUpdate,
};

const STATUS_UPDATE: Update = {
  namespaces: validateNamespaceStatusUpdate,
  nodes: validateNodeUpdate,
  pods: validatePodStatusUpdate,
  services: validateServiceStatusUpdate,
  endpoints: validateEndpointsUpdate,
  endpointslices: validateEndpointSliceUpdate,
  replicasets: validateReplicaSetStatusUpdate,
  deployments: validateDeploymentStatusUpdate,
  leases: validateLeaseUpdate,
};

/** Kubernetes prints each distinct message once. */
function dedupe(errs: readonly FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errs.filter((e) => {
    const text = e.toString();
    if (seen.has(text)) return false;
    seen.add(text);
    return true;
  });
}

/**
 * The field errors Kubernetes reports for creating `obj`: empty when it is valid. Call it
 * after applyDefaults and prepareForCreate (and, for Services, before or after
 * allocating ClusterIPs and node ports: a LoadBalancer with externalTrafficPolicy Local
 * needs its healthCheckNodePort allocated to pass). Does not modify `obj`.
 */
export function validateCreate<R extends ResourceName>(resource: R, obj: ResourceTypes[R], opts: ValidationOptions): FieldError[] {
  return dedupe(CREATE[resource](obj, opts));
}

/**
 * The field errors for replacing `old` with `obj` through the main resource. Call it
 * after applyDefaults and prepareForUpdate. Does not modify either object.
 */
export function validateUpdate<R extends ResourceName>(resource: R, obj: ResourceTypes[R], old: ResourceTypes[R], opts: ValidationOptions): FieldError[] {
  return dedupe(UPDATE[resource](obj, old, opts));
}

/** The field errors for a write to the /status subresource, after prepareForStatusUpdate. */
export function validateStatusUpdate<R extends ResourceName>(
  resource: R,
  obj: ResourceTypes[R],
  old: ResourceTypes[R],
  opts: ValidationOptions,
): FieldError[] {
  return dedupe(STATUS_UPDATE[resource](obj, old, opts));
}
