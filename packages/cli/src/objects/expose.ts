import type { core, Deployment, Pod, ReplicaSet, Service, ServicePort } from '@kemu/api';

export const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer'] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

/** What the user asked `kemu expose` for. */
export interface ExposeOptions {
  /** --name (default: the exposed object's name) */
  name?: string;
  /** --port; when absent, the container ports of the template are used */
  port?: number;
  /** --target-port: a number or a container port's name (default: the port) */
  targetPort?: number | string;
  type?: ServiceType;
  /** --protocol (default: the container port's, else TCP) */
  protocol?: 'TCP' | 'UDP';
  /** --selector `k=v,k2=v2` (default: the exposed object's selector) */
  selector?: Record<string, string>;
}

/** What can be exposed: the object and the pod template or pod whose ports to use. */
export type Exposable =
  | { resource: 'deployments'; object: Deployment }
  | { resource: 'replicasets'; object: ReplicaSet }
  | { resource: 'pods'; object: Pod }
  | { resource: 'services'; object: Service };

export class ExposeError extends Error {
  override readonly name = 'ExposeError';
}

/**
 * The Service `kubectl expose` would make for an object: the object's selector
 * (a Deployment's or ReplicaSet's matchLabels, a Pod's labels, a Service's selector), the
 * object's labels, and either the one port asked for or one port per container port
 * (named port-1, port-2... when there are several), targetPort defaulting to the port.
 */
export function serviceForExpose(target: Exposable, o: ExposeOptions, namespace: string): Service {
  const meta = target.object.metadata ?? {};
  const name = o.name ?? meta.name ?? '';
  const selector = o.selector ?? selectorOf(target);
  const containerPorts = containerPortsOf(target);
  let ports: ServicePort[];
  if (o.port !== undefined) {
    const protocol = o.protocol ?? containerPorts[0]?.protocol ?? 'TCP';
    ports = [{ port: o.port, protocol, targetPort: o.targetPort ?? o.port }];
  } else if (target.resource === 'services') {
    ports = (target.object.spec?.ports ?? []).map((p) => ({
      ...(p.name ? { name: p.name } : {}),
      port: p.port ?? 0,
      protocol: o.protocol ?? p.protocol ?? 'TCP',
      targetPort: o.targetPort ?? p.port ?? 0,
    }));
  } else {
    ports = containerPorts.map((p, i) => ({
      ...(containerPorts.length > 1 ? { name: `port-${i + 1}` } : {}),
      port: p.containerPort ?? 0,
      protocol: o.protocol ?? p.protocol ?? 'TCP',
      targetPort: o.targetPort ?? p.containerPort ?? 0,
    }));
  }
  if (ports.length === 0) throw new ExposeError("couldn't find port via --port flag or introspection");
  const svc: Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, ...(meta.labels && Object.keys(meta.labels).length ? { labels: { ...meta.labels } } : {}) },
    spec: { ports, selector, ...(o.type ? { type: o.type } : {}) },
  };
  return svc;
}

function selectorOf(t: Exposable): Record<string, string> {
  let sel: Record<string, string> | undefined;
  switch (t.resource) {
    case 'deployments':
    case 'replicasets': {
      const s = t.object.spec?.selector;
      if (s?.matchExpressions?.length) {
        throw new ExposeError(`couldn't retrieve selectors via --selector flag or introspection: the ${t.resource === 'deployments' ? 'deployment' : 'replicaset'}'s selector has matchExpressions, which a Service selector cannot express (pass --selector)`);
      }
      sel = s?.matchLabels;
      break;
    }
    case 'pods':
      sel = t.object.metadata?.labels;
      break;
    case 'services':
      sel = t.object.spec?.selector;
      break;
  }
  if (!sel || Object.keys(sel).length === 0) throw new ExposeError("couldn't retrieve selectors via --selector flag or introspection: the object has no selector, so it cannot be exposed");
  return { ...sel };
}

function containerPortsOf(t: Exposable): core.ContainerPort[] {
  const spec = t.resource === 'pods' ? t.object.spec : t.resource === 'services' ? undefined : t.object.spec?.template?.spec;
  return (spec?.containers ?? []).flatMap((c) => c.ports ?? []);
}

/** `--selector app=web,tier=front` as a map; throws on anything but k=v terms. */
export function parseSelectorMap(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const term of text.split(',')) {
    const m = /^\s*([^=!\s]+)\s*==?\s*([^=\s]*)\s*$/.exec(term);
    if (!m) throw new ExposeError(`--selector: want key=value[,key=value...], got ${JSON.stringify(text)}`);
    out[m[1]!] = m[2]!;
  }
  return out;
}
