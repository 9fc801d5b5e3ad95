import { errors, fieldErrors, invalidError, selectorFromLabelSelector, type LabelSelector, type ObjectMeta } from '@kemu/api';

/** autoscaling/v1 Scale, the `scale` subresource of Deployments and ReplicaSets. */
export interface Scale {
  kind: 'Scale';
  apiVersion: 'autoscaling/v1';
  metadata: ObjectMeta;
  spec: { replicas: number };
  status: { replicas: number; selector: string };
}

interface Scalable {
  metadata?: ObjectMeta;
  spec?: { replicas?: number; selector?: LabelSelector };
  status?: { replicas?: number };
}

/** The Scale view of a Deployment or ReplicaSet. */
export function toScale(obj: Scalable): Scale {
  const m = obj.metadata ?? {};
  const metadata: ObjectMeta = {};
  for (const k of ['name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp'] as const) if (m[k] !== undefined) metadata[k] = m[k];
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata,
    spec: { replicas: obj.spec?.replicas ?? 0 },
    status: {
      replicas: obj.status?.replicas ?? 0,
      selector: obj.spec?.selector ? selectorFromLabelSelector(obj.spec.selector).toString() : '',
    },
  };
}

/**
 * The replica count a Scale written by a client asks for, and its resourceVersion
 * precondition (empty: none). Wrong kinds and bad counts are rejected as Kubernetes does.
 */
export function requestedReplicas(body: unknown, name: string): { replicas: number; resourceVersion: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw errors.badRequest('the body of a scale request must be a Scale object');
  const b = body as { kind?: unknown; apiVersion?: unknown; metadata?: { name?: unknown; resourceVersion?: unknown }; spec?: { replicas?: unknown } };
  if (b.kind !== undefined && b.kind !== 'Scale') throw errors.badRequest(`the kind in the data (${JSON.stringify(b.kind)}) does not match the expected kind ("Scale")`);
  if (b.apiVersion !== undefined && b.apiVersion !== 'autoscaling/v1') {
    throw errors.badRequest(`the API version in the data (${JSON.stringify(b.apiVersion)}) does not match the expected API version (autoscaling/v1)`);
  }
  if (b.metadata?.name !== undefined && b.metadata.name !== name) {
    throw errors.badRequest(`the name of the object (${typeof b.metadata.name === 'string' ? b.metadata.name : JSON.stringify(b.metadata.name)}) does not match the name on the URL (${name})`);
  }
  const replicas = b.spec?.replicas ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas >= 2 ** 31) {
    throw errors.badRequest(`Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal ${JSON.stringify(replicas)} into Go struct field ScaleSpec.spec.replicas of type int32`);
  }
  if (replicas < 0) {
    throw invalidError('Scale', name, 'autoscaling', [fieldErrors.invalid('spec.replicas', replicas, 'must be greater than or equal to 0')]);
  }
  const rv = b.metadata?.resourceVersion;
  return { replicas, resourceVersion: typeof rv === 'string' ? rv : '' };
}
