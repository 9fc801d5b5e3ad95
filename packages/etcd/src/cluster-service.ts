import { etcdserverpb } from '@kemu/api';
import type { Member } from './member.js';
import { Errors } from './errors.js';

/** etcdserverpb.Cluster: membership is static in kemu (set by --initial-cluster). */
export function clusterService(member: Member): etcdserverpb.ClusterServer {
  const unary = member.unary;
  const unsupported = (what: string) =>
    unary(async () => {
      throw Errors.notSupported(what);
    });
  return {
    memberList: unary(async (req: etcdserverpb.MemberListRequest) => {
      if (req.linearizable) await member.linearizableRead();
      return { header: member.header(), members: member.memberList() };
    }),
    memberAdd: unsupported('adding members'),
    memberRemove: unsupported('removing members'),
    memberUpdate: unsupported('updating members'),
    memberPromote: unsupported('promoting learners'),
  };
}
