import { objectSchema, type FieldKind } from '@kemu/api';

/**
 * How strategic merge patch treats a field, from the `patchStrategy`/`patchMergeKey` tags
 * of the Kubernetes Go types (k8s.io/api) for the fields kemu has. Lists not named here
 * are atomic (a patch replaces them whole). The OpenAPI documents publish the same table
 * (x-kubernetes-patch-strategy, x-kubernetes-patch-merge-key), so kubectl computes its
 * patches with the rules the server applies them with.
 */
export type PatchStrategy = { strategy: 'merge'; mergeKey?: string } | { strategy: 'retainKeys' };

export const PATCH_STRATEGIES: Readonly<Record<string, PatchStrategy>> = {
  'kemu.api.meta.v1.ObjectMeta.ownerReferences': { strategy: 'merge', mergeKey: 'uid' },
  'kemu.api.meta.v1.ObjectMeta.finalizers': { strategy: 'merge' },
  'kemu.api.core.v1.PodSpec.containers': { strategy: 'merge', mergeKey: 'name' },
  'kemu.api.core.v1.Container.ports': { strategy: 'merge', mergeKey: 'containerPort' },
  'kemu.api.core.v1.Container.env': { strategy: 'merge', mergeKey: 'name' },
  'kemu.api.core.v1.PodStatus.conditions': { strategy: 'merge', mergeKey: 'type' },
  'kemu.api.core.v1.PodStatus.podIPs': { strategy: 'merge', mergeKey: 'ip' },
  'kemu.api.core.v1.PodStatus.hostIPs': { strategy: 'merge', mergeKey: 'ip' },
  'kemu.api.core.v1.NodeSpec.podCIDRs': { strategy: 'merge' },
  'kemu.api.core.v1.NodeStatus.conditions': { strategy: 'merge', mergeKey: 'type' },
  'kemu.api.core.v1.NodeStatus.addresses': { strategy: 'merge', mergeKey: 'type' },
  'kemu.api.core.v1.ServiceSpec.ports': { strategy: 'merge', mergeKey: 'port' },
  'kemu.api.core.v1.ServiceStatus.conditions': { strategy: 'merge', mergeKey: 'type' },
  'kemu.api.apps.v1.DeploymentSpec.strategy': { strategy: 'retainKeys' },
  'kemu.api.apps.v1.DeploymentStatus.conditions': { strategy: 'merge', mergeKey: 'type' },
  'kemu.api.apps.v1.ReplicaSetStatus.conditions': { strategy: 'merge', mergeKey: 'type' },
};

/** The schema kind of `message.field`, if the schema has it. */
export function fieldKind(message: string | undefined, field: string): FieldKind | undefined {
  if (message === undefined) return undefined;
  const fields = objectSchema[message];
  return fields && Object.hasOwn(fields, field) ? fields[field] : undefined;
}

/** The message a field's values (or list elements) are, if they are messages. */
export function messageOf(kind: FieldKind | undefined): string | undefined {
  if (!kind) return undefined;
  if (kind.k === 'message') return kind.ref;
  if (kind.k === 'list') return messageOf(kind.of);
  return undefined;
}

export function patchStrategy(message: string | undefined, field: string): PatchStrategy | undefined {
  return message === undefined ? undefined : PATCH_STRATEGIES[`${message}.${field}`];
}
