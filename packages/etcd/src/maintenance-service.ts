import { status, type ServerWritableStream } from '@grpc/grpc-js';
import { etcdserverpb } from '@kemu/api';
import type { Member } from './member.js';
import { EtcdError, Errors, toEtcdError } from './errors.js';
import { buildSnapshotFile } from './snapshot-file.js';
import { toRevision } from './pb-mapping.js';

/** etcd's cluster version as kemu reports it; the API it serves is etcd 3.4's. */
export const ETCD_VERSION = '3.4.0';
const SNAPSHOT_CHUNK = 32 * 1024;

export function maintenanceService(member: Member): etcdserverpb.MaintenanceServer {
  const unary = member.unary;
  return {
    alarm: unary(async (req: etcdserverpb.AlarmRequest) => {
      if (req.action === etcdserverpb.AlarmRequest_AlarmAction.GET) {
        await member.linearizableRead();
        const alarms = member.state.alarmList().filter((a) => req.alarm === etcdserverpb.AlarmType.NONE || a.alarm === req.alarm);
        return { header: member.header(), alarms };
      }
      const out = await member.propose({ $case: 'alarm', alarm: req });
      if (out.kind !== 'alarm') throw new Error(`unexpected apply result ${out.kind}`);
      return { header: member.header(), alarms: out.alarms };
    }),
    status: unary(async () => {
      const s = member.raftStats();
      const size = member.state.store.dbSizeEstimate();
      const errors = member.state.alarmList().map((a) => `memberID:${a.memberID} alarm:${etcdserverpb.alarmTypeToJSON(a.alarm)} `);
      return {
        header: member.header(),
        version: ETCD_VERSION,
        dbSize: BigInt(size),
        leader: BigInt(s.lead),
        raftIndex: BigInt(s.commit),
        raftTerm: BigInt(s.term),
        raftAppliedIndex: BigInt(s.applied),
        errors,
        dbSizeInUse: BigInt(size),
        isLearner: false,
      };
    }),
    defragment: unary(async () => ({ header: member.header() })),
    hash: unary(async () => ({ header: member.header(), hash: member.state.store.hashKV(0).hash })),
    hashKv: unary(async (req: etcdserverpb.HashKVRequest) => {
      const h = member.state.store.hashKV(toRevision(req.revision));
      return { header: member.header(h.revision), hash: h.hash, compactRevision: BigInt(h.compactRevision) };
    }),
    snapshot: (call: ServerWritableStream<etcdserverpb.SnapshotRequest, etcdserverpb.SnapshotResponse>) => {
      void (async () => {
        let file: Buffer;
        const header = member.header();
        try {
          file = buildSnapshotFile(member.state, member.raftStats().applied);
        } catch (err) {
          const e = toEtcdError(err);
          call.emit('error', { code: e.code, details: e.message });
          return;
        }
        member.log.info({ bytes: file.length, revision: header.revision.toString() }, 'sending snapshot');
        let sent = 0;
        while (sent < file.length && !call.cancelled) {
          const blob = file.subarray(sent, Math.min(file.length, sent + SNAPSHOT_CHUNK));
          sent += blob.length;
          const ok = call.write({ header: sent === blob.length ? header : undefined, remainingBytes: BigInt(file.length - sent), blob });
          if (!ok) await new Promise((r) => call.once('drain', r));
        }
        call.end();
      })();
    },
    moveLeader: unary(async (req: etcdserverpb.MoveLeaderRequest) => {
      const s = member.raftStats();
      if (s.role !== 'leader') throw Errors.notLeader();
      const target = Number(req.targetID);
      if (!member.isMember(target) || target === member.id) throw Errors.badLeaderTransferee();
      member.transferLeadership(target);
      const deadline = Date.now() + member.requestTimeoutMs;
      while (Date.now() < deadline) {
        if (member.raftStats().lead === target) return { header: member.header() };
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new EtcdError(status.UNAVAILABLE, 'etcdserver: request timed out, leader transfer took too long');
    }),
  };
}
