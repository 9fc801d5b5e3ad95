import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { CliError } from '../context.js';

/** The text of one manifest file, and the name messages call it by. */
export interface ManifestSource {
  name: string;
  text: string;
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/**
 * Reads what `-f` names, in order: a file, `-` (standard input, called "STDIN"), or a
 * directory, whose .yaml/.yml/.json files are read in name order (and its subdirectories'
 * too with `recursive`). Every path is checked before anything is read, as kubectl does.
 */
export function readManifestSources(paths: readonly string[], recursive: boolean): ManifestSource[] {
  for (const p of paths) {
    if (p !== '-' && !existsSync(p)) throw new CliError(`error: the path ${JSON.stringify(p)} does not exist`);
  }
  const out: ManifestSource[] = [];
  for (const p of paths) {
    if (p === '-') out.push({ name: 'STDIN', text: readFileSync(0, 'utf8') });
    else if (statSync(p).isDirectory()) out.push(...readDir(p, recursive));
    else out.push({ name: p, text: readFileSync(p, 'utf8') });
  }
  return out;
}

function readDir(dir: string, recursive: boolean): ManifestSource[] {
  const out: ManifestSource[] = [];
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (recursive) out.push(...readDir(path, recursive));
    } else if (MANIFEST_EXTENSIONS.has(extname(e.name).toLowerCase())) {
      out.push({ name: path, text: readFileSync(path, 'utf8') });
    }
  }
  return out;
}
