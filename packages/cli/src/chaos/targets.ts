// Targets named by role instead of by process: which one that is depends on the moment.

export const TARGET_ALIASES = ['etcd-leader', 'controller-manager-active'] as const;
export type TargetAlias = (typeof TARGET_ALIASES)[number];

export const isTargetAlias = (s: string): s is TargetAlias => (TARGET_ALIASES as readonly string[]).includes(s);

/** One etcd member as a Maintenance.Status call saw it. */
export interface EtcdMemberView {
  name: string;
  endpoint: string;
  reachable: boolean;
  /** This member says it leads (its own id is the leader it reports). */
  leader: boolean;
  term?: number;
  error?: string;
}

/**
 * The leader among members that answered. Right after an election an old leader cut off
 * from the others may still believe it leads: the higher term wins, as in Raft.
 */
export function etcdLeader(members: readonly EtcdMemberView[]): EtcdMemberView | undefined {
  let best: EtcdMemberView | undefined;
  for (const m of members) {
    if (!m.reachable || !m.leader) continue;
    if (!best || (m.term ?? 0) > (best.term ?? 0)) best = m;
  }
  return best;
}

/** What resolving an alias needs to know about the cluster right now. */
export interface TargetLookup {
  etcdMembers(): Promise<EtcdMemberView[]>;
  /** The controller-manager process holding the election Lease, or why none could be named. */
  activeControllerManager(): Promise<{ name: string } | { error: string }>;
}

export class TargetError extends Error {
  override readonly name = 'TargetError';
}

/** A process name as is; an alias to the process that plays the role now. */
export async function resolveTarget(target: string, lookup: TargetLookup): Promise<{ name: string; via?: string }> {
  if (!isTargetAlias(target)) return { name: target };
  switch (target) {
    case 'etcd-leader': {
      const members = await lookup.etcdMembers();
      const leader = etcdLeader(members);
      if (!leader) {
        const why = members.map((m) => `${m.name}: ${m.reachable ? 'follower' : (m.error ?? 'unreachable')}`).join(', ');
        throw new TargetError(`etcd-leader: no member leads right now (${why})`);
      }
      return { name: leader.name, via: `etcd-leader is ${leader.name} (term ${leader.term ?? '?'})` };
    }
    case 'controller-manager-active': {
      const active = await lookup.activeControllerManager();
      if ('error' in active) throw new TargetError(`controller-manager-active: ${active.error}`);
      return { name: active.name, via: `controller-manager-active is ${active.name}` };
    }
  }
}
