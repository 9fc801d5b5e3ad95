// Maintenance.Status of each etcd member over one long-lived channel per member, so that
// polling several times a second costs no connection setup and a restarted member is
// reached again within a second.
import { credentials, Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { etcdserverpb } from '@kemu/api';
import type { EtcdMemberView } from './targets.js';

export interface EtcdMember {
  name: string;
  /** host:port of its client API. */
  endpoint: string;
}

export class EtcdMembers {
  private readonly clients: Map<string, etcdserverpb.MaintenanceClient>;

  constructor(readonly members: readonly EtcdMember[]) {
    this.clients = new Map(
      members.map((m) => [
        m.name,
        new etcdserverpb.MaintenanceClient(m.endpoint, credentials.createInsecure(), {
          'grpc.initial_reconnect_backoff_ms': 100,
          'grpc.max_reconnect_backoff_ms': 1_000,
        }),
      ]),
    );
  }

  /** Never rejects: an unreachable member is reported as such. */
  async status(member: EtcdMember, timeoutMs = 1_000): Promise<EtcdMemberView> {
    const client = this.clients.get(member.name);
    if (!client) return { name: member.name, endpoint: member.endpoint, reachable: false, leader: false, error: 'unknown member' };
    try {
      const s = await new Promise<etcdserverpb.StatusResponse>((resolve, reject) =>
        client.status({}, new Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res))),
      );
      const self = s.header?.memberId ?? 0n;
      return { name: member.name, endpoint: member.endpoint, reachable: true, leader: s.leader !== 0n && s.leader === self, term: Number(s.raftTerm) };
    } catch (err) {
      return { name: member.name, endpoint: member.endpoint, reachable: false, leader: false, error: statusError(err as { code?: number; details?: string; message?: string }, timeoutMs) };
    }
  }

  all(timeoutMs = 1_000): Promise<EtcdMemberView[]> {
    return Promise.all(this.members.map((m) => this.status(m, timeoutMs)));
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
  }
}

/** A failed Status call in a few words: "no answer within 1 s", "connect ECONNREFUSED 127.0.1.1:2379". */
export function statusError(e: { code?: number; details?: string; message?: string }, timeoutMs: number): string {
  if (e.code === GrpcStatus.DEADLINE_EXCEEDED) return `no answer within ${timeoutMs / 1_000} s`;
  const text = (e.details || e.message || 'unreachable').replace(/\s*Resolution note:.*$/s, '');
  const errno = /connect (E[A-Z]+ \S+?)\.?$/.exec(text);
  return errno ? `connect ${errno[1]}` : text;
}
