// SVG to PNG with whatever converter the machine has; kemu adds no dependency for it.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Converters in order of preference, with how each is told "in.svg to out.png". */
export const CONVERTERS: ReadonlyArray<{ name: string; args: (svg: string, png: string) => string[] }> = [
  { name: 'rsvg-convert', args: (svg, png) => ['-b', 'white', '-o', png, svg] },
  { name: 'magick', args: (svg, png) => [svg, png] },
  { name: 'convert', args: (svg, png) => [svg, png] },
  { name: 'inkscape', args: (svg, png) => [svg, `--export-filename=${png}`] },
];

export type PngResult = { kind: 'written'; path: string; converter: string } | { kind: 'skipped'; reason: string };

/** The full path of an executable named `name` on PATH, if any. */
export function onPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/**
 * Converts with the first converter found; a converter that fails is reported with its
 * message and the next one is tried.
 */
export function svgToPng(svgPath: string, pngPath: string): PngResult {
  const failures: string[] = [];
  for (const c of CONVERTERS) {
    const exe = onPath(c.name);
    if (!exe) continue;
    const r = spawnSync(exe, c.args(svgPath, pngPath), { encoding: 'utf8', timeout: 30_000 });
    if (r.status === 0 && existsSync(pngPath)) return { kind: 'written', path: pngPath, converter: c.name };
    failures.push(`${c.name}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n')[0] ?? ''}`);
  }
  return { kind: 'skipped', reason: failures.length === 0 ? 'PNG skipped: no converter (rsvg-convert, ImageMagick or inkscape)' : `PNG skipped: ${failures.join('; ')}` };
}
