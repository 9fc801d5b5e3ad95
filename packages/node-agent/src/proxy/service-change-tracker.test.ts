import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ServiceChangeTracker } from './service-change-tracker.js';
import { svc } from './test-fixtures.js';

describe('ServiceChangeTracker', () => {
  const v1 = svc('ns', 'web', { ports: [{ name: 'http', port: 80 }] });
  const v2 = svc('ns', 'web', { ports: [{ name: 'http', port: 81 }] });
  const v3 = svc('ns', 'web', { ports: [{ name: 'http', port: 82 }] });

  test('keeps the first previous and the latest current', () => {
    const t = new ServiceChangeTracker();
    assert.equal(t.update(v1, v2), true);
    assert.equal(t.update(v2, v3), true);
    const changes = t.drain();
    assert.deepEqual([...changes.keys()], ['ns/web']);
    const c = changes.get('ns/web');
    assert.deepEqual(c?.previous.map((p) => p.port), [80]);
    assert.deepEqual(c?.current.map((p) => p.port), [82]);
    assert.equal(t.size, 0);
    assert.equal(t.drain().size, 0);
  });

  test('a change that returns to the original is dropped', () => {
    const t = new ServiceChangeTracker();
    assert.equal(t.update(v1, v2), true);
    assert.equal(t.update(v2, v1), false);
    assert.equal(t.drain().size, 0);
    assert.equal(t.update(undefined, v1), true);
    assert.equal(t.update(v1, undefined), false, 'add then delete');
  });

  test('changes that do not affect proxying are not pending', () => {
    const t = new ServiceChangeTracker();
    const labelled = svc('ns', 'web', { ports: [{ name: 'http', port: 80 }] });
    if (labelled.metadata) labelled.metadata.labels = { app: 'web' };
    assert.equal(t.update(v1, labelled), false);
  });

  test('reports whether anything is pending, not just this Service', () => {
    const t = new ServiceChangeTracker();
    assert.equal(t.update(undefined, svc('ns', 'a')), true);
    assert.equal(t.update(v1, v2), true);
    assert.equal(t.update(v2, v1), true, 'ns/a still pending');
    assert.deepEqual([...t.drain().keys()], ['ns/a']);
  });

  test('deletion leaves an empty current', () => {
    const t = new ServiceChangeTracker();
    t.update(v1, undefined);
    assert.deepEqual(t.drain().get('ns/web')?.current, []);
  });
});
