// What each chaos scenario breaks, decided from a view of the cluster. Pure: the run
// (run.ts) makes the faults through a FaultDriver and resolves role aliases
// (etcd-leader, controller-manager-active) at the moment it acts.
import type { FaultAction } from './fault-driver.js';

export const SCENARIOS = {
  'node-kill': 'kill a node that hosts a pod of the target Service: its agent and its pods die at once, as a machine does',
  'etcd-leader-kill': 'SIGKILL the etcd leader',
  'etcd-member-pause': 'SIGSTOP an etcd member (the leader unless --target names one) for --pause, then SIGCONT',
  'controller-manager-kill': 'SIGKILL the active (leader-elected) controller-manager',
  'zone-loss': 'kill every node of one zone that hosts a pod of the target Service (agents and pods), and with --compose the etcd member, apiserver, controller-manager and dns the compose file places in it',
  // One action on the process (container) --target names, or on etcd-leader / controller-manager-active.
  kill: 'kill --target at once (SIGKILL; a node with its pods); start it again at the end',
  stop: 'stop --target gracefully (SIGTERM, SIGKILL after 10 s, as docker stop) and keep it down; start it again at the end',
  pause: 'freeze --target for --pause (SIGSTOP or docker pause; a node with its pods), then thaw it',
  restart: 'restart --target gracefully (SIGTERM, then start it again and wait until it is ready) under traffic',
  partition: 'cut --target off the network (containers only: docker network disconnect) for --duration, then reconnect it',
} as const;
export type ScenarioName = keyof typeof SCENARIOS;
export const SCENARIO_NAMES = Object.keys(SCENARIOS) as ScenarioName[];
export const isScenarioName = (s: string): s is ScenarioName => Object.hasOwn(SCENARIOS, s);

export interface ClusterView {
  nodes: ReadonlyArray<{ name: string; zone: string; ready: boolean }>;
  /** Where the target Service's pods run. */
  targetPods: ReadonlyArray<{ name: string; node: string }>;
  /** Targets other than nodes placed in each zone (FaultDriver.zoneMembers); none when absent. */
  zoneMembers?: ReadonlyMap<string, readonly string[]>;
}

export interface FaultStep {
  action: FaultAction;
  /** A process name or a role alias, resolved when the step runs. */
  target: string;
}

export interface ScenarioPlan {
  scenario: ScenarioName;
  /** One sentence for the report: what is broken and why that one. */
  description: string;
  /** Nodes the fault takes down: the traffic clients must run elsewhere. */
  faultedNodes: string[];
  inject: FaultStep[];
  /** The fault undoes itself after this long (a pause); otherwise the heal comes at the end of --duration. */
  healAfterMs?: number;
  heal: FaultStep[];
}

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

export interface ScenarioOptions {
  /** etcd-member-pause: how long the member stays stopped. */
  pauseMs: number;
  /** Overrides the scenario's choice: a node (node-kill), a zone (zone-loss), a process (the others). */
  target?: string;
}

export function planScenario(name: ScenarioName, view: ClusterView, o: ScenarioOptions): ScenarioPlan {
  switch (name) {
    case 'kill':
    case 'stop':
    case 'pause':
    case 'restart':
    case 'partition':
      return planAction(name, view, o);
    case 'node-kill': {
      const node = pickNodes(view, o.target, 'node');
      return {
        scenario: name,
        description: `kill node ${node.names.join(', ')} (${node.why}) with its pods`,
        faultedNodes: node.names,
        inject: node.names.map((n) => ({ action: 'kill', target: n })),
        heal: node.names.map((n) => ({ action: 'restart', target: n })),
      };
    }
    case 'zone-loss': {
      const zone = pickNodes(view, o.target, 'zone');
      // The zone's share of the control plane goes down with its nodes, as a data centre does.
      const members = view.zoneMembers?.get(zone.zone) ?? [];
      const all = [...zone.names, ...members];
      return {
        scenario: name,
        description:
          `lose zone ${zone.zone}: kill node${zone.names.length === 1 ? '' : 's'} ${zone.names.join(', ')} (${zone.why}) with ${zone.names.length === 1 ? 'its' : 'their'} pods` +
          (members.length ? `, and ${members.join(', ')}` : ''),
        faultedNodes: zone.names,
        inject: all.map((n) => ({ action: 'kill', target: n })),
        heal: all.map((n) => ({ action: 'restart', target: n })),
      };
    }
    case 'etcd-leader-kill': {
      const t = o.target ?? 'etcd-leader';
      return { scenario: name, description: `SIGKILL ${t}, restart it at the end`, faultedNodes: [], inject: [{ action: 'kill', target: t }], heal: [{ action: 'restart', target: t }] };
    }
    case 'etcd-member-pause': {
      const t = o.target ?? 'etcd-leader';
      return {
        scenario: name,
        description: `SIGSTOP ${t} for ${o.pauseMs / 1_000} s, then SIGCONT`,
        faultedNodes: [],
        inject: [{ action: 'stop', target: t }],
        healAfterMs: o.pauseMs,
        heal: [{ action: 'cont', target: t }],
      };
    }
    case 'controller-manager-kill': {
      const t = o.target ?? 'controller-manager-active';
      return { scenario: name, description: `SIGKILL ${t}, restart it at the end`, faultedNodes: [], inject: [{ action: 'kill', target: t }], heal: [{ action: 'restart', target: t }] };
    }
  }
}

/**
 * One action on one named target. A node target takes its pods along, so the traffic
 * clients must run on the other nodes.
 */
function planAction(name: 'kill' | 'stop' | 'pause' | 'restart' | 'partition', view: ClusterView, o: ScenarioOptions): ScenarioPlan {
  const t = o.target;
  if (t === undefined || t === '') {
    throw new ScenarioError(`scenario ${name} needs --target: a process (etcd-1, apiserver-0, dns-1, node-2, ...), etcd-leader or controller-manager-active`);
  }
  const node = view.nodes.find((n) => n.name === t);
  if (node && !view.nodes.some((n) => n.ready && n.name !== t)) throw new ScenarioError(`--target ${t}: no Ready node would be left to run the traffic clients`);
  const pods = view.targetPods.filter((p) => p.node === t).map((p) => p.name);
  const withPods = node ? ` with its pods${pods.length ? ` (${pods.join(', ')})` : ''}` : '';
  const faultedNodes = node ? [t] : [];
  switch (name) {
    case 'kill':
      return { scenario: name, description: `kill ${t}${withPods}, start it again at the end`, faultedNodes, inject: [{ action: 'kill', target: t }], heal: [{ action: 'restart', target: t }] };
    case 'stop':
      return { scenario: name, description: `stop ${t}${withPods} gracefully, start it again at the end`, faultedNodes, inject: [{ action: 'term', target: t }], heal: [{ action: 'restart', target: t }] };
    case 'pause':
      return {
        scenario: name,
        description: `freeze ${t}${withPods} for ${o.pauseMs / 1_000} s, then thaw it`,
        faultedNodes,
        inject: [{ action: 'stop', target: t }],
        healAfterMs: o.pauseMs,
        heal: [{ action: 'cont', target: t }],
      };
    case 'restart':
      return { scenario: name, description: `restart ${t}${withPods} gracefully: stop it, start it again, wait until it is ready`, faultedNodes, inject: [{ action: 'term', target: t }, { action: 'restart', target: t }], heal: [] };
    case 'partition':
      return { scenario: name, description: `cut ${t}${withPods ? ' (its pods stay up, unreachable)' : ''} off the network, reconnect it at the end`, faultedNodes, inject: [{ action: 'partition', target: t }], heal: [{ action: 'unpartition', target: t }] };
  }
}

/**
 * The nodes a node or zone fault takes down. Without a choice from the user: the node (or
 * zone) hosting the fewest target pods but at least one, so that the Service loses some
 * endpoints and keeps others, and Ready nodes remain for the clients; ties go to the last by
 * name, leaving node-1 (where people look first) alone. When one node (zone) holds every
 * pod, that one, and the description says the Service is expected to go down.
 */
function pickNodes(view: ClusterView, chosen: string | undefined, by: 'node' | 'zone'): { names: string[]; zone: string; why: string } {
  const keyOf = (n: { name: string; zone: string }): string => (by === 'node' ? n.name : n.zone);
  const groups = new Map<string, string[]>();
  for (const n of view.nodes) groups.set(keyOf(n), [...(groups.get(keyOf(n)) ?? []), n.name]);
  const podsIn = (names: readonly string[]): number => view.targetPods.filter((p) => names.includes(p.node)).length;
  const readyOutside = (names: readonly string[]): number => view.nodes.filter((n) => n.ready && !names.includes(n.name)).length;
  const describe = (k: string, names: string[]): { names: string[]; zone: string; why: string } => {
    const pods = view.targetPods.filter((p) => names.includes(p.node)).map((p) => p.name);
    const zone = view.nodes.find((n) => names.includes(n.name))?.zone ?? k;
    return { names, zone, why: pods.length === 0 ? 'hosts no pod of the target Service' : `hosts ${pods.join(', ')}` };
  };
  if (chosen !== undefined) {
    const names = groups.get(chosen);
    if (!names) throw new ScenarioError(`--target: no ${by} named "${chosen}" (known: ${[...groups.keys()].sort().join(', ')})`);
    if (readyOutside(names) === 0) throw new ScenarioError(`--target ${chosen}: no Ready node would be left to run the traffic clients`);
    return describe(chosen, names);
  }
  const usable = [...groups.entries()]
    .filter(([, names]) => podsIn(names) > 0 && readyOutside(names) > 0)
    .sort(([ka, a], [kb, b]) => podsIn(a) - podsIn(b) || (kb < ka ? -1 : kb > ka ? 1 : 0));
  const best = usable.find(([, names]) => podsIn(names) < view.targetPods.length);
  if (best) return describe(best[0], best[1]);
  // Every pod sits in one node (zone): losing it takes the Service down, which is worth seeing too.
  const all = usable[0];
  if (all) {
    const d = describe(all[0], all[1]);
    return { ...d, why: `${d.why}: every pod of the target Service, so expect it to go down` };
  }
  throw new ScenarioError(
    `no ${by} to take down: one is needed that hosts a pod of the target Service and leaves a Ready node for the clients ` +
      `(nodes: ${view.nodes.map((n) => `${n.name}/${n.zone}${n.ready ? '' : ' NotReady'}`).join(', ')}; pods: ${view.targetPods.map((p) => `${p.name}@${p.node}`).join(', ') || 'none'})`,
  );
}
