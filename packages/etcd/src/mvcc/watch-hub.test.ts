import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EmptyWatcherRangeError, MvccStore, WatchHub, WatcherDuplicateIdError, type Event, type WatchOutput } from './index.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** A store and hub wired like the driver: every write is followed by notify. */
function setup() {
  const store = new MvccStore();
  const hub = new WatchHub(store);
  const sent: WatchOutput[] = [];
  const write = (events: Event[], revision: number): void => {
    sent.push(...hub.notify(events, revision));
  };
  const put = (k: string, v: string): void => {
    const r = store.put({ key: b(k), value: b(v) });
    write(r.events, r.revision);
  };
  const del = (k: string): void => {
    const r = store.deleteRange({ key: b(k) });
    write(r.events, r.revision);
  };
  return { store, hub, sent, put, del, write };
}

/** Compact textual view of outputs: "w<id>@<rev>: PUT a=1 DELETE b". */
function show(outs: readonly WatchOutput[]): string[] {
  return outs.map((o) => {
    switch (o.kind) {
      case 'events':
        return `w${o.watchId}@${o.revision}: ${o.events
          .map((e) => `${e.type} ${e.kv.key.toString()}${e.type === 'PUT' ? '=' + e.kv.value.toString() : ''}${e.prevKv ? ` (prev ${e.prevKv.value.toString()})` : ''}`)
          .join(' ')}`;
      case 'compacted':
        return `w${o.watchId} compacted@${o.compactRevision}`;
      case 'progress':
        return `w${o.watchId} progress@${o.revision}`;
    }
  });
}

describe('WatchHub', () => {
  test('a watcher from now gets later events of its key only; ids auto-assign from 0', () => {
    const { hub, sent, put, del } = setup();
    put('a', '0');
    const r = hub.create('s1', { key: b('a') });
    assert.deepEqual(r, { kind: 'registered', watchId: 0, headerRevision: 2 });
    assert.equal(hub.create('s1', { key: b('zz') }).watchId, 1);
    put('a', '1');
    put('b', '1');
    del('a');
    assert.deepEqual(show(sent), ['w0@3: PUT a=1', 'w0@5: DELETE a']);
    assert.equal(hub.hasUnsynced(), false);
  });

  test('range and from-key watchers; empty key means [0x00]', () => {
    const { hub, sent, put } = setup();
    hub.create('s', { key: b('b'), rangeEnd: b('d') });
    hub.create('s', { key: b('c'), rangeEnd: Buffer.from([0]) });
    hub.create('s', { key: Buffer.alloc(0), rangeEnd: Buffer.from([0]) });
    put('a', '1');
    put('c', '1');
    put('z', '1');
    assert.deepEqual(show(sent), ['w2@2: PUT a=1', 'w0@3: PUT c=1', 'w1@3: PUT c=1', 'w2@3: PUT c=1', 'w1@4: PUT z=1', 'w2@4: PUT z=1']);
  });

  test('a txn revision is delivered as one response', () => {
    const { store, hub, sent, write } = setup();
    hub.create('s', { key: b('a'), rangeEnd: b('z') });
    const r = store.txn({ success: [{ type: 'put', request: { key: b('a'), value: b('1') } }, { type: 'put', request: { key: b('b'), value: b('2') } }] });
    write(r.events, r.revision);
    assert.deepEqual(show(sent), ['w0@2: PUT a=1 PUT b=2']);
  });

  test('filters and prevKv', () => {
    const { hub, sent, put, del } = setup();
    put('a', '1');
    hub.create('s', { key: b('a'), filters: ['NOPUT'] });
    hub.create('s', { key: b('a'), filters: ['NODELETE'], prevKv: true });
    put('a', '2');
    del('a');
    put('a', '3');
    assert.deepEqual(show(sent), ['w1@3: PUT a=2 (prev 1)', 'w0@4: DELETE a', 'w1@5: PUT a=3']);
  });

  test('catch-up from a past revision, then live', () => {
    const { hub, sent, put, del } = setup();
    put('a', '1'); // 2
    put('a', '2'); // 3
    del('a'); // 4
    const r = hub.create('s', { key: b('a'), startRevision: 3, prevKv: true });
    assert.equal(r.kind, 'registered');
    assert.equal(hub.hasUnsynced(), true);
    assert.deepEqual(show(hub.sync()), ['w0@4: PUT a=2 (prev 1) DELETE a (prev 2)']);
    assert.equal(hub.hasUnsynced(), false);
    put('a', '3');
    assert.deepEqual(show(sent.slice(-1)), ['w0@5: PUT a=3']);
  });

  test('catch-up is bounded to WATCH_BATCH_MAX_REVS revisions per call and never splits a revision', () => {
    const { store, hub } = setup();
    for (let i = 0; i < 2500; i++) store.txn({ success: [{ type: 'put', request: { key: b('k1'), value: b(String(i)) } }, { type: 'put', request: { key: b('k2'), value: b(String(i)) } }] });
    hub.create('s', { key: b('k'), rangeEnd: b('l'), startRevision: 2 });
    const batches: WatchOutput[][] = [];
    while (hub.hasUnsynced()) batches.push(hub.sync());
    const sizes = batches.map((outs) => outs.map((o) => (o.kind === 'events' ? o.events.length : -1)));
    assert.deepEqual(sizes, [[2000], [2000], [1000]]);
    const first = batches[0]![0]!;
    const last = batches[2]![0]!;
    assert.ok(first.kind === 'events' && last.kind === 'events');
    assert.equal(first.events.at(-1)!.kv.modRevision, 1001);
    assert.equal(last.events.at(-1)!.kv.modRevision, 2501);
    assert.equal(last.revision, 2501);
  });

  test('a synced-in-the-future watcher waits for its start revision', () => {
    const { hub, sent, put } = setup();
    hub.create('s', { key: b('a'), startRevision: 4 });
    put('a', '1'); // 2
    put('a', '2'); // 3
    put('a', '3'); // 4
    assert.deepEqual(show(sent), ['w0@4: PUT a=3']);
  });

  test('creating below the compact revision reports compaction; the id stays taken', () => {
    const { store, hub, put } = setup();
    put('a', '1');
    put('a', '2');
    put('a', '3'); // 4
    store.compact({ revision: 3 });
    const r = hub.create('s', { key: b('a'), startRevision: 2, watchId: 5 });
    assert.equal(r.kind, 'compacted');
    assert.ok(r.kind === 'compacted');
    assert.equal(r.compactRevision, 3);
    assert.deepEqual(show([r.output]), ['w5 compacted@3']);
    assert.throws(() => hub.create('s', { key: b('a'), watchId: 5 }), WatcherDuplicateIdError);
    assert.equal(hub.cancel('s', 5), true);
    // start == compact revision is still readable
    assert.equal(hub.create('s', { key: b('a'), startRevision: 3 }).kind, 'registered');
    assert.deepEqual(show(hub.sync()), ['w0@4: PUT a=2 PUT a=3']);
  });

  test('compaction while catching up cancels the watcher at the next sync', () => {
    const { store, hub, put } = setup();
    put('a', '1');
    put('a', '2');
    hub.create('s', { key: b('a'), startRevision: 2 });
    store.compact({ revision: 3 });
    assert.deepEqual(show(hub.sync()), ['w0 compacted@3']);
    assert.equal(hub.hasUnsynced(), false);
  });

  test('invalid ranges and duplicate ids are rejected', () => {
    const { hub } = setup();
    assert.throws(() => hub.create('s', { key: b('b'), rangeEnd: b('a') }), (e: unknown) => e instanceof EmptyWatcherRangeError && e.message === 'mvcc: watcher range is empty');
    hub.create('s', { key: b('a'), watchId: 3 });
    assert.throws(() => hub.create('s', { key: b('a'), watchId: 3 }), (e: unknown) => e instanceof WatcherDuplicateIdError && e.message === 'mvcc: duplicate watch ID provided on the WatchStream');
    assert.equal(hub.create('t', { key: b('a'), watchId: 3 }).watchId, 3, 'ids are per stream');
  });

  test('cancel and cancelStream stop delivery', () => {
    const { hub, sent, put } = setup();
    hub.create('s1', { key: b('a') });
    hub.create('s1', { key: b('a'), rangeEnd: b('b') });
    hub.create('s2', { key: b('a') });
    assert.equal(hub.cancel('s1', 0), true);
    assert.equal(hub.cancel('s1', 0), false);
    hub.cancelStream('s2');
    put('a', '1');
    assert.deepEqual(sent.map((o) => [o.streamId, o.watchId]), [['s1', 1]]);
  });

  test('progress: only synced watchers report; ticks skip watchers that just got events', () => {
    const { hub, put } = setup();
    hub.create('s', { key: b('a'), progressNotify: true });
    hub.create('s', { key: b('b'), progressNotify: true });
    put('a', '1');
    put('x', '1'); // 3
    assert.deepEqual(show(hub.progressTick()), ['w1 progress@3']);
    assert.deepEqual(show(hub.progressTick()), ['w0 progress@3', 'w1 progress@3']);
    hub.create('s', { key: b('a'), startRevision: 2 }); // unsynced
    assert.deepEqual(hub.requestProgress('s', 2), []);
    assert.deepEqual(show(hub.requestProgress('s', 0)), ['w0 progress@3']);
    assert.deepEqual(show([hub.requestProgressAll('s')]), ['w-1 progress@3']);
  });

  test('after restore from a snapshot, watchers catch up from the new store', () => {
    const { store, hub, sent, put } = setup();
    hub.create('s', { key: b('a') });
    put('a', '1');
    const other = MvccStore.restore(store.serialize());
    other.put({ key: b('a'), value: b('2') }); // 3, applied while this member was away
    hub.restore(other);
    assert.equal(hub.hasUnsynced(), true);
    assert.deepEqual(show([...sent, ...hub.sync()]), ['w0@2: PUT a=1', 'w0@3: PUT a=2']);
  });
});

describe('slow streams', () => {
  test('a paused stream gets nothing, costs nothing, and catches up in order after resuming', () => {
    const { hub, sent, put, del } = setup();
    hub.create('slow', { key: b('a'), rangeEnd: b('b') });
    hub.create('fast', { key: b('a'), rangeEnd: b('b') });
    put('a1', 'x');
    assert.deepEqual(show(sent.splice(0)), ['w0@2: PUT a1=x', 'w0@2: PUT a1=x']);
    hub.pauseStream('slow');
    put('a2', 'y');
    del('a1');
    assert.deepEqual(show(sent.splice(0)), ['w0@3: PUT a2=y', 'w0@4: DELETE a1'], 'only the fast stream hears');
    assert.equal(hub.hasUnsynced(), false, 'a paused stream gives sync() nothing to do');
    assert.deepEqual(hub.sync(), []);
    hub.resumeStream('slow');
    assert.equal(hub.hasUnsynced(), true);
    const caughtUp = hub.sync();
    assert.deepEqual(show(caughtUp), ['w0@4: PUT a2=y DELETE a1']);
    assert.ok(caughtUp.every((o) => o.streamId === 'slow'));
    put('a3', 'z');
    assert.deepEqual(show(sent.splice(0)), ['w0@5: PUT a3=z', 'w0@5: PUT a3=z'], 'both streams are live again, no duplicates');
  });

  test('a paused stream that falls behind a compaction is told so on resume', () => {
    const { store, hub, sent, put } = setup();
    hub.create('slow', { key: b('k') });
    hub.pauseStream('slow');
    put('k', '1');
    put('k', '2');
    store.compact({ revision: 3 });
    hub.resumeStream('slow');
    assert.deepEqual(show(hub.sync()), ['w0 compacted@3']);
    assert.deepEqual(sent, []);
  });
});
