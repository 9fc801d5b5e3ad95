// @ts-check
// BENCHMARKS.md holds one section per benchmark between `<!-- bench:<name>:begin/end -->`
// markers; each benchmark replaces only its own section.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Replaces (or appends) the section of benchmark `name`; the other sections are kept as they are.
 * @param {string} file
 * @param {string} name e.g. "etcd", "control-plane", "proxy"
 * @param {string} section markdown without the markers
 */
export function writeSection(file, name, section) {
  const begin = `<!-- bench:${name}:begin -->`;
  const end = `<!-- bench:${name}:end -->`;
  const block = `${begin}\n${section.trim()}\n${end}`;
  const old = existsSync(file)
    ? readFileSync(file, 'utf8')
    : '# Benchmarks\n\nFigures written by `npm run bench -- <name>` (see scripts/bench/README.md). Each section is replaced by its own benchmark; the others are kept.\n';
  const a = old.indexOf(begin);
  const b = old.indexOf(end);
  const next = a >= 0 && b > a ? old.slice(0, a) + block + old.slice(b + end.length) : `${old.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
}
