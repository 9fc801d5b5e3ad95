// The names kubectl accepts for each resource: the short names of @kemu/api's resource
// table (a light module: the CLI's help lists them without loading the API client).
import { RESOURCES, type ResourceName } from '@kemu/api/resources';

/** Short names `kemu` accepts beyond kube-apiserver's ("eps" for EndpointSlices, a common spelling). */
const CLI_SHORT: Partial<Record<ResourceName, readonly string[]>> = { endpointslices: ['eps'] };

/** The names kubectl accepts for a resource besides its plural and its kind, in the order of RESOURCES. */
export const ALIASES = Object.fromEntries(
  (Object.keys(RESOURCES) as ResourceName[]).map((r) => [r, { singular: RESOURCES[r].kind.toLowerCase(), short: [...RESOURCES[r].shortNames, ...(CLI_SHORT[r] ?? [])] }]),
) as unknown as Readonly<Record<ResourceName, { singular: string; short: readonly string[] }>>;

/** The names a resource answers to, for help text: `pods (po)`. */
export function kindHelp(): string {
  return (Object.keys(ALIASES) as ResourceName[])
    .map((r) => {
      const short = ALIASES[r].short;
      return short.length ? `${r} (${short.join(', ')})` : r;
    })
    .join(', ');
}
