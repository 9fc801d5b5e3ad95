import { isApiError, Reason, type KubeClient, type ResourceTypes } from '@kemu/api';
import { CliError } from '../context.js';
import { say } from '../commands/common.js';
import { connectionProblem, formatApiError, type ErrorContext } from './api-errors.js';
import { planApply } from './apply-plan.js';
import { objectRef } from './kinds.js';
import { readManifestSources } from './manifest-files.js';
import { identifyManifest, ManifestSyntaxError, parseManifests, type ManifestObject } from './manifest.js';
import { warn, withSession, type ConnectionFlags } from './session.js';

export interface ApplyFlags extends ConnectionFlags {
  filename?: string[];
  recursive?: boolean;
}

/** Attempts per object when someone else writes it between our read and our write. */
const CONFLICT_ATTEMPTS = 5;

/**
 * `kemu apply -f`: every document of every file in order, each created, configured or left
 * unchanged. A file with a syntax error is skipped whole; a document that fails is reported
 * and the rest go on; the exit status is 1 if anything failed. An unreachable apiserver
 * stops everything at once.
 */
export async function runApply(flags: ApplyFlags): Promise<void> {
  const files = flags.filename ?? [];
  if (files.length === 0) throw new CliError('error: must specify -f FILE|DIR|- (see kemu apply --help)');
  const sources = readManifestSources(files, flags.recursive ?? false);
  await withSession(flags, async (s) => {
    let failed = false;
    let seen = 0;
    for (const src of sources) {
      let docs;
      try {
        docs = parseManifests(src.text, src.name);
      } catch (err) {
        if (!(err instanceof ManifestSyntaxError)) throw err;
        warn(`error: ${err.message}`);
        failed = true;
        continue;
      }
      for (const doc of docs) {
        seen++;
        const id = identifyManifest(doc, { namespace: s.namespace, explicit: s.namespaceExplicit });
        if (!id.ok) {
          warn(id.message);
          failed = true;
          continue;
        }
        try {
          const result = await applyOne(s.client, id.value);
          say(`${objectRef(id.value.resource, id.value.name)} ${result}`);
        } catch (err) {
          const step = err instanceof ApplyStepError ? err : undefined;
          const cause = step?.error ?? err;
          const conn = connectionProblem(cause, s.servers);
          if (conn) throw new CliError(conn, 1, { cause });
          if (!isApiError(cause)) throw cause;
          warn(formatApiError(cause, { verb: step?.verb ?? 'applying', source: src.name }));
          failed = true;
        }
      }
    }
    if (seen === 0 && !failed) throw new CliError('error: no objects passed to apply');
    if (failed) process.exitCode = 1;
  });
}

/** A failed request of apply, with the step it failed in ("error when creating ..."). */
class ApplyStepError extends Error {
  override readonly name = 'ApplyStepError';
  constructor(
    readonly verb: ErrorContext['verb'],
    readonly error: unknown,
  ) {
    super(`${verb}: ${(error as Error).message}`, { cause: error });
  }
}

async function step<T>(verb: ErrorContext['verb'], call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw new ApplyStepError(verb, err);
  }
}

/** Creates, updates or leaves one object, and says which. */
async function applyOne(client: KubeClient, m: ManifestObject): Promise<'created' | 'configured' | 'unchanged'> {
  const r = m.resource;
  for (let attempt = 1; ; attempt++) {
    const live = await step('retrieving current configuration of', async () => {
      try {
        return await client.get(r, m.namespace, m.name);
      } catch (err) {
        if (isApiError(err, Reason.NotFound)) return undefined;
        throw err;
      }
    });
    const plan = planApply(m.object, live as Record<string, unknown> | undefined);
    try {
      switch (plan.action) {
        case 'unchanged':
          return 'unchanged';
        case 'create':
          await step('creating', () => client.create(r, plan.object as ResourceTypes[typeof r]));
          return 'created';
        case 'configure':
          if (plan.missingAnnotation) {
            warn(
              `Warning: resource ${r}/${m.name} is missing the kubectl.kubernetes.io/last-applied-configuration annotation ` +
                'which kemu apply keeps to know which fields it set (the object was not made by apply). The missing annotation will be patched automatically.',
            );
          }
          await step('patching', () => client.update(r, plan.object as ResourceTypes[typeof r]));
          return 'configured';
      }
    } catch (err) {
      // Someone wrote the object between our read and our write: read it again.
      const cause = err instanceof ApplyStepError ? err.error : err;
      const raced = isApiError(cause, Reason.Conflict) || (plan.action === 'create' && isApiError(cause, Reason.AlreadyExists));
      if (!raced || attempt >= CONFLICT_ATTEMPTS) throw err;
    }
  }
}
