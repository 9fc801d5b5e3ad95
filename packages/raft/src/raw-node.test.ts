import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrStepLocalMsg, ErrStepPeerNotFound, ProposalDroppedError } from './errors.js';
import { RawNode } from './raw-node.js';
import { MemoryStorage } from './storage.js';
import { MessageType, newMessage, type Ready } from './types.js';

const enc = new TextEncoder();

function persist(s: MemoryStorage, rd: Ready): void {
  if (rd.snapshot !== undefined) s.applySnapshot(rd.snapshot);
  s.append(rd.entries);
  if (rd.hardState !== undefined) s.setHardState(rd.hardState);
}

describe('RawNode', () => {
  test('a single voter elects itself and commits its proposals', () => {
    const storage = new MemoryStorage();
    const rn = new RawNode({ id: 1, voters: [1], electionTick: 10, heartbeatTick: 1, storage, random: () => 0 });
    rn.campaign();
    let rd = rn.ready();
    assert.equal(rd.softState?.role, 'leader');
    assert.equal(rd.mustSync, true);
    assert.deepEqual(rd.entries.map((e) => e.index), [1]);
    assert.deepEqual(rd.committedEntries.map((e) => e.index), [1]);
    persist(storage, rd);
    rn.advance(rd);
    rn.propose(enc.encode('x'));
    rd = rn.ready();
    assert.equal(rd.committedEntries.length, 1);
    assert.equal(new TextDecoder().decode(rd.committedEntries[0]!.data), 'x');
    persist(storage, rd);
    rn.advance(rd);
    assert.equal(rn.hasReady(), false);
    assert.equal(rn.status().applied, 2);
  });

  test('rejects local messages and responses from non-members', () => {
    const rn = new RawNode({ id: 1, voters: [1, 2, 3], electionTick: 10, heartbeatTick: 1, storage: new MemoryStorage(), random: () => 0 });
    assert.throws(() => rn.step(newMessage({ type: MessageType.MsgHup, from: 1, to: 1 })), ErrStepLocalMsg);
    assert.throws(() => rn.step(newMessage({ type: MessageType.MsgAppResp, from: 9, to: 1, term: 1 })), ErrStepPeerNotFound);
  });

  test('proposals without a leader throw ProposalDroppedError', () => {
    const rn = new RawNode({ id: 1, voters: [1, 2, 3], electionTick: 10, heartbeatTick: 1, storage: new MemoryStorage(), random: () => 0 });
    assert.throws(() => rn.propose(enc.encode('x')), ProposalDroppedError);
  });

  test('ready() twice without advance() is a driver bug', () => {
    const rn = new RawNode({ id: 1, voters: [1], electionTick: 10, heartbeatTick: 1, storage: new MemoryStorage(), random: () => 0 });
    rn.campaign();
    rn.ready();
    assert.throws(() => rn.ready());
  });

  test('randomized election timeout lies in [electionTick, 2*electionTick)', () => {
    for (const r of [0, 0.5, 0.999999]) {
      const rn = new RawNode({ id: 1, voters: [1, 2, 3], electionTick: 10, heartbeatTick: 1, storage: new MemoryStorage(), random: () => r });
      let ticks = 0;
      while (rn.status().role === 'follower') {
        rn.tick();
        ticks++;
      }
      assert.ok(ticks >= 10 && ticks < 20, `campaigned after ${ticks} ticks with random=${r}`);
      assert.equal(ticks, 10 + Math.floor(r * 10));
    }
  });

  test('restart from storage keeps term, vote and log; applied resumes at the snapshot', () => {
    const storage = new MemoryStorage();
    storage.append([
      { term: 1, index: 1, data: new Uint8Array(0) },
      { term: 2, index: 2, data: enc.encode('a') },
      { term: 2, index: 3, data: enc.encode('b') },
    ]);
    storage.createSnapshot(2, [1, 2, 3], enc.encode('sm@2'));
    storage.compact(2);
    storage.setHardState({ term: 2, vote: 3, commit: 1 }); // commit update lost in a crash
    const rn = new RawNode({ id: 1, voters: [], electionTick: 10, heartbeatTick: 1, storage, applied: 2, random: () => 0 });
    const st = rn.status();
    assert.equal(st.term, 2);
    assert.equal(st.vote, 3);
    assert.equal(st.commit, 2, 'the snapshot index is committed');
    assert.equal(st.applied, 2);
  });
});
