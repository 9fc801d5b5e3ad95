import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isApiError, KubeClient, Reason, type WatchHandle } from '@kemu/api';
import { blackhole, ControlPlane, eventually, TOKENS } from '../harness/index.js';

// KubeClient with several apiserver endpoints, one of them dead: calls move on to the
// live one and stay there. The dead one is either refused (a process killed on a host
// that is still there) or silent (the whole host gone, as a killed container's IP).
describe('KubeClient fails over from a dead apiserver', () => {
  let cp: ControlPlane;
  let hole: Awaited<ReturnType<typeof blackhole>>;

  before(async () => {
    cp = await ControlPlane.start({ ipPrefix: '127.30.5', apiservers: 1, controllerManagers: 0 });
    hole = await blackhole();
  });
  after(async () => {
    hole?.close();
    await cp?.destroy();
  });

  test('every watch on an apiserver that died fails over once, not once each (which could lead back to it)', async () => {
    const live = cp.apiserverEndpoints()[0]!;
    // Nothing listens on the first endpoint: each call there is refused at once.
    const client = new KubeClient({ endpoints: ['127.30.5.99:6443', live], token: TOKENS.admin, timeoutMs: 5_000 });
    try {
      const failed = await Promise.all(
        (['services', 'endpointslices', 'nodes', 'pods'] as const).map((r) => client.watch(r, {}, () => undefined).done.then(() => 'ended', (e: unknown) => e)),
      );
      assert.ok(failed.every((e) => isApiError(e, Reason.ServiceUnavailable)), String(failed));
      assert.equal(client.endpoint(), live, 'four failures on the dead endpoint moved the client on to the live one');
      const events: string[] = [];
      const w: WatchHandle = client.watch('namespaces', { sendInitialEvents: true, allowWatchBookmarks: true, resourceVersion: '' }, (e) => events.push(e.type));
      await client.create('namespaces', { metadata: { name: 'failover-check' } });
      await eventually(() => assert.ok(events.includes('ADDED'), 'the next watch is served by the live apiserver'), 5_000, 50);
      w.close();
    } finally {
      client.close();
    }
  });

  test('a call that waited its whole deadline on a silent endpoint sends the next call to another', async () => {
    const live = cp.apiserverEndpoints()[0]!;
    const client = new KubeClient({ endpoints: [hole.endpoint, live], token: TOKENS.admin, timeoutMs: 1_000 });
    try {
      await assert.rejects(client.get('namespaces', '', 'default'), (e) => isApiError(e, Reason.Timeout));
      assert.equal((await client.get('namespaces', '', 'default')).metadata?.name, 'default');
      assert.equal(client.endpoint(), live);
    } finally {
      client.close();
    }
  });
});
