import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KubeClient } from '@kemu/api';
import { CliError } from './cli-error.js';
import { planOf, type ClusterPlan } from './plan.js';

export { CliError } from './cli-error.js';

/** Where a command finds the cluster: the state dir's plan and tokens, or explicit flags. */
export interface ContextOptions {
  stateDir: string;
  /** apiserver gRPC host:port list (default: the plan's apiservers). */
  server?: string;
  /** bearer token (default: the admin token of the state dir). */
  token?: string;
}

export interface CliContext {
  stateDir: string;
  plan: ClusterPlan;
  servers: string[];
  client: KubeClient;
}

/** The admin token `kemu up` made for this state dir, if any. */
export function adminToken(stateDir: string): string | undefined {
  const file = join(resolve(stateDir), 'tokens.json');
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, 'utf8')) as { admin?: string }).admin;
}

/**
 * A client for the cluster of a state dir. The caller closes `client`. Failing calls reach
 * the user through describeApiFailure (which names the address tried).
 */
export function openContext(o: ContextOptions): CliContext {
  const plan = planOf(o.stateDir);
  const servers = o.server ? o.server.split(',').map((s) => s.trim()).filter(Boolean) : plan.apiservers.map((a) => a.grpc);
  const token = o.token ?? process.env.KEMU_TOKEN ?? adminToken(o.stateDir);
  if (!token) {
    throw new CliError(`no credentials: ${join(resolve(o.stateDir), 'tokens.json')} does not exist (start a cluster with kemu up, or pass --state-dir or --token)`);
  }
  return { stateDir: o.stateDir, plan, servers, client: new KubeClient({ endpoints: servers, token, timeoutMs: 10_000 }) };
}
