// @kemu/api: the generated protobuf/gRPC code (never edited by hand; see scripts/gen.mjs)
// and, as the project grows, the Kubernetes object types, validation and clients.
export * as etcdserverpb from './gen/etcd/etcdserverpb/rpc.js';
export * as mvccpb from './gen/etcd/mvccpb/kv.js';
export * as raftpb from './gen/kemu/raftpb/raft.js';
export * as etcdinternal from './gen/etcd/kemuinternal/internal.js';
