import { decodeObject, type Pod, type PodSpec, type ResourceName, type core } from '@kemu/api';

/**
 * Kubernetes fields the kubelet understands that kemu's API schema (proto/kemu/api) may
 * not carry yet. Reading them is harmless when absent; writing one the apiserver does
 * not know would make it refuse the whole write (strict decoding), so every optional
 * status field is written only when `SCHEMA` says the schema has it.
 */
export interface EnvVarSource {
  fieldRef?: { apiVersion?: string; fieldPath?: string };
}

export type EnvVarExt = core.EnvVar & { valueFrom?: EnvVarSource };

export type PodSpecExt = PodSpec & {
  hostNetwork?: boolean;
  enableServiceLinks?: boolean;
  serviceAccountName?: string;
};

export function podSpec(pod: Pod): PodSpecExt {
  return pod.spec ?? {};
}

/** Kubernetes' NodeSystemInfo, the part kemu fills in. */
export interface NodeInfo {
  machineID: string;
  bootID: string;
  kernelVersion: string;
  osImage: string;
  containerRuntimeVersion: string;
  kubeletVersion: string;
  kubeProxyVersion: string;
  operatingSystem: string;
  architecture: string;
}

function sampleNodeInfo(): NodeInfo {
  return { machineID: '', bootID: '', kernelVersion: '', osImage: '', containerRuntimeVersion: '', kubeletVersion: '', kubeProxyVersion: '', operatingSystem: '', architecture: '' };
}

/** Whether decoding `sample` as `resource` succeeds: the schema has every field in it. */
function accepts(resource: ResourceName, sample: unknown): boolean {
  try {
    decodeObject(resource, sample);
    return true;
  } catch {
    return false;
  }
}

/** The optional fields of Pod and Node status that this build's schema knows. */
export const SCHEMA = {
  containerID: accepts('pods', { status: { containerStatuses: [{ containerID: 'kemu://1' }] } }),
  imageID: accepts('pods', { status: { containerStatuses: [{ imageID: 'kemu/echo' }] } }),
  hostIPs: accepts('pods', { status: { hostIPs: [{ ip: '127.0.0.1' }] } }),
  nodeInfo: accepts('nodes', { status: { nodeInfo: sampleNodeInfo() } }),
} as const;

export type SchemaSupport = { readonly [K in keyof typeof SCHEMA]: boolean };
