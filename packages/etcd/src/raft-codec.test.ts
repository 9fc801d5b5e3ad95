import { test } from 'node:test';
import assert from 'node:assert/strict';
import { raftpb } from '@kemu/api';
import { MessageType, type Message } from '@kemu/raft';
import { messageFromWire, messageToWire, PeerProtocolError } from './raft-codec.js';

const roundTrip = (m: Message): Message => messageFromWire(raftpb.Message.decode(raftpb.Message.encode(messageToWire(m)).finish()));

test('raft messages survive the peer wire format unchanged', () => {
  const app: Message = {
    type: MessageType.MsgApp,
    to: 2,
    from: 1,
    term: 7,
    logTerm: 6,
    index: 41,
    entries: [
      { term: 7, index: 42, data: Buffer.from('put a=1') },
      { term: 7, index: 43, data: new Uint8Array(0) },
    ],
    commit: 40,
    reject: false,
    rejectHint: 0,
  };
  const back = roundTrip(app);
  assert.equal(back.type, 'MsgApp');
  assert.deepEqual(
    back.entries.map((e) => [e.term, e.index, Buffer.from(e.data).toString()]),
    [
      [7, 42, 'put a=1'],
      [7, 43, ''],
    ],
  );
  assert.deepEqual({ ...back, entries: [] }, { ...app, entries: [] });

  const snap: Message = {
    type: MessageType.MsgSnap,
    to: 3,
    from: 1,
    term: 9,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    snapshot: { metadata: { index: 500, term: 8, voters: [1, 2, 3] }, data: Buffer.from('state') },
    reject: false,
    rejectHint: 0,
  };
  const s = roundTrip(snap).snapshot;
  assert.deepEqual(s?.metadata, { index: 500, term: 8, voters: [1, 2, 3] });
  assert.equal(Buffer.from(s.data).toString(), 'state');

  const resp = roundTrip({ ...app, type: MessageType.MsgAppResp, entries: [], reject: true, rejectHint: 17, context: Buffer.from('ctx') });
  assert.equal(resp.reject, true);
  assert.equal(resp.rejectHint, 17);
  assert.equal(Buffer.from(resp.context!).toString(), 'ctx');
});

test('unknown message types and snapshots without metadata are protocol errors', () => {
  const bad = messageToWire({ type: MessageType.MsgHeartbeat, to: 1, from: 2, term: 1, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0 });
  assert.throws(() => messageFromWire({ ...bad, type: 'MsgEvil' }), PeerProtocolError);
  assert.throws(() => messageFromWire({ ...bad, type: 'MsgSnap', snapshot: { metadata: undefined, data: Buffer.alloc(0) } }), /snapshot without metadata/);
});
