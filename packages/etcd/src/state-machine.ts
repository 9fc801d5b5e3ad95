import { status } from '@grpc/grpc-js';
import { etcdinternal, etcdserverpb } from '@kemu/api';
import type { Logger } from '@kemu/common';
import type { Entry } from '@kemu/raft';
import { EtcdError, Errors } from './errors.js';
import { Lessor, MAX_LEASE_TTL } from './lessor.js';
import { MvccStore } from './mvcc/mvcc-store.js';
import type * as m from './mvcc/types.js';
import { deleteFromPb, putFromPb, toRevision, txnFromPb } from './pb-mapping.js';
import type { StateMachine } from './raft-node.js';
import { WatchBroker } from './watch-broker.js';

/** What applying one request produced, delivered to the member that proposed it. */
export type ApplyOutcome =
  | { kind: 'put'; response: m.PutResponse }
  | { kind: 'deleteRange'; response: m.DeleteRangeResponse }
  | { kind: 'txn'; response: m.TxnResponse }
  | { kind: 'compaction'; revision: number }
  | { kind: 'leaseGrant'; ttl: number; revision: number }
  | { kind: 'leaseRevoke'; revision: number }
  | { kind: 'alarm'; alarms: etcdserverpb.AlarmMember[] }
  | { kind: 'publish' }
  | { kind: 'error'; error: Error };

export interface MemberInfo {
  id: number;
  name: string;
  peerUrls: string[];
  clientUrls: string[];
}

export interface StateMachineOptions {
  log: Logger;
  minLeaseTtl: number;
  maxTxnOps: number;
  initialMembers: MemberInfo[];
  onOutcome(id: bigint, outcome: ApplyOutcome): void;
}

/** Layout of a member snapshot: u32 header length, JSON header, then the MVCC store's bytes. */
interface SnapshotHeader {
  format: 1;
  appliedRevision: number;
  leases: Array<{ id: string; ttl: number }>;
  members: MemberInfo[];
  alarms: Array<{ memberId: string; alarm: number }>;
}

/**
 * The replicated state of an etcd member: the MVCC store, the leases, member attributes
 * and alarms. Every member applies the same entries in the same order and reaches the
 * same state; only lease expiry clocks are local (see Lessor).
 */
export class EtcdStateMachine implements StateMachine {
  store: MvccStore;
  readonly lessor: Lessor;
  readonly watches: WatchBroker;
  private memberInfo = new Map<number, MemberInfo>();
  private alarms: etcdserverpb.AlarmMember[] = [];

  constructor(private readonly opts: StateMachineOptions) {
    this.lessor = new Lessor(opts.minLeaseTtl);
    this.store = this.newStore();
    this.watches = new WatchBroker(() => this.store, opts.log);
    for (const mi of opts.initialMembers) this.memberInfo.set(mi.id, { ...mi });
  }

  private newStore(buf?: Buffer): MvccStore {
    const options = { leaseExists: (id: bigint) => this.lessor.has(id), maxTxnOps: this.opts.maxTxnOps };
    return buf ? MvccStore.restore(buf, options) : new MvccStore(options);
  }

  members(): MemberInfo[] {
    return [...this.memberInfo.values()].sort((a, b) => a.id - b.id);
  }

  alarmList(): etcdserverpb.AlarmMember[] {
    return [...this.alarms];
  }

  /** A read-only txn served locally (the caller has passed a read barrier). */
  readOnlyTxn(req: m.TxnRequest): m.TxnResponse {
    return this.store.txn(req).response;
  }

  /**
   * Requests this member proposed, keyed by the very bytes it handed to Raft: on the
   * leader the committed entry carries the same Uint8Array, so the apply path can skip
   * decoding what it encoded a moment ago. Entries from elsewhere are decoded as usual.
   */
  private readonly proposed = new WeakMap<Uint8Array, etcdinternal.InternalRequest>();

  rememberProposal(data: Uint8Array, req: etcdinternal.InternalRequest): void {
    this.proposed.set(data, req);
  }

  apply(entry: Entry): void {
    let req: etcdinternal.InternalRequest;
    try {
      req = this.proposed.get(entry.data) ?? etcdinternal.InternalRequest.decode(entry.data);
    } catch (err) {
      // Only members write entries, so this is corruption, not bad client input.
      this.opts.log.error({ index: entry.index, err: (err as Error).message }, 'undecodable log entry skipped');
      return;
    }
    let outcome: ApplyOutcome;
    try {
      outcome = this.applyRequest(req);
    } catch (err) {
      outcome = { kind: 'error', error: err as Error };
    }
    this.opts.onOutcome(req.id, outcome);
  }

  private applyRequest(req: etcdinternal.InternalRequest): ApplyOutcome {
    const r = req.request;
    switch (r?.$case) {
      case 'put': {
        const res = this.store.put(putFromPb(r.put));
        this.watches.notify(res.events, res.revision);
        return { kind: 'put', response: res.response };
      }
      case 'deleteRange': {
        const res = this.store.deleteRange(deleteFromPb(r.deleteRange));
        this.watches.notify(res.events, res.revision);
        return { kind: 'deleteRange', response: res.response };
      }
      case 'txn': {
        const res = this.store.txn(txnFromPb(r.txn));
        this.watches.notify(res.events, res.revision);
        return { kind: 'txn', response: res.response };
      }
      case 'compaction': {
        const res = this.store.compact({ revision: toRevision(r.compaction.revision), physical: r.compaction.physical });
        this.watches.compacted(this.store.compactRevision);
        return { kind: 'compaction', revision: res.header.revision };
      }
      case 'leaseGrant': {
        const { ID, TTL } = r.leaseGrant;
        if (ID === 0n) throw Errors.leaseNotFound(); // etcd refuses only the "no lease" ID
        if (TTL > BigInt(MAX_LEASE_TTL)) throw Errors.leaseTTLTooLarge();
        if (this.lessor.has(ID)) throw Errors.leaseExist();
        const info = this.lessor.grant(ID, Number(TTL), Date.now());
        return { kind: 'leaseGrant', ttl: info.ttl, revision: this.store.revision };
      }
      case 'leaseRevoke': {
        const id = r.leaseRevoke.ID;
        if (!this.lessor.has(id)) throw Errors.leaseNotFound();
        const res = this.store.revokeLease(id);
        this.lessor.revoke(id);
        this.watches.notify(res.events, res.revision);
        return { kind: 'leaseRevoke', revision: res.revision };
      }
      case 'alarm': {
        const a = r.alarm;
        const match = (x: etcdserverpb.AlarmMember): boolean => x.memberID === a.memberID && x.alarm === a.alarm;
        switch (a.action) {
          case etcdserverpb.AlarmRequest_AlarmAction.ACTIVATE:
            if (!this.alarms.some(match)) this.alarms.push({ memberID: a.memberID, alarm: a.alarm });
            return { kind: 'alarm', alarms: this.alarms.filter(match) };
          case etcdserverpb.AlarmRequest_AlarmAction.DEACTIVATE: {
            const removed = this.alarms.filter(match);
            this.alarms = this.alarms.filter((x) => !match(x));
            return { kind: 'alarm', alarms: removed };
          }
          default:
            return { kind: 'alarm', alarms: this.alarmList() };
        }
      }
      case 'publish': {
        const p = r.publish;
        const mi = this.memberInfo.get(Number(p.memberId));
        if (mi) {
          mi.name = p.name;
          mi.clientUrls = p.clientUrls;
        }
        return { kind: 'publish' };
      }
      case undefined:
        throw new EtcdError(status.INVALID_ARGUMENT, 'etcdserver: empty request');
    }
  }

  snapshot(): Uint8Array {
    const header: SnapshotHeader = {
      format: 1,
      appliedRevision: this.store.revision,
      leases: this.lessor.serialize(),
      members: this.members(),
      alarms: this.alarms.map((a) => ({ memberId: a.memberID.toString(), alarm: a.alarm })),
    };
    const h = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(h.length);
    return Buffer.concat([len, h, this.store.serialize()]);
  }

  restore(data: Uint8Array): void {
    const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const hlen = buf.readUInt32BE(0);
    const header = JSON.parse(buf.subarray(4, 4 + hlen).toString()) as SnapshotHeader;
    if (header.format !== 1) throw new Error(`unknown member snapshot format ${String(header.format)}`);
    const wasPrimary = this.lessor.isPrimary;
    this.lessor.restore(header.leases, Date.now());
    if (wasPrimary) this.lessor.promote(Date.now());
    this.store = this.newStore(buf.subarray(4 + hlen));
    this.memberInfo = new Map(header.members.map((mi) => [mi.id, mi]));
    this.alarms = header.alarms.map((a) => ({ memberID: BigInt(a.memberId), alarm: a.alarm as etcdserverpb.AlarmType }));
    this.watches.restored();
  }
}
