import type { Deployment, EndpointSlice, Endpoints, Lease, Namespace, Node, Pod, ReplicaSet, ResourceName, ResourceTypes, Service } from '@kemu/api';
import { applyDefaults } from './defaults.js';
import type { ValidationOptions } from './options.js';
import { prepareForCreate } from './prepare.js';
import { validateCreate } from './validate.js';

/** Minimal valid objects of each kind, and the create path a request takes, for tests. */

export const OPTS: ValidationOptions = { serviceCIDR: '127.96.0.0/16', nodePortRange: { min: 30000, max: 32767 } };

export const service = (): Service => ({
  metadata: { name: 'web', namespace: 'default' },
  spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
});

export const pod = (): Pod => ({
  metadata: { name: 'p', namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] },
});

export const deployment = (): Deployment => ({
  metadata: { name: 'd', namespace: 'default' },
  spec: {
    selector: { matchLabels: { app: 'x' } },
    template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
  },
});

export const replicaSet = (): ReplicaSet => ({
  metadata: { name: 'd-5d4f', namespace: 'default' },
  spec: {
    selector: { matchLabels: { app: 'x' } },
    template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
  },
});

export const endpoints = (): Endpoints => ({
  metadata: { name: 'web', namespace: 'default' },
  subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }],
});

export const endpointSlice = (): EndpointSlice => ({
  metadata: { name: 'web-abc12', namespace: 'default' },
  addressType: 'IPv4',
  endpoints: [{ addresses: ['10.0.0.1'] }],
  ports: [{ name: 'http', port: 80 }],
});

export const node = (): Node => ({ metadata: { name: 'node-1' } });
export const namespace = (): Namespace => ({ metadata: { name: 'team-a' } });
export const lease = (): Lease => ({
  metadata: { name: 'node-1', namespace: 'kube-node-lease' },
  spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40 },
});

/** Defaults, create preparation and validation, as the apiserver runs them; the errors as text. */
export function createErrors<R extends ResourceName>(resource: R, obj: ResourceTypes[R], opts: ValidationOptions = OPTS): string[] {
  applyDefaults(resource, obj, opts);
  prepareForCreate(resource, obj);
  return validateCreate(resource, obj, opts).map(String);
}
