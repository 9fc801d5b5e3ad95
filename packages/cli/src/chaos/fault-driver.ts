// The one seam between chaos scenarios and how a fault is made. Scenarios, reports and
// charts only ever name a target and an action; a driver decides what that means for
// local processes (signals, see local-fault-driver.ts) or for containers (docker
// kill/pause/unpause/restart, network disconnect).
import { assertNever } from '@kemu/common';

export const FAULT_ACTIONS = ['kill', 'term', 'stop', 'cont', 'restart', 'partition', 'unpartition'] as const;
export type FaultAction = (typeof FAULT_ACTIONS)[number];

/** What a driver did, in words a person reads in the report ("SIGKILL node-2 (pid 812) and 3 pod processes"). */
export interface FaultOutcome {
  action: FaultAction;
  target: string;
  detail: string;
}

/**
 * Acts on named targets (`etcd-0`, `apiserver`, `controller-manager-1`, `dns-0`, `node-2`).
 * Contract for every implementation:
 * - kill: the target dies at once without cleanup (SIGKILL, a machine losing power). A node
 *   dies with its pods.
 * - term: the target is asked to stop (SIGTERM; SIGKILL if it has not exited after 10 s) and
 *   stays down, as `docker stop` does. A node stops its pods on the way out.
 * - stop / cont: the target freezes (holds its sockets, answers nothing) / thaws. A node
 *   freezes with its pods.
 * - restart: the target is killed if it runs, then started again as it was first started;
 *   resolves once it is ready (or rejects naming why not).
 * - partition / unpartition: the target can reach nothing / everything again; a driver that
 *   cannot do this rejects with FaultError.
 * Unknown targets reject with FaultError listing the known ones.
 */
export interface FaultDriver {
  /** For the report: "local processes", "docker compose". */
  readonly description: string;
  /** Every target this driver can act on. */
  targets(): string[];
  /**
   * Zone -> the targets other than nodes placed in it (a zone's share of the control plane:
   * etcd members, apiservers, ...), which a zone loss takes down with the zone's nodes.
   * Nodes are placed by their Node objects' zone label, not here. Empty when none are placed.
   */
  zoneMembers(): Promise<Map<string, string[]>>;
  kill(target: string): Promise<FaultOutcome>;
  term(target: string): Promise<FaultOutcome>;
  stop(target: string): Promise<FaultOutcome>;
  cont(target: string): Promise<FaultOutcome>;
  restart(target: string): Promise<FaultOutcome>;
  partition(target: string): Promise<FaultOutcome>;
  unpartition(target: string): Promise<FaultOutcome>;
}

/** A fault that could not be made: unknown target, unsupported action, a target that would not start. */
export class FaultError extends Error {
  override readonly name = 'FaultError';
}

export function perform(driver: FaultDriver, action: FaultAction, target: string): Promise<FaultOutcome> {
  switch (action) {
    case 'kill':
      return driver.kill(target);
    case 'term':
      return driver.term(target);
    case 'stop':
      return driver.stop(target);
    case 'cont':
      return driver.cont(target);
    case 'restart':
      return driver.restart(target);
    case 'partition':
      return driver.partition(target);
    case 'unpartition':
      return driver.unpartition(target);
    default:
      return assertNever(action);
  }
}
