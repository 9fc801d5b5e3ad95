export { EtcdTestCluster, sleep, type EtcdTestClusterOptions, type RunningMember } from './etcd-cluster.js';
export { etcdctl, hasEtcdctl, type EtcdctlResult } from './etcdctl.js';
export { KvClient, prefixEnd, withKvClient } from './kv-client.js';
