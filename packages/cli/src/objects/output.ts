import { stringify } from 'yaml';

export { OUTPUT_FORMATS, type OutputFormat } from './output-formats.js';

/**
 * A copy of a JSON value with every object's keys in sorted order: kubectl prints objects
 * through Go maps, so `-o yaml` and `-o json` list fields alphabetically (apiVersion, kind,
 * metadata, spec, status). The input is not modified.
 */
export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

/** The `kind: List` kubectl wraps several objects in. */
export function asList(items: readonly unknown[]): Record<string, unknown> {
  return { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
}

/**
 * `-o yaml`: block style, sequences not indented under their key, no line folding, and
 * strings a YAML 1.1 reader would take for something else (timestamps, yes/no) quoted, as
 * kubectl (Go yaml.v2) prints them.
 */
export function toYaml(v: unknown): string {
  return stringify(sortKeys(v), { indentSeq: false, lineWidth: 0, minContentWidth: 0, version: '1.1' });
}

/** `-o json`: four-space indentation, as kubectl prints. */
export function toJson(v: unknown): string {
  return `${JSON.stringify(sortKeys(v), null, 4)}\n`;
}

/**
 * The text for objects printed with `-o yaml|json`: the object itself when the user named
 * exactly one, otherwise a List (even of one or none).
 */
export function formatObjects(format: 'yaml' | 'json', objects: readonly unknown[], single: boolean): string {
  const value = single && objects.length === 1 ? objects[0] : asList(objects);
  return format === 'yaml' ? toYaml(value) : toJson(value);
}
