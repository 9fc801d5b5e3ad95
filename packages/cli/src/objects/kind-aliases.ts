// The names kubectl accepts for each resource, apart from the resource table of @kemu/api.
// Light on purpose: the CLI's help lists them without loading the API client.
import type { ResourceName } from '@kemu/api';

/**
 * The names kubectl accepts for a resource besides its plural and its kind. Keyed by every
 * ResourceName, in the order of @kemu/api's RESOURCES (help.test.ts checks both).
 */
export const ALIASES: Readonly<Record<ResourceName, { singular: string; short: readonly string[] }>> = {
  namespaces: { singular: 'namespace', short: ['ns'] },
  nodes: { singular: 'node', short: ['no'] },
  pods: { singular: 'pod', short: ['po'] },
  services: { singular: 'service', short: ['svc'] },
  endpoints: { singular: 'endpoints', short: ['ep'] },
  endpointslices: { singular: 'endpointslice', short: ['eps'] },
  replicasets: { singular: 'replicaset', short: ['rs'] },
  deployments: { singular: 'deployment', short: ['deploy'] },
  leases: { singular: 'lease', short: [] },
};

/** The names a resource answers to, for help text: `pods (po)`. */
export function kindHelp(): string {
  return (Object.keys(ALIASES) as ResourceName[])
    .map((r) => {
      const short = ALIASES[r].short;
      return short.length ? `${r} (${short.join(', ')})` : r;
    })
    .join(', ');
}
