import { MessageType, type Entry, type HardState, type Message, type Ready, type Snapshot, type SoftState } from './types.js';

/**
 * Deterministic one-line renderings of Raft values, for logs and test transcripts.
 * Formats follow etcd-io/raft's describe helpers loosely, e.g.
 * `1->2 MsgApp Term:2 Log:1/3 Commit:3 Entries:[2/4 "x"]`.
 */

const decoder = new TextDecoder('utf-8', { fatal: false });

/** Printable data: quoted text when it is plain ASCII, hex otherwise. */
export function describeData(data: Uint8Array): string {
  if (data.every((b) => b >= 0x20 && b < 0x7f)) return JSON.stringify(decoder.decode(data));
  let s = '0x';
  for (const b of data) s += b.toString(16).padStart(2, '0');
  return s;
}

export function describeEntry(e: Entry): string {
  return e.data.length === 0 ? `${e.term}/${e.index} EntryNormal ""` : `${e.term}/${e.index} EntryNormal ${describeData(e.data)}`;
}

export function describeEntries(ents: Entry[]): string {
  return ents.map(describeEntry).join(', ');
}

export function describeHardState(hs: HardState): string {
  return `HardState Term:${hs.term} Vote:${hs.vote} Commit:${hs.commit}`;
}

export function describeSoftState(ss: SoftState): string {
  return `Lead:${ss.lead} State:${ss.role}`;
}

export function describeSnapshot(s: Snapshot): string {
  return `Index:${s.metadata.index} Term:${s.metadata.term} Voters:[${s.metadata.voters.join(',')}]`;
}

export function describeMessage(m: Message): string {
  let s = `${m.from}->${m.to} ${m.type} Term:${m.term} Log:${m.logTerm}/${m.index}`;
  if (m.reject) s += ` Rejected (Hint: ${m.rejectHint})`;
  if (m.commit !== 0) s += ` Commit:${m.commit}`;
  if (m.context !== undefined && m.context.length > 0) s += ` Context:${describeData(m.context)}`;
  if (m.entries.length > 0) {
    if (m.type === MessageType.MsgReadIndex || m.type === MessageType.MsgReadIndexResp) {
      s += ` Ctx:${describeData(m.entries[0]!.data)}`;
    } else {
      s += ` Entries:[${describeEntries(m.entries)}]`;
    }
  }
  if (m.snapshot !== undefined) s += ` Snapshot: ${describeSnapshot(m.snapshot)}`;
  return s;
}

/** Multi-line rendering of a Ready, one section per non-empty field. */
export function describeReady(rd: Ready): string {
  const lines: string[] = [];
  if (rd.softState !== undefined) lines.push(describeSoftState(rd.softState));
  if (rd.hardState !== undefined) lines.push(describeHardState(rd.hardState));
  if (rd.readStates.length > 0) {
    lines.push('ReadStates:');
    for (const rs of rd.readStates) lines.push(`  Index:${rs.index} Ctx:${describeData(rs.requestCtx)}`);
  }
  if (rd.entries.length > 0) {
    lines.push('Entries:');
    for (const e of rd.entries) lines.push(`  ${describeEntry(e)}`);
  }
  if (rd.snapshot !== undefined) lines.push(`Snapshot ${describeSnapshot(rd.snapshot)}`);
  if (rd.committedEntries.length > 0) {
    lines.push('CommittedEntries:');
    for (const e of rd.committedEntries) lines.push(`  ${describeEntry(e)}`);
  }
  if (rd.messages.length > 0) {
    lines.push('Messages:');
    for (const m of rd.messages) lines.push(`  ${describeMessage(m)}`);
  }
  return `Ready MustSync=${rd.mustSync}:\n${lines.join('\n')}`;
}
