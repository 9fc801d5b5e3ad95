import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiError, Reason, type KubeClient } from '@kemu/api';
import { createLogger } from '@kemu/common';
import { KubeDnsRegistration } from './register.js';

type Obj = { metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } };

/**
 * An object store answering the five calls the registration makes, with a gate that can
 * hold a Lease read in flight: enough to place SIGTERM exactly inside a renewal.
 */
class Store {
  readonly objects = new Map<string, Obj>();
  holdLeaseReads = false;
  private held: (() => void)[] = [];
  private onHeld: (() => void) | undefined;

  private key(resource: string, ns: string, name: string): string {
    return `${resource}/${ns}/${name}`;
  }
  leaseReadHeld(): Promise<void> {
    return new Promise((resolve) => (this.onHeld = resolve));
  }
  release(): void {
    this.holdLeaseReads = false;
    for (const r of this.held.splice(0)) r();
  }
  client(): KubeClient {
    const notFound = (r: string, n: string): Error => apiError(Reason.NotFound, `${r} "${n}" not found`);
    const api = {
      get: async (resource: string, ns: string, name: string) => {
        if (resource === 'leases' && this.holdLeaseReads) {
          await new Promise<void>((resolve) => {
            this.held.push(resolve);
            this.onHeld?.();
          });
        }
        const o = this.objects.get(this.key(resource, ns, name));
        if (!o) throw notFound(resource, name);
        return structuredClone(o);
      },
      list: async (resource: string, opts: { namespace?: string }) => ({
        items: [...this.objects].filter(([k]) => k.startsWith(`${resource}/${opts.namespace}/`)).map(([, o]) => structuredClone(o)),
      }),
      create: async (resource: string, o: Obj) => {
        const k = this.key(resource, o.metadata?.namespace ?? '', o.metadata?.name ?? '');
        if (this.objects.has(k)) throw apiError(Reason.AlreadyExists, `${resource} "${o.metadata?.name}" already exists`);
        if (resource === 'services') (o as { spec?: { clusterIP?: string } }).spec!.clusterIP ??= '10.96.0.10';
        this.objects.set(k, structuredClone(o));
        return o;
      },
      update: async (resource: string, o: Obj) => {
        const k = this.key(resource, o.metadata?.namespace ?? '', o.metadata?.name ?? '');
        if (!this.objects.has(k)) throw notFound(resource, o.metadata?.name ?? '');
        this.objects.set(k, structuredClone(o));
        return o;
      },
      delete: async (resource: string, ns: string, name: string) => {
        if (!this.objects.delete(this.key(resource, ns, name))) throw notFound(resource, name);
        return {};
      },
    };
    return api as unknown as KubeClient;
  }
}

const LEASE = 'leases/kube-system/kube-dns-127-0-0-53-1053';

test('a SIGTERM that lands inside a Lease renewal does not bring the Lease back', async () => {
  const store = new Store();
  store.objects.set('services/default/kubernetes', { metadata: { name: 'kubernetes', namespace: 'default' }, spec: { clusterIP: '10.96.0.1' } } as Obj);
  const reg = new KubeDnsRegistration(store.client(), createLogger('kube-dns-registration-test'), { host: '127.0.0.53', port: 1053, leaseSeconds: 3 });
  await reg.start(() => true);
  assert.ok(store.objects.has(LEASE), 'the first round creates the Lease');
  assert.deepEqual(
    (store.objects.get('endpointslices/kube-system/kube-dns-kemu-1053') as { endpoints?: { addresses: string[] }[] }).endpoints?.map((e) => e.addresses),
    [['127.0.0.53']],
  );

  // The next round (a second later) reads the Lease and is held there; SIGTERM comes;
  // then the read returns.
  store.holdLeaseReads = true;
  await store.leaseReadHeld();
  const stopped = reg.stop();
  store.release();
  await stopped;

  assert.equal(store.objects.has(LEASE), false, 'the Lease stayed deleted after the renewal in flight finished');
  assert.equal(store.objects.has('endpointslices/kube-system/kube-dns-kemu-1053'), false, 'and the replica left the endpoints');
});
