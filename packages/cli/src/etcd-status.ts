import { credentials, Metadata } from '@grpc/grpc-js';
import { etcdserverpb } from '@kemu/api';
import { hexId } from '@kemu/etcd';
import { grpcMessage } from './lifecycle/grpc-message.js';

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

/** Maintenance.Status of every endpoint (unreachable ones reported, not thrown). */
export async function etcdStatus(endpoints: string[], timeoutMs = 2000): Promise<MemberStatus[]> {
  return Promise.all(
    endpoints.map(async (endpoint): Promise<MemberStatus> => {
      const client = new etcdserverpb.MaintenanceClient(endpoint, credentials.createInsecure());
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
        return { endpoint, error: grpcMessage(err) };
      } finally {
        client.close();
      }
    }),
  );
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
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string => c.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...cells.map(line)].join('\n');
}
