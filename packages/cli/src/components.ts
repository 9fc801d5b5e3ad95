/**
 * The kinds of process `kemu up --components` starts, in start order. Light on purpose:
 * the CLI lists them in its help without loading the code that starts them (cluster.ts).
 */
export const COMPONENTS = ['etcd', 'apiserver', 'controller-manager', 'dns', 'node'] as const;
export type Component = (typeof COMPONENTS)[number];
