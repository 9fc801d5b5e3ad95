export { EtcdTestCluster, sleep, type EtcdTestClusterOptions, type RunningMember } from './etcd-cluster.js';
export { etcdctl, hasEtcdctl, type EtcdctlResult } from './etcdctl.js';
export { KvClient, prefixEnd, withKvClient } from './kv-client.js';
export { TestProcess } from './process.js';
export { ControlPlane, TOKENS, type ControlPlaneOptions } from './control-plane.js';
export { FakeNodeAgent, type FakeNodeOptions } from './fake-node-agent.js';
export { eventually } from './eventually.js';
export { sliceAddresses, readyPodIPs, isReady } from './service-view.js';
