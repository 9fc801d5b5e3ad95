import { CliError } from '../context.js';
import { say } from '../commands/common.js';
import { ExposeError, parseSelectorMap, serviceForExpose, type Exposable, type ExposeOptions, type ServiceType } from './expose.js';
import { objectRef, parseTargets } from './kinds.js';
import { withSession, type ConnectionFlags } from './session.js';

export interface ExposeFlags extends ConnectionFlags {
  port?: string;
  targetPort?: string;
  type?: ServiceType;
  name?: string;
  protocol?: 'TCP' | 'UDP';
  selector?: string;
}

function portNumber(text: string, flag: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 1 || n > 65535) throw new CliError(`error: ${flag} must be a port number from 1 to 65535, got ${JSON.stringify(text)}`);
  return n;
}

/**
 * `kemu expose deployment NAME --port P`: creates a Service selecting the pods of a
 * Deployment, ReplicaSet, Pod or Service (see expose.ts for what it contains).
 */
export async function runExpose(args: string[], flags: ExposeFlags): Promise<void> {
  const o: ExposeOptions = {};
  if (flags.port !== undefined) o.port = portNumber(flags.port, '--port');
  if (flags.targetPort !== undefined) o.targetPort = /^\d+$/.test(flags.targetPort) ? portNumber(flags.targetPort, '--target-port') : flags.targetPort;
  if (flags.type) o.type = flags.type;
  if (flags.name) o.name = flags.name;
  if (flags.protocol) o.protocol = flags.protocol;
  try {
    if (flags.selector) o.selector = parseSelectorMap(flags.selector);
  } catch (err) {
    throw new CliError(`error: ${(err as Error).message}`);
  }
  await withSession(flags, async (s) => {
    const targets = parseTargets(args, 'expose');
    const t = targets[0]!;
    if (targets.length !== 1 || t.names.length !== 1) throw new CliError('error: expose takes one object: kemu expose deployment NAME (or deployment/NAME)');
    const name = t.names[0]!;
    if (!isExposable(t.resource)) throw new CliError(`error: cannot expose a ${t.resource}: only deployments, replicasets, pods and services can be exposed`);
    // The object read is of the kind its resource names, so the pair is an Exposable.
    const target = { resource: t.resource, object: await s.client.get(t.resource, s.namespace, name) } as Exposable;
    let svc;
    try {
      svc = serviceForExpose(target, o, s.namespace);
    } catch (err) {
      if (err instanceof ExposeError) throw new CliError(`error: ${err.message}`);
      throw err;
    }
    const created = await s.client.create('services', svc);
    say(`${objectRef('services', created.metadata?.name ?? svc.metadata?.name ?? '')} exposed`);
  });
}

const EXPOSABLE: ReadonlyArray<Exposable['resource']> = ['deployments', 'replicasets', 'pods', 'services'];
const isExposable = (r: string): r is Exposable['resource'] => (EXPOSABLE as readonly string[]).includes(r);
