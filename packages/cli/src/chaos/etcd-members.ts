// The etcd members as kemu chaos watches them: each member's Maintenance.Status by name,
// polled over EtcdStatusClient's long-lived channels.
import { EtcdStatusClient } from '../etcd-status.js';
import type { EtcdMemberView } from './targets.js';

export interface EtcdMember {
  name: string;
  /** host:port of its client API. */
  endpoint: string;
}

export class EtcdMembers {
  private readonly client: EtcdStatusClient;

  constructor(readonly members: readonly EtcdMember[]) {
    this.client = new EtcdStatusClient(members.map((m) => m.endpoint));
  }

  /** Never rejects: an unreachable member is reported as such. */
  async status(member: EtcdMember, timeoutMs = 1_000): Promise<EtcdMemberView> {
    const s = await this.client.status(member.endpoint, timeoutMs);
    if (s.error !== undefined) return { name: member.name, endpoint: member.endpoint, reachable: false, leader: false, error: s.error };
    return { name: member.name, endpoint: member.endpoint, reachable: true, leader: s.leader ?? false, term: Number(s.term ?? 0n) };
  }

  all(timeoutMs = 1_000): Promise<EtcdMemberView[]> {
    return Promise.all(this.members.map((m) => this.status(m, timeoutMs)));
  }

  close(): void {
    this.client.close();
  }
}
