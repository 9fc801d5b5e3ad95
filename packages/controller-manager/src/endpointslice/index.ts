export { EndpointSliceController } from './endpoint-slice-controller.js';
export { reconcileSlices, countEndpointChanges, type SliceChanges } from './reconcile-slices.js';
export {
  MAX_ENDPOINTS_PER_SLICE,
  ADDRESS_TYPE,
  LABEL_SERVICE_NAME,
  LABEL_MANAGED_BY,
  CONTROLLER_NAME,
} from './slice-meta.js';
export { LABEL_TOPOLOGY_ZONE, LABEL_HEADLESS } from './service-pods.js';
export { SliceWriteTracker, StaleSliceCacheError } from './slice-tracker.js';
