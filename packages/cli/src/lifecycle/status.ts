import type { Node } from '@kemu/api';
import { assertNever } from '@kemu/common';
import type { MemberStatus } from '../etcd-status.js';
import type { ClusterPlan } from '../plan.js';
import { roster, type ProcessKind } from './roster.js';
import { formatTable } from '../table.js';

/** What `kemu status` found out about one process's health. */
export type Health =
  /** Recorded and alive, /readyz answered 200. */
  | { kind: 'ready' }
  /** Alive, /readyz answered with failing checks. */
  | { kind: 'not-ready'; failing: string[] }
  /** Alive but /readyz did not answer (paused, overloaded, still starting). */
  | { kind: 'no-answer' }
  /** Recorded, but the process is gone (killed, crashed). */
  | { kind: 'exited' }
  /** Not started by kemu up (or stopped by kemu down). */
  | { kind: 'stopped' };

export interface ProcessFacts {
  name: string;
  pid?: number;
  health: Health;
}

/** Everything `kemu status` gathered; each source may be missing or failed. */
export interface ClusterFacts {
  plan: ClusterPlan;
  processes: ProcessFacts[];
  /** Maintenance.Status of each member, by client endpoint. */
  etcd: MemberStatus[];
  /** leader_election_master_status of each controller-manager (true: active). */
  controllerManagers: Map<string, boolean>;
  /** The Lease's holderIdentity, when the apiserver answered. */
  leaseHolder?: string;
  nodes: { items: Node[] } | { error: string };
}

export const CONTROLLER_MANAGER_LEASE = 'kube-system/kube-controller-manager';

function healthText(h: Health): string {
  switch (h.kind) {
    case 'ready':
      return 'ready';
    case 'not-ready':
      return h.failing.length ? `not ready (${h.failing.join(', ')})` : 'not ready';
    case 'no-answer':
      return 'no answer';
    case 'exited':
      return 'exited';
    case 'stopped':
      return 'stopped';
    default:
      return assertNever(h);
  }
}

function nodeRole(facts: ClusterFacts, name: string, zone: string): string {
  if ('error' in facts.nodes) return `?, ${zone}`;
  const node = facts.nodes.items.find((n) => n.metadata?.name === name);
  if (!node) return `not registered, ${zone}`;
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  const state = ready === 'True' ? 'Ready' : ready === 'False' ? 'NotReady' : 'Unknown';
  const unschedulable = node.spec?.unschedulable ? ',SchedulingDisabled' : '';
  return `${state}${unschedulable}, ${node.metadata?.labels?.['topology.kubernetes.io/zone'] ?? zone}`;
}

function role(facts: ClusterFacts, name: string, kind: ProcessKind, alive: boolean): string {
  const plan = facts.plan;
  switch (kind) {
    case 'etcd': {
      const client = plan.etcd.find((m) => m.name === name)?.client;
      const s = facts.etcd.find((m) => m.endpoint === client);
      if (!alive || !s || s.error || s.term === undefined) return `member ${client ?? '?'}`;
      return `${s.leader ? 'leader' : 'follower'}, term ${s.term}`;
    }
    case 'apiserver':
      return `gRPC ${plan.apiservers.find((a) => a.name === name)?.grpc ?? '?'}`;
    case 'controller-manager': {
      const active = alive ? facts.controllerManagers.get(name) : undefined;
      return active === undefined ? '-' : active ? 'active' : 'standby';
    }
    case 'dns':
      return `DNS ${plan.dns.find((d) => d.name === name)?.listen ?? '?'}`;
    case 'node': {
      const n = plan.nodes.find((x) => x.name === name);
      return `${nodeRole(facts, name, n?.zone ?? '?')}, ${n?.ip ?? '?'}`;
    }
    default:
      return assertNever(kind);
  }
}

/**
 * The `kemu status` table: one row per process of the plan (then any other recorded
 * process), PID, health from its /readyz, and its role: etcd leader or follower with the
 * Raft term, which controller-manager is active, a node's Ready condition and zone.
 */
export function statusRows(facts: ClusterFacts): string[][] {
  const rows: string[][] = [];
  const planned = roster(facts.plan);
  for (const p of planned) {
    const f = facts.processes.find((x) => x.name === p.name) ?? { name: p.name, health: { kind: 'stopped' as const } };
    const alive = f.health.kind !== 'exited' && f.health.kind !== 'stopped';
    rows.push([p.name, f.pid !== undefined && alive ? String(f.pid) : '-', healthText(f.health), role(facts, p.name, p.kind, alive)]);
  }
  for (const f of facts.processes) {
    if (!planned.some((p) => p.name === f.name)) rows.push([f.name, f.pid !== undefined ? String(f.pid) : '-', healthText(f.health), '-']);
  }
  return rows;
}

/** The table and the notes under it (lease holder, what could not be asked). */
export function formatStatus(facts: ClusterFacts): string {
  const lines = [formatTable(['PROCESS', 'PID', 'HEALTH', 'ROLE'], statusRows(facts)).join('\n')];
  const notes: string[] = [];
  if (facts.leaseHolder !== undefined) notes.push(`controller-manager leader election Lease ${CONTROLLER_MANAGER_LEASE}: held by ${facts.leaseHolder || '(nobody)'}`);
  if ('error' in facts.nodes) notes.push(`node Ready conditions unknown: ${facts.nodes.error}`);
  const leaders = facts.etcd.filter((s) => s.leader).length;
  if (facts.etcd.some((s) => !s.error) && leaders === 0) notes.push('etcd: no member is leader (fewer than two members can talk to each other)');
  if (notes.length) lines.push('', ...notes);
  return lines.join('\n');
}
