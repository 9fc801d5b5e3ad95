import { isApiError, Reason, resourceInfo, type ResourceName } from '@kemu/api';
import { CliError } from '../context.js';
import { say } from '../commands/common.js';
import { connectionProblem, formatApiError } from './api-errors.js';
import { parseDuration } from './duration.js';
import { parseTargets, qualifiedSingular } from './kinds.js';
import { readManifestSources } from './manifest-files.js';
import { identifyManifest, ManifestSyntaxError, parseManifests } from './manifest.js';
import { warn, withSession, type ConnectionFlags, type Session } from './session.js';
import { watchObject } from './watch-object.js';

export interface DeleteFlags extends ConnectionFlags {
  filename?: string[];
  recursive?: boolean;
  selector?: string;
  all?: boolean;
  allNamespaces?: boolean;
  gracePeriod?: string;
  now?: boolean;
  force?: boolean;
  wait: boolean;
  timeout: string;
  ignoreNotFound?: boolean;
}

/** One object to delete, and the file it came from (for messages). */
interface Victim {
  resource: ResourceName;
  namespace: string;
  name: string;
  source?: string;
}

/**
 * `kemu delete`: by kind and names, by kind/name, by label selector or --all, or the
 * objects of manifests (-f). Prints `pod "x" deleted` per object, then (unless --wait=false)
 * waits until each is really gone (pods finish their graceful termination first).
 */
export async function runDelete(args: string[], flags: DeleteFlags): Promise<void> {
  let gracePeriodSeconds = flags.gracePeriod === undefined ? -1 : Number(flags.gracePeriod);
  if (!Number.isInteger(gracePeriodSeconds)) throw new CliError(`error: --grace-period must be a whole number of seconds, got ${JSON.stringify(flags.gracePeriod)}`);
  if (flags.now) gracePeriodSeconds = 1;
  if (flags.force && gracePeriodSeconds < 0) gracePeriodSeconds = 0;
  // As kubectl: 0 means "now" unless --force asks for immediate removal.
  if (gracePeriodSeconds === 0 && !flags.force) gracePeriodSeconds = 1;
  let timeoutMs: number;
  try {
    timeoutMs = parseDuration(flags.timeout);
  } catch (err) {
    throw new CliError(`error: --timeout: ${(err as Error).message}`);
  }
  const files = flags.filename ?? [];
  if (files.length > 0 && args.length > 0) throw new CliError('error: cannot specify both -f and resource arguments');
  const sources = files.length ? readManifestSources(files, flags.recursive ?? false) : [];

  await withSession(flags, async (s) => {
    let failed = false;
    const victims: Victim[] = [];
    if (sources.length) {
      for (const src of sources) {
        try {
          for (const doc of parseManifests(src.text, src.name)) {
            const id = identifyManifest(doc, { namespace: s.namespace, explicit: s.namespaceExplicit });
            if (!id.ok) {
              warn(id.message);
              failed = true;
              continue;
            }
            victims.push({ resource: id.value.resource, namespace: id.value.namespace, name: id.value.name, source: src.name });
          }
        } catch (err) {
          if (!(err instanceof ManifestSyntaxError)) throw err;
          warn(`error: ${err.message}`);
          failed = true;
        }
      }
    } else {
      victims.push(...(await victimsFromArgs(s, args, flags)));
    }
    if (victims.length === 0 && !failed) warn('No resources found');

    if (flags.force && gracePeriodSeconds === 0) {
      warn('Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.');
    }
    const deleted: Array<Victim & { uid: string }> = [];
    for (const v of victims) {
      try {
        const res = await s.client.delete(v.resource, v.namespace, v.name, gracePeriodSeconds >= 0 ? { gracePeriodSeconds } : {});
        say(`${qualifiedSingular(v.resource)} "${v.name}" ${flags.force && gracePeriodSeconds === 0 ? 'force deleted' : 'deleted'}`);
        deleted.push({ ...v, uid: res.metadata?.uid ?? '' });
      } catch (err) {
        if (connectionProblem(err, s.servers) || !isApiError(err)) throw err;
        if (isApiError(err, Reason.NotFound) && flags.ignoreNotFound) continue;
        warn(formatApiError(err, v.source ? { verb: 'deleting', source: v.source } : undefined));
        failed = true;
      }
    }
    if (flags.wait) {
      for (const v of deleted) {
        const result = await watchObject(s.client, v.resource, v.namespace, v.name, {
          timeoutMs,
          check: (obj) => obj === undefined || (obj.metadata?.uid ?? '') !== v.uid,
        });
        if (result === 'timeout') {
          warn(`error: timed out waiting for the condition on ${v.resource}/${v.name}`);
          failed = true;
        }
      }
    }
    if (failed) process.exitCode = 1;
  });
}

async function victimsFromArgs(s: Session, args: string[], flags: DeleteFlags): Promise<Victim[]> {
  if (args.length === 0) throw new CliError('error: You must provide one or more resources by argument or filename (kemu delete KIND NAME, KIND/NAME, KIND -l SELECTOR, KIND --all or -f FILE)');
  const targets = parseTargets(args, 'delete');
  const bySelection = flags.selector !== undefined || flags.all === true;
  const out: Victim[] = [];
  for (const t of targets) {
    const namespace = resourceInfo(t.resource).namespaced ? s.namespace : '';
    if (t.names.length > 0) {
      if (bySelection) throw new CliError('error: name cannot be provided when a selector or --all is specified');
      out.push(...t.names.map((name) => ({ resource: t.resource, namespace, name })));
      continue;
    }
    if (!bySelection) throw new CliError('error: resource(s) were provided, but no name was specified');
    const list = await s.client.list(t.resource, { namespace: flags.allNamespaces ? '' : namespace, labelSelector: flags.selector });
    for (const o of list.items) out.push({ resource: t.resource, namespace: o.metadata?.namespace ?? '', name: o.metadata?.name ?? '' });
  }
  return out;
}
