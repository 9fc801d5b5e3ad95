export { ReplicaSetController } from './replica-set-controller.js';
export { planReplicaSet, type ReplicaSetInputs, type ReplicaSetPlan } from './plan-replica-set.js';
export { Expectations } from './expectations.js';
