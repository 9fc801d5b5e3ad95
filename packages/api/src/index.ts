// @kemu/api: generated protobuf/gRPC code (never edited by hand; see scripts/gen.mjs),
// the Kubernetes object types generated from proto/kemu/api, and what every component
// shares about them: the resource table, strict decoding, errors, selectors, the
// apiserver client and informers.
export * as etcdserverpb from './gen/etcd/etcdserverpb/rpc.js';
export * as mvccpb from './gen/etcd/mvccpb/kv.js';
export * as raftpb from './gen/kemu/raftpb/raft.js';
export * as etcdinternal from './gen/etcd/kemuinternal/internal.js';
export * as apiserverpb from './gen/kemu/apiserver/apiserver.js';

export type * as meta from './gen/kemu/api/meta.js';
export type * as core from './gen/kemu/api/core.js';
export type * as apps from './gen/kemu/api/apps.js';
export type * as discovery from './gen/kemu/api/discovery.js';
export type * as coordination from './gen/kemu/api/coordination.js';
export type { ObjectMeta, LabelSelector, OwnerReference, Status, Condition } from './gen/kemu/api/meta.js';
export type { Namespace, Node, Pod, Service, Endpoints, PodSpec, ServicePort } from './gen/kemu/api/core.js';
export type { ReplicaSet, Deployment } from './gen/kemu/api/apps.js';
export type { EndpointSlice } from './gen/kemu/api/discovery.js';
export type { Lease } from './gen/kemu/api/coordination.js';

export {
  RESOURCES,
  resourceInfo,
  resourceForKind,
  isResourceName,
  type ResourceName,
  type ResourceTypes,
  type ResourceInfo,
} from './resources.js';
export { ApiError, apiError, errors, isApiError, Reason, type StatusTarget } from './errors.js';
export { FieldPath, FieldError, GoLiteral, FieldErrorType, fieldErrors, formatValue, invalidError } from './field-errors.js';
export { decodeObject } from './decode.js';
// The field tables behind decodeObject, for servers that describe the schema (OpenAPI).
export { schema as objectSchema } from './gen/kemu/api/schema.js';
export type { FieldKind, MessageSchema } from './schema-types.js';
export { applyMergePatch } from './merge-patch.js';
export {
  Selector,
  parseSelector,
  parseFieldSelector,
  selectorFromMap,
  selectorFromLabelSelector,
  type Requirement,
  type FieldRequirement,
} from './labels.js';
export {
  KubeClient,
  STATUS_TRAILER,
  toApiError,
  type ClientOptions,
  type ListOptions,
  type ListResult,
  type DeleteOptions,
  type WatchEvent,
  type WatchEventType,
  type WatchOptions,
  type WatchHandle,
} from './client.js';
export { Informer, indexers, objectKey, selectByLabels, type InformerHandlers, type InformerOptions } from './informer.js';
export { age, humanDuration } from './human-duration.js';
export { endpointAddresses, formatLabels, listWithMore, NONE, nodeRoles, nodeStatus, podStatus, serviceExternalIP, servicePorts } from './printers.js';
