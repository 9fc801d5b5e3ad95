// What kemu chaos needs from the cluster it breaks, whichever kind it is: the local
// processes of a state dir (commands/chaos-context.ts) or the containers of
// docker-compose.yml (compose-context.ts).
import type { KubeClient, Pod } from '@kemu/api';
import type { EtcdMembers } from './etcd-members.js';
import type { FaultDriver } from './fault-driver.js';
import type { ScenarioName } from './scenarios.js';
import type { TargetLookup } from './targets.js';

export interface ChaosCluster {
  readonly faults: FaultDriver;
  readonly etcd: EtcdMembers;
  /** The apiserver client (opened on first use, closed by close()). */
  client(): KubeClient;
  /** A client of its own with a short deadline, for the write probe; the caller closes it. */
  writeClient(): KubeClient;
  lookup(): TargetLookup;
  /** A pod container's log as written so far (undefined: not found). */
  podLog(pod: Pod, container: string): Promise<string | undefined>;
  /** Lines for the report about settings that shape the result. */
  notes(scenario: ScenarioName, durationMs: number): Promise<string[]>;
  /** Where a run's report goes when --out is not given. */
  reportDir(name: string): string;
  close(): void;
}
