import { CliError } from '../context.js';
import { say } from '../commands/common.js';
import { parseDuration } from './duration.js';
import { parseTargets } from './kinds.js';
import { deploymentRolloutState } from './rollout-status.js';
import { withSession, type ConnectionFlags } from './session.js';
import { watchObject } from './watch-object.js';

export interface RolloutStatusFlags extends ConnectionFlags {
  timeout: string;
  watch: boolean;
}

/**
 * `kemu rollout status deployment/NAME`: prints kubectl's progress line each time it
 * changes until the rollout completes (exit 0), fails its progress deadline, or --timeout
 * passes (exit 1). With --watch=false, prints the state once.
 */
export async function runRolloutStatus(args: string[], flags: RolloutStatusFlags): Promise<void> {
  let timeoutMs: number;
  try {
    timeoutMs = parseDuration(flags.timeout);
  } catch (err) {
    throw new CliError(`error: --timeout: ${(err as Error).message}`);
  }
  await withSession(flags, async (s) => {
    const targets = parseTargets(args, 'get the rollout status of');
    const t = targets[0]!;
    if (targets.length !== 1 || t.names.length !== 1) throw new CliError('error: rollout status takes exactly one deployment: kemu rollout status deployment/NAME');
    if (t.resource !== 'deployments') throw new CliError(`error: no status viewer has been implemented for ${t.resource} (only deployments)`);
    const name = t.names[0]!;
    // The first read reports NotFound as the server said it.
    await s.client.get('deployments', s.namespace, name);
    let last = '';
    const result = await watchObject(s.client, 'deployments', s.namespace, name, {
      timeoutMs,
      check: (d) => {
        if (!d) throw new CliError(`error: deployment "${name}" was deleted during the rollout`);
        const st = deploymentRolloutState(d);
        if (st.state === 'failed') throw new CliError(st.message);
        if (st.message !== last) say(st.message);
        last = st.message;
        return st.state === 'done' || !flags.watch;
      },
    });
    if (result === 'timeout') throw new CliError('error: timed out waiting for the condition');
  });
}
