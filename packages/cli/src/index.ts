export { up, down, entryPoint, COMPONENTS, type Component, type UpOptions } from './cluster.js';
export { startProcess, stopProcesses, waitReady, isAlive, readProcesses, type ProcessRecord } from './processes.js';
export { kubeconfigYaml, type KubeconfigOptions } from './kubeconfig.js';
