import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EndpointSliceTracker } from './endpoint-slice-tracker.js';
import { ep, slice } from './test-fixtures.js';

describe('EndpointSliceTracker', () => {
  const a1 = slice('ns', 'web', 'web-a', [ep('127.244.1.2')]);
  const a2 = slice('ns', 'web', 'web-a', [ep('127.244.1.2'), ep('127.244.1.3')]);
  const b1 = slice('ns', 'web', 'web-b', [ep('127.244.2.2')]);

  test('keeps current slices per Service (label + namespace), sorted by name', () => {
    const t = new EndpointSliceTracker();
    assert.equal(t.update(undefined, b1), true);
    assert.equal(t.update(undefined, a1), true);
    t.update(undefined, slice('other', 'web', 'web-z', [ep('127.244.3.3')]));
    assert.deepEqual(
      t.slicesFor('ns/web').map((s) => s.metadata?.name),
      ['web-a', 'web-b'],
    );
    assert.deepEqual([...t.drain().keys()].sort(), ['ns/web', 'other/web']);
    t.update(a1, a2);
    const change = t.drain().get('ns/web');
    assert.deepEqual(
      change?.slices.map((s) => s.endpoints?.length),
      [2, 1],
    );
  });

  test('an update without endpoint changes is not pending; a change undone before the sync is dropped', () => {
    const t = new EndpointSliceTracker();
    t.update(undefined, a1);
    t.drain();
    const a1again = slice('ns', 'web', 'web-a', [ep('127.244.1.2')]);
    if (a1again.metadata) a1again.metadata.resourceVersion = '99';
    assert.equal(t.update(a1, a1again), false);
    assert.equal(t.slicesFor('ns/web')[0]?.metadata?.resourceVersion, '99', 'the newest object is kept');
    assert.equal(t.update(a1again, a2), true);
    assert.equal(t.update(a2, a1), false);
    assert.equal(t.drain().size, 0);
    assert.equal(t.update(undefined, b1), true);
    assert.equal(t.update(b1, undefined), false, 'added then deleted');
  });

  test('deleting the last slice leaves the Service pending with no slices', () => {
    const t = new EndpointSliceTracker();
    t.update(undefined, a1);
    t.drain();
    assert.equal(t.update(a1, undefined), true);
    assert.deepEqual(t.drain().get('ns/web')?.slices, []);
  });

  test('non-IPv4 slices and slices without the service-name label are ignored', () => {
    const t = new EndpointSliceTracker();
    assert.equal(t.update(undefined, slice('ns', 'web', 'web-6', [ep('fd00::1')], undefined, { addressType: 'IPv6' })), false);
    const unlabelled = slice('ns', 'web', 'orphan', [ep('127.244.1.2')]);
    if (unlabelled.metadata) unlabelled.metadata.labels = {};
    assert.equal(t.update(undefined, unlabelled), false);
  });

  test('a slice relabelled to another Service moves', () => {
    const t = new EndpointSliceTracker();
    t.update(undefined, a1);
    t.drain();
    const moved = slice('ns', 'api', 'web-a', [ep('127.244.1.2')]);
    assert.equal(t.update(a1, moved), true);
    assert.deepEqual([...t.drain().keys()].sort(), ['ns/api', 'ns/web']);
    assert.deepEqual(t.slicesFor('ns/web'), []);
    assert.equal(t.slicesFor('ns/api').length, 1);
  });

  test('earliest trigger time per Service, ignoring times before the tracker started', () => {
    const t = new EndpointSliceTracker({ startTime: Date.parse('2024-01-01T00:00:00Z') });
    const at = (s: string, endpoints: string[], time: string) =>
      slice('ns', 'web', s, endpoints.map((ip) => ep(ip)), undefined, { annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': time } });
    t.update(undefined, at('web-a', ['127.244.1.2'], '2024-01-01T00:00:05Z'));
    t.update(undefined, at('web-b', ['127.244.1.3'], '2024-01-01T00:00:02.5Z'));
    t.update(undefined, at('web-c', ['127.244.1.4'], '2023-12-31T23:00:00Z'));
    t.update(undefined, slice('ns', 'api', 'api-a', [ep('127.244.1.9')]));
    const changes = t.drain();
    assert.equal(changes.get('ns/web')?.triggerTime, Date.parse('2024-01-01T00:00:02.5Z'));
    assert.equal(changes.get('ns/api')?.triggerTime, undefined);
    t.update(undefined, at('web-d', ['127.244.1.5'], '2024-01-01T00:01:00Z'));
    assert.equal(t.drain().get('ns/web')?.triggerTime, Date.parse('2024-01-01T00:01:00Z'), 'reset by drain');
  });
});
