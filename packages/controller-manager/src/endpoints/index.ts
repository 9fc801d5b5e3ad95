export { EndpointsController } from './endpoints-controller.js';
export {
  reconcileEndpoints,
  ANNOTATION_OVER_CAPACITY,
  ANNOTATION_LEADER,
  type EndpointsAction,
} from './reconcile-endpoints.js';
export { desiredSubsets, truncateSubsets, subsetsEqual, MAX_ENDPOINTS_CAPACITY } from './subsets.js';
