// Kubernetes' validation and defaulting for kemu's apiserver, as pure functions. The
// order a write goes through: applyDefaults, prepareForCreate / prepareForUpdate /
// prepareForStatusUpdate, then validateCreate / validateUpdate / validateStatusUpdate;
// a non-empty error list becomes a 422 through @kemu/api's invalidError.
export { applyDefaults, type DefaultingOptions } from './defaults.js';
export { prepareForCreate, prepareForUpdate, prepareForStatusUpdate } from './prepare.js';
export { validateCreate, validateUpdate, validateStatusUpdate } from './validate.js';
export { validateServiceAllocation } from './service-allocation.js';
export type { ValidationOptions } from './options.js';
export {
  isDNS1123Label,
  isDNS1123Subdomain,
  isDNS1035Label,
  isQualifiedName,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
  nameIsDNSSubdomain,
  nameIsDNSLabel,
  nameIsDNS1035Label,
  type NameValidator,
} from './names.js';
