import { randomBytes } from 'node:crypto';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { etcdserverpb } from '@kemu/api';
import type { Member } from './member.js';
import { toEtcdError } from './errors.js';

/** A fresh positive int63 lease ID (etcd's IDs are positive int64s). */
function newLeaseId(): bigint {
  const id = randomBytes(8).readBigUInt64BE(0) & 0x7fffffffffffffffn;
  return id === 0n ? 1n : id;
}

/** etcdserverpb.Lease. Grants and revocations go through Raft; renewals are the leader's. */
export function leaseService(member: Member): etcdserverpb.LeaseServer {
  const unary = member.unary;
  return {
    leaseGrant: unary(async (req: etcdserverpb.LeaseGrantRequest) => {
      const id = req.ID === 0n ? newLeaseId() : req.ID;
      const out = await member.propose({ $case: 'leaseGrant', leaseGrant: { ID: id, TTL: req.TTL } });
      if (out.kind !== 'leaseGrant') throw new Error(`unexpected apply result ${out.kind}`);
      return { header: member.header(out.revision), ID: id, TTL: BigInt(out.ttl), error: '' };
    }),
    leaseRevoke: unary(async (req: etcdserverpb.LeaseRevokeRequest) => {
      const out = await member.propose({ $case: 'leaseRevoke', leaseRevoke: req });
      if (out.kind !== 'leaseRevoke') throw new Error(`unexpected apply result ${out.kind}`);
      return { header: member.header(out.revision) };
    }),
    leaseKeepAlive: (call: ServerDuplexStream<etcdserverpb.LeaseKeepAliveRequest, etcdserverpb.LeaseKeepAliveResponse>) => {
      let closed = false;
      // Renewals are answered in request order.
      let chain = Promise.resolve();
      call.on('data', (req: etcdserverpb.LeaseKeepAliveRequest) => {
        chain = chain.then(async () => {
          if (closed) return;
          try {
            const res = await member.renewLease(req);
            if (!closed) call.write(res);
          } catch (err) {
            if (closed) return;
            closed = true;
            const e = toEtcdError(err);
            call.emit('error', { code: e.code, details: e.message });
          }
        });
      });
      call.on('end', () => {
        void chain.then(() => {
          if (!closed) {
            closed = true;
            call.end();
          }
        });
      });
      call.on('error', () => {
        closed = true;
      });
      call.on('cancelled', () => {
        closed = true;
      });
    },
    leaseTimeToLive: unary(async (req: etcdserverpb.LeaseTimeToLiveRequest) => member.leaseTimeToLive(req)),
    leaseLeases: unary(async () => {
      await member.linearizableRead();
      return {
        header: member.header(),
        leases: member.state.lessor.ids().map((ID) => ({ ID })),
      };
    }),
  };
}
