import { LineCounter, parseAllDocuments } from 'yaml';
import { RESOURCES, resourceForKind, resourceInfo, type ResourceName } from '@kemu/api';
import { JsonSyntaxError, parseJsonStream, type TextPos } from './json-stream.js';

/** One document of a manifest file, with where it came from. */
export interface ManifestDoc {
  /** the file name as the user gave it, or "STDIN" */
  source: string;
  /** 1-based position of the document in its file (items of a List count one each) */
  index: number;
  /** the line it starts on */
  line: number;
  value: unknown;
}

/** A file that is not valid YAML/JSON: nothing in it is used. */
export class ManifestSyntaxError extends Error {
  override readonly name = 'ManifestSyntaxError';
  constructor(
    readonly source: string,
    readonly pos: TextPos,
    readonly detail: string,
    /** the offending line with a caret under the column, if known */
    readonly excerpt = '',
  ) {
    super(`error parsing ${source}:${pos.line}:${pos.col}: ${detail}${excerpt ? `\n${excerpt}` : ''}`);
  }
}

/**
 * The documents of a manifest: JSON (one or more values, when the text starts with `{` or
 * `[`, as kubectl decides) or multi-document YAML. Empty documents are skipped and a
 * `kind: List` contributes its items. Any syntax error rejects the whole text, so nothing of
 * a broken file is applied.
 */
export function parseManifests(text: string, source: string): ManifestDoc[] {
  const raw: Array<{ value: unknown; line: number }> = [];
  if (/^\s*[{[]/.test(text)) {
    try {
      raw.push(...parseJsonStream(text));
    } catch (err) {
      if (!(err instanceof JsonSyntaxError)) throw err;
      throw new ManifestSyntaxError(source, err.pos, err.message, excerptAt(text, err.pos));
    }
  } else {
    const lines = new LineCounter();
    const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true });
    for (const doc of Array.isArray(docs) ? docs : [docs]) {
      const e = doc.errors[0];
      if (e) {
        const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
        throw new ManifestSyntaxError(source, pos, e.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, ''), excerptAt(text, pos));
      }
      if (doc.contents === null) continue;
      const start = doc.contents.range[0];
      raw.push({ value: doc.toJS({ maxAliasCount: 100 }) as unknown, line: lines.linePos(start).line });
    }
  }
  const out: ManifestDoc[] = [];
  for (const r of raw) {
    if (r.value === null || r.value === undefined) continue;
    if (isList(r.value)) {
      for (const item of r.value.items) out.push({ source, index: out.length + 1, line: r.line, value: item });
    } else {
      out.push({ source, index: out.length + 1, line: r.line, value: r.value });
    }
  }
  return out;
}

function isList(v: unknown): v is { items: unknown[] } {
  if (!isObject(v)) return false;
  return typeof v['kind'] === 'string' && v['kind'].endsWith('List') && v['apiVersion'] === 'v1' && Array.isArray(v['items']);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The line at `pos` (and the one before, for context) with a caret under the column. */
function excerptAt(text: string, pos: TextPos): string {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const line = lines[pos.line - 1];
  if (line === undefined) return '';
  const before = pos.line >= 2 ? [`  ${pos.line - 1} | ${lines[pos.line - 2]!}`] : [];
  const gutter = `  ${pos.line} | `;
  return [...before, `${gutter}${line}`, `${' '.repeat(gutter.length + Math.max(0, pos.col - 1))}^`].join('\n');
}

/** `"app.yaml" (document 2, line 14)`: where a document is, for messages. */
export const docPlace = (d: ManifestDoc): string => `${JSON.stringify(d.source)} (document ${d.index}, line ${d.line})`;

/** A document resolved to the object it stands for. */
export interface ManifestObject {
  doc: ManifestDoc;
  resource: ResourceName;
  name: string;
  /** '' for cluster-scoped resources */
  namespace: string;
  /** the document as an object, with metadata.namespace set for namespaced resources */
  object: Record<string, unknown>;
}

/**
 * Resolves a document to a resource, name and namespace, or explains in kubectl's words
 * why it cannot be: not an object, no kind/apiVersion, a kind kemu does not serve, no
 * name, or a namespace different from an explicit --namespace.
 */
export function identifyManifest(
  doc: ManifestDoc,
  ns: { namespace: string; explicit: boolean },
): { ok: true; value: ManifestObject } | { ok: false; message: string } {
  const fail = (message: string): { ok: false; message: string } => ({ ok: false, message });
  const v = doc.value;
  if (!isObject(v)) {
    return fail(`error: unable to decode ${docPlace(doc)}: expected an object, got ${Array.isArray(v) ? 'an array' : typeof v}`);
  }
  const kind = v['kind'];
  const apiVersion = v['apiVersion'];
  if (typeof kind !== 'string' || kind === '') return fail(`error: unable to decode ${docPlace(doc)}: Object 'Kind' is missing`);
  if (typeof apiVersion !== 'string' || apiVersion === '') return fail(`error: unable to decode ${docPlace(doc)}: Object 'apiVersion' is missing`);
  const meta = isObject(v['metadata']) ? v['metadata'] : {};
  const name = typeof meta['name'] === 'string' ? meta['name'] : '';
  const docNs = typeof meta['namespace'] === 'string' ? meta['namespace'] : '';
  const resource = resourceForKind(apiVersion, kind);
  if (!resource) {
    const sameKind = (Object.keys(RESOURCES) as ResourceName[]).find((r) => resourceInfo(r).kind === kind);
    const hint = sameKind
      ? ` (kemu serves ${kind} in version "${resourceInfo(sameKind).apiVersion}")`
      : ` (kemu serves ${(Object.keys(RESOURCES) as ResourceName[]).map((r) => resourceInfo(r).kind).join(', ')})`;
    return fail(
      `error: resource mapping not found for name: ${JSON.stringify(name)} namespace: ${JSON.stringify(docNs)} from ${docPlace(doc)}: ` +
        `no matches for kind ${JSON.stringify(kind)} in version ${JSON.stringify(apiVersion)}${hint}`,
    );
  }
  if (name === '') return fail(`error: resource name may not be empty: ${kind} from ${docPlace(doc)}`);
  const object = structuredClone(v);
  let namespace = '';
  if (resourceInfo(resource).namespaced) {
    if (docNs && ns.explicit && docNs !== ns.namespace) {
      return fail(
        `error: the namespace from the provided object ${JSON.stringify(docNs)} does not match the namespace ${JSON.stringify(ns.namespace)}. ` +
          `You must pass '--namespace=${docNs}' to perform this operation.`,
      );
    }
    namespace = docNs || ns.namespace;
    object['metadata'] = { ...meta, namespace };
  }
  return { ok: true, value: { doc, resource, name, namespace, object } };
}
