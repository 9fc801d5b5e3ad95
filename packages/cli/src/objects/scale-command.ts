import { CliError } from '../context.js';
import { say } from '../commands/common.js';
import { objectRef, parseTargets } from './kinds.js';
import { withSession, type ConnectionFlags } from './session.js';

export interface ScaleFlags extends ConnectionFlags {
  replicas?: string;
  currentReplicas?: string;
}

const count = (text: string | undefined, flag: string): number | undefined => {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) throw new CliError(`error: The ${flag}=COUNT flag must be a whole number greater than or equal to 0, got ${JSON.stringify(text)}`);
  return Number(text);
};

/**
 * `kemu scale deployment/NAME --replicas=N` (or replicasets): sets spec.replicas; with
 * --current-replicas, only if the object still has that many (a precondition on the
 * resourceVersion read).
 */
export async function runScale(args: string[], flags: ScaleFlags): Promise<void> {
  const replicas = count(flags.replicas, '--replicas');
  if (replicas === undefined) throw new CliError('error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0');
  const current = count(flags.currentReplicas, '--current-replicas');
  await withSession(flags, async (s) => {
    const targets = parseTargets(args, 'scale');
    for (const t of targets) {
      if (t.resource !== 'deployments' && t.resource !== 'replicasets') {
        throw new CliError(`error: cannot scale ${t.resource}: only deployments and replicasets have replicas`);
      }
      if (t.names.length === 0) throw new CliError('error: resource(s) were provided, but no name was specified');
    }
    for (const t of targets) {
      const r = t.resource as 'deployments' | 'replicasets';
      for (const name of t.names) {
        const patch: { spec: { replicas: number }; metadata?: { resourceVersion: string } } = { spec: { replicas } };
        if (current !== undefined) {
          const obj = await s.client.get(r, s.namespace, name);
          const have = obj.spec?.replicas ?? 1;
          if (have !== current) throw new CliError(`error: Expected replicas to be ${current}, was ${have}`);
          patch.metadata = { resourceVersion: obj.metadata?.resourceVersion ?? '' };
        }
        await s.client.patch(r, s.namespace, name, patch);
        say(`${objectRef(r, name)} scaled`);
      }
    }
  });
}
