import { isResourceName, RESOURCES, resourceInfo, type ResourceName } from '@kemu/api';
import { ALIASES } from './kind-aliases.js';

export { kindHelp } from './kind-aliases.js';

export const RESOURCE_NAMES = Object.keys(RESOURCES) as ResourceName[];

/** "the server doesn't have a resource type" in kubectl's words. */
export class UnknownKindError extends Error {
  override readonly name = 'UnknownKindError';
  constructor(readonly kind: string) {
    super(`the server doesn't have a resource type "${kind}"`);
  }
}

/**
 * The resource a command-line kind names, as kubectl resolves it: plural ("pods"), singular
 * ("pod"), kind ("Pod", any case) or short name ("po"), optionally qualified by group
 * ("deployments.apps") or version and group ("deployments.v1.apps"). Undefined if none.
 */
export function lookupResource(text: string): ResourceName | undefined {
  const lower = text.toLowerCase();
  const [head = '', ...rest] = lower.split('.');
  const qualifier = rest.join('.');
  for (const name of RESOURCE_NAMES) {
    const info = resourceInfo(name);
    const a = ALIASES[name];
    if (name !== head && a.singular !== head && info.kind.toLowerCase() !== head && !a.short.includes(head)) continue;
    if (qualifier === '' || qualifier === info.group || qualifier === `${info.version}.${info.group}` || (info.group === '' && qualifier === info.version)) {
      return name;
    }
  }
  return undefined;
}

/** lookupResource, or UnknownKindError. */
export function resolveResource(text: string): ResourceName {
  const r = isResourceName(text) ? text : lookupResource(text);
  if (!r) throw new UnknownKindError(text);
  return r;
}

/**
 * How kubectl names a resource in messages: singular, qualified by its group
 * ("deployment.apps", "service", "endpointslice.discovery.k8s.io").
 */
export function qualifiedSingular(r: ResourceName): string {
  const { group } = resourceInfo(r);
  const singular = resourceInfo(r).kind.toLowerCase();
  return group ? `${singular}.${group}` : singular;
}

/** `deployment.apps/hello`: the form `-o name`, apply and scale print. */
export function objectRef(r: ResourceName, name: string): string {
  return `${qualifiedSingular(r)}/${name}`;
}

/** One thing a command operates on: a resource and, optionally, names of its objects. */
export interface Target {
  resource: ResourceName;
  names: string[];
}

export class TargetError extends Error {
  override readonly name = 'TargetError';
}

/**
 * Parses kubectl's positional arguments: `KIND[,KIND...] [NAME...]` or `KIND/NAME...`
 * (the two forms may not be mixed). Targets of the same resource are merged in order.
 */
export function parseTargets(args: readonly string[], verb = 'get'): Target[] {
  const noType = `you must specify the type of resource to ${verb}`;
  if (args.length === 0) throw new TargetError(noType);
  const first = args[0]!;
  if (first.includes('/')) {
    const out: Target[] = [];
    for (const a of args) {
      const slash = a.indexOf('/');
      if (slash <= 0 || slash === a.length - 1) throw new TargetError('arguments in resource/name form must have a single resource and name');
      const resource = resolveResource(a.slice(0, slash));
      const name = a.slice(slash + 1);
      const existing = out.find((t) => t.resource === resource);
      if (existing) existing.names.push(name);
      else out.push({ resource, names: [name] });
    }
    return out;
  }
  const names = args.slice(1);
  if (names.some((n) => n.includes('/'))) {
    throw new TargetError(`there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kemu ${verb} resource/<resource_name>' instead of 'kemu ${verb} resource resource/<resource_name>')`);
  }
  const kinds = first.split(',').filter((k) => k !== '');
  if (kinds.length === 0) throw new TargetError(noType);
  const resources: ResourceName[] = [];
  for (const k of kinds) {
    const r = resolveResource(k);
    if (!resources.includes(r)) resources.push(r);
  }
  if (resources.length > 1 && names.length > 0) {
    throw new TargetError('arguments in resource/name form must have a single resource and name');
  }
  return resources.map((resource) => ({ resource, names: [...names] }));
}
