import { credentials, Metadata } from '@grpc/grpc-js';
import { etcdserverpb } from '@kemu/api';
import { hexId } from '@kemu/etcd';
import { grpcMessage } from './lifecycle/grpc-message.js';
import { formatTable } from './table.js';

export interface MemberStatus {
  endpoint: string;
  id?: string;
  leader?: boolean;
  term?: bigint;
  raftIndex?: bigint;
  appliedIndex?: bigint;
  revision?: bigint;
  dbSize?: bigint;
  error?: string;
}

/**
 * Maintenance.Status of etcd members over one long-lived channel per endpoint, so that
 * polling several times a second (kemu chaos) costs no connection setup and a restarted
 * member is reached again within a second.
 */
export class EtcdStatusClient {
  private readonly clients: Map<string, etcdserverpb.MaintenanceClient>;

  constructor(readonly endpoints: readonly string[]) {
    this.clients = new Map(
      endpoints.map((e) => [
        e,
        new etcdserverpb.MaintenanceClient(e, credentials.createInsecure(), {
          'grpc.initial_reconnect_backoff_ms': 100,
          'grpc.max_reconnect_backoff_ms': 1_000,
        }),
      ]),
    );
  }

  /** Never rejects: an unreachable member is reported in `error`. */
  async status(endpoint: string, timeoutMs: number): Promise<MemberStatus> {
    const client = this.clients.get(endpoint);
    if (!client) return { endpoint, error: 'not one of the endpoints asked' };
    try {
      const s = await new Promise<etcdserverpb.StatusResponse>((resolve, reject) =>
        client.status({}, new Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res))),
      );
      return {
        endpoint,
        id: hexId(s.header?.memberId ?? 0n),
        leader: s.leader !== 0n && s.leader === s.header?.memberId,
        term: s.raftTerm,
        raftIndex: s.raftIndex,
        appliedIndex: s.raftAppliedIndex,
        revision: s.header?.revision ?? 0n,
        dbSize: s.dbSize,
      };
    } catch (err) {
      return { endpoint, error: grpcMessage(err, timeoutMs) };
    }
  }

  all(timeoutMs: number): Promise<MemberStatus[]> {
    return Promise.all(this.endpoints.map((e) => this.status(e, timeoutMs)));
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
  }
}

/** Maintenance.Status of every endpoint once (unreachable ones reported, not thrown). */
export async function etcdStatus(endpoints: string[], timeoutMs = 2000): Promise<MemberStatus[]> {
  const client = new EtcdStatusClient(endpoints);
  try {
    return await client.all(timeoutMs);
  } finally {
    client.close();
  }
}

/** A table in the spirit of `etcdctl endpoint status -w table`. */
export function formatStatus(rows: MemberStatus[]): string {
  const header = ['ENDPOINT', 'ID', 'LEADER', 'TERM', 'RAFT INDEX', 'APPLIED', 'REVISION', 'DB SIZE', 'ERROR'];
  const cells = rows.map((r) => [
    r.endpoint,
    r.id ?? '-',
    r.error ? '-' : r.leader ? 'yes' : 'no',
    r.term?.toString() ?? '-',
    r.raftIndex?.toString() ?? '-',
    r.appliedIndex?.toString() ?? '-',
    r.revision?.toString() ?? '-',
    r.dbSize !== undefined ? `${r.dbSize} B` : '-',
    r.error ?? '',
  ]);
  return formatTable(header, cells)
    .map((l) => l.trimEnd())
    .join('\n');
}
