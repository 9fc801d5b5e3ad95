import type { KubeClient, Pod } from '@kemu/api';

/** What a Service's EndpointSlices say, flattened: ready addresses, and every address. */
export async function sliceAddresses(client: KubeClient, namespace: string, service: string): Promise<{ ready: string[]; all: string[] }> {
  const slices = await client.list('endpointslices', { namespace, labelSelector: `kubernetes.io/service-name=${service}` });
  const ready: string[] = [];
  const all: string[] = [];
  for (const s of slices.items) {
    for (const e of s.endpoints ?? []) {
      for (const a of e.addresses ?? []) {
        all.push(a);
        if (e.conditions?.ready) ready.push(a);
      }
    }
  }
  return { ready: ready.sort(), all: all.sort() };
}

export function isReady(p: Pod): boolean {
  return !p.metadata?.deletionTimestamp && p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

/** IPs of the pods matching `selector` that are Ready and not terminating. */
export async function readyPodIPs(client: KubeClient, namespace: string, selector: string): Promise<string[]> {
  const pods = await client.list('pods', { namespace, labelSelector: selector });
  return pods.items.filter((p) => isReady(p) && p.status?.podIP).map((p) => p.status!.podIP!).sort();
}
