import { isApiError, Reason, resourceInfo, type ApiError, type ResourceName, type ResourceTypes } from '@kemu/api';
import { CliError } from '../context.js';
import { say } from '../commands/common.js';
import { connectionProblem, formatApiError } from './api-errors.js';
import { tableHeader, tableRow, type TableOptions } from './columns.js';
import { objectRef, parseTargets, type Target } from './kinds.js';
import { formatObjects, toJson, toYaml, type OutputFormat } from './output.js';
import { TableWriter } from '../table.js';
import { warn, withSession, type ConnectionFlags, type Session } from './session.js';

export interface GetFlags extends ConnectionFlags {
  output?: OutputFormat;
  selector?: string;
  fieldSelector?: string;
  allNamespaces?: boolean;
  watch?: boolean;
  labelColumns?: string[];
  showLabels?: boolean;
}

type AnyObject = ResourceTypes[ResourceName];

/** What one target fetched: its objects, and the list's resourceVersion (to watch from). */
interface Fetched {
  target: Target;
  items: AnyObject[];
  resourceVersion: string;
}

/**
 * `kemu get`: lists (or gets by name) the objects of one or more kinds and prints them as a
 * table, YAML, JSON or names; with -w, keeps printing a row per change until interrupted.
 * Objects named but missing are reported (kubectl's NotFound line) and make the exit status 1.
 */
export async function runGet(args: string[], flags: GetFlags): Promise<void> {
  await withSession(flags, async (s) => {
    const targets = parseTargets(args, 'get');
    if (flags.allNamespaces && targets.some((t) => t.names.length > 0)) {
      throw new CliError('error: a resource cannot be retrieved by name across all namespaces');
    }
    if (flags.watch && targets.length > 1) throw new CliError('error: you may only specify a single resource type');
    if (flags.watch && targets[0]!.names.length > 1) throw new CliError('error: watch is only supported on individual resources and resource collections, but 2 or more resources were found');
    const namespace = flags.allNamespaces ? '' : s.namespace;
    let failed = false;
    const fetched: Fetched[] = [];
    for (const target of targets) {
      const f = await fetch(s, target, namespace, flags, (err) => {
        warn(formatApiError(err));
        failed = true;
      });
      fetched.push(f);
    }
    const all = fetched.flatMap((f) => f.items.map((o) => withTypeMeta(f.target.resource, o)));
    const named = targets.length === 1 && targets[0]!.names.length === 1;
    const tables = new Map<ResourceName, TableWriter>();
    const opts: TableOptions = {
      wide: flags.output === 'wide',
      now: Date.now(),
      allNamespaces: flags.allNamespaces ?? false,
      labelColumns: flags.labelColumns ?? [],
      showLabels: flags.showLabels ?? false,
      withKind: targets.length > 1,
    };
    switch (flags.output) {
      case 'yaml':
      case 'json':
        if (!flags.watch && (all.length > 0 || !named)) process.stdout.write(formatObjects(flags.output, all, named));
        else if (flags.watch) for (const o of all) printOne(flags.output, o);
        break;
      case 'name':
        for (const f of fetched) for (const o of f.items) say(objectRef(f.target.resource, o.metadata?.name ?? ''));
        break;
      case 'wide':
      case undefined: {
        let first = true;
        for (const f of fetched) {
          if (f.items.length === 0) continue;
          if (!first) say('');
          first = false;
          const w = new TableWriter();
          tables.set(f.target.resource, w);
          const rows = f.items.map((o) => tableRow(f.target.resource, o, opts));
          for (const line of w.format([tableHeader(f.target.resource, opts), ...rows])) say(line);
        }
        break;
      }
    }
    if (all.length === 0 && !failed && flags.output !== 'yaml' && flags.output !== 'json') {
      const namespaced = targets.some((t) => resourceInfo(t.resource).namespaced);
      warn(namespaced && !flags.allNamespaces ? `No resources found in ${s.namespace} namespace.` : 'No resources found');
    }
    if (flags.watch && !failed) {
      const f = fetched[0]!;
      const table = tables.get(f.target.resource) ?? new TableWriter();
      const printedHeader = tables.has(f.target.resource);
      await watchAndPrint(s, f, namespace, flags, opts, table, printedHeader);
    }
    if (failed) process.exitCode = 1;
  });
}

async function fetch(s: Session, target: Target, namespace: string, flags: GetFlags, onMissing: (err: ApiError) => void): Promise<Fetched> {
  const { resource, names } = target;
  if (names.length === 0) {
    const list = await s.client.list(resource, { namespace, labelSelector: flags.selector, fieldSelector: flags.fieldSelector });
    return { target, items: list.items, resourceVersion: list.resourceVersion };
  }
  const items: AnyObject[] = [];
  for (const name of names) {
    try {
      items.push(await s.client.get(resource, namespace, name));
    } catch (err) {
      if (!isApiError(err, Reason.NotFound)) throw err;
      onMissing(err);
    }
  }
  return { target, items, resourceVersion: items[0]?.metadata?.resourceVersion ?? '' };
}

/** Objects from a list may lack apiVersion/kind; printed objects always carry them. */
function withTypeMeta(r: ResourceName, o: AnyObject): AnyObject {
  const info = resourceInfo(r);
  return { ...o, apiVersion: info.apiVersion, kind: info.kind };
}

function printOne(format: 'yaml' | 'json', o: AnyObject): void {
  process.stdout.write(format === 'yaml' ? `---\n${toYaml(o)}` : toJson(o));
}

/** Upper bound on consecutive watch reconnections without an event in between. */
const MAX_RECONNECTS = 10;

/**
 * -w: one row (or object) per watch event from the list's resourceVersion until SIGINT or
 * SIGTERM; a dropped stream is resumed from the last event seen.
 */
async function watchAndPrint(
  s: Session,
  f: Fetched,
  namespace: string,
  flags: GetFlags,
  opts: TableOptions,
  table: TableWriter,
  printedHeader: boolean,
): Promise<void> {
  const r = f.target.resource;
  const name = f.target.names[0];
  const fieldSelector = [flags.fieldSelector, name ? `metadata.name=${name}` : ''].filter(Boolean).join(',');
  let rv = f.resourceVersion;
  let headerDone = printedHeader;
  let stop: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const onSignal = (): void => stop?.();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let lastProblem = '';
  try {
    for (let failures = 0; failures < MAX_RECONNECTS; ) {
      let gotEvent = false;
      let error: string | undefined;
      const handle = s.client.watch(r, { namespace, labelSelector: flags.selector, fieldSelector, resourceVersion: rv }, (e) => {
        if (e.type === 'ERROR') {
          error = `error: ${e.status.message ?? 'watch failed'}`;
          return;
        }
        if (e.type === 'BOOKMARK') return;
        gotEvent = true;
        rv = e.object.metadata?.resourceVersion ?? rv;
        if (flags.output === 'yaml' || flags.output === 'json') return printOne(flags.output, withTypeMeta(r, e.object));
        if (flags.output === 'name') return say(objectRef(r, e.object.metadata?.name ?? ''));
        const row = tableRow(r, e.object, { ...opts, now: Date.now() });
        const rows = headerDone ? [row] : [tableHeader(r, opts), row];
        headerDone = true;
        for (const line of table.format(rows)) say(line);
      });
      const outcome = await Promise.race([handle.done.then(() => 'ended' as const, (err: unknown) => err), stopped.then(() => 'stopped' as const)]);
      handle.close();
      if (outcome === 'stopped') return;
      if (error) throw new CliError(error);
      if (outcome !== 'ended') lastProblem = connectionProblem(outcome, s.servers) ?? (outcome instanceof Error ? outcome.message : String(outcome));
      // Only errors count towards giving up: a stream the server ended cleanly is just resumed.
      failures = gotEvent || outcome === 'ended' ? 0 : failures + 1;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise((res) => (timer = setTimeout(res, Math.min(5000, 200 * 2 ** failures)))), stopped]);
      clearTimeout(timer);
    }
    throw new CliError(`error: the watch kept failing: ${lastProblem}`);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
