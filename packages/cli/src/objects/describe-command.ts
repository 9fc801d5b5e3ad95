import { isApiError, Reason, resourceInfo, selectorFromLabelSelector, type ResourceName, type ResourceTypes } from '@kemu/api';
import { formatApiError } from './api-errors.js';
import {
  describeDeployment,
  describeEndpoints,
  describeGeneric,
  describeNamespace,
  describeNode,
  describePod,
  describeReplicaSet,
  describeService,
  type DescribeClock,
} from './describe.js';
import { parseTargets } from './kinds.js';
import { warn, withSession, type ConnectionFlags, type Session } from './session.js';

export interface DescribeFlags extends ConnectionFlags {
  selector?: string;
  allNamespaces?: boolean;
}

type AnyObject = ResourceTypes[ResourceName];

/**
 * `kemu describe KIND [NAME...]`: a readable description of each object, with what is
 * related to it (a Service's endpoints, a Deployment's ReplicaSets, a Node's pods and
 * Lease). As kubectl, a name that matches no object describes the objects whose names
 * start with it (`kemu describe pod hello` describes the pods of Deployment hello);
 * without names, every object of the kind (in the namespace, or matching -l).
 */
export async function runDescribe(args: string[], flags: DescribeFlags): Promise<void> {
  await withSession(flags, async (s) => {
    const targets = parseTargets(args, 'describe');
    let failed = false;
    const texts: string[] = [];
    for (const t of targets) {
      const namespace = flags.allNamespaces || !resourceInfo(t.resource).namespaced ? '' : s.namespace;
      let objects: AnyObject[] = [];
      if (t.names.length === 0) {
        objects = (await s.client.list(t.resource, { namespace, labelSelector: flags.selector })).items;
      } else {
        for (const name of t.names) {
          try {
            objects.push(await s.client.get(t.resource, namespace, name));
          } catch (err) {
            if (!isApiError(err, Reason.NotFound)) throw err;
            const prefixed = (await s.client.list(t.resource, { namespace })).items.filter((o) => (o.metadata?.name ?? '').startsWith(name));
            if (prefixed.length === 0) {
              warn(formatApiError(err));
              failed = true;
            }
            objects.push(...prefixed);
          }
        }
      }
      for (const o of objects) texts.push(await describeOne(s, t.resource, o));
    }
    if (texts.length === 0 && !failed) {
      const namespaced = targets.some((t) => resourceInfo(t.resource).namespaced) && !flags.allNamespaces;
      warn(namespaced ? `No resources found in ${s.namespace} namespace.` : 'No resources found');
    }
    process.stdout.write(texts.join('\n\n'));
    if (failed) process.exitCode = 1;
  });
}

/** Fetches what the description of one object shows besides the object, and describes it. */
async function describeOne(s: Session, r: ResourceName, o: AnyObject): Promise<string> {
  const clock: DescribeClock = { now: Date.now(), tzOffsetMinutes: -new Date().getTimezoneOffset() };
  const ns = o.metadata?.namespace ?? '';
  const name = o.metadata?.name ?? '';
  const getOrUndefined = async <T>(get: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await get();
    } catch (err) {
      if (isApiError(err, Reason.NotFound)) return undefined;
      throw err;
    }
  };
  switch (r) {
    case 'pods':
      return describePod(o as ResourceTypes['pods'], clock);
    case 'services':
      return describeService(o as ResourceTypes['services'], await getOrUndefined(() => s.client.get('endpoints', ns, name)));
    case 'deployments':
      return describeDeployment(o as ResourceTypes['deployments'], (await s.client.list('replicasets', { namespace: ns })).items, clock);
    case 'replicasets': {
      const rs = o as ResourceTypes['replicasets'];
      const selector = selectorFromLabelSelector(rs.spec?.selector).toString();
      const pods = selector ? (await s.client.list('pods', { namespace: ns, labelSelector: selector })).items : [];
      return describeReplicaSet(rs, pods, clock);
    }
    case 'nodes': {
      const pods = (await s.client.list('pods', { fieldSelector: `spec.nodeName=${name}` })).items;
      const lease = await getOrUndefined(() => s.client.get('leases', 'kube-node-lease', name));
      return describeNode(o as ResourceTypes['nodes'], pods, lease, clock);
    }
    case 'endpoints':
      return describeEndpoints(o);
    case 'namespaces':
      return describeNamespace(o as ResourceTypes['namespaces']);
    case 'endpointslices':
    case 'leases':
      return describeGeneric(r, o);
  }
}
