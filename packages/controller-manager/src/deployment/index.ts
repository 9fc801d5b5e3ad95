export { DeploymentController } from './deployment-controller.js';
export { planDeployment, REVISION_ANNOTATION, type DeploymentAction, type DeploymentInputs } from './plan-deployment.js';
export { podTemplateHash, POD_TEMPLATE_HASH_LABEL } from './pod-template-hash.js';
