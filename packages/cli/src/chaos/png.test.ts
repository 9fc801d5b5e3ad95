import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONVERTERS, onPath, svgToPng } from './png.js';

const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect x="0" y="0" width="40" height="20" fill="#2e7d32"/></svg>\n';

test('executables are found on PATH; nothing is found on an empty one', () => {
  assert.ok(onPath('sh')?.endsWith('/sh'));
  assert.equal(onPath('sh', ''), undefined);
  assert.equal(onPath('no-such-converter-kemu'), undefined);
});

test('an SVG becomes a PNG with the converter the machine has, or the report says PNG skipped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kemu-chaos-png-'));
  try {
    const svg = join(dir, 'chart.svg');
    const png = join(dir, 'chart.png');
    writeFileSync(svg, SVG);
    const r = svgToPng(svg, png);
    const available = CONVERTERS.some((c) => onPath(c.name) !== undefined);
    if (r.kind === 'written') {
      assert.ok(available);
      assert.deepEqual([...readFileSync(png).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG signature');
    } else {
      assert.match(r.reason, available ? /^PNG skipped: / : /^PNG skipped: no converter/);
      assert.equal(existsSync(png), false);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without any converter on PATH: PNG skipped: no converter', () => {
  const saved = process.env.PATH;
  process.env.PATH = '';
  try {
    const r = svgToPng('/nonexistent.svg', '/nonexistent.png');
    assert.deepEqual(r, { kind: 'skipped', reason: 'PNG skipped: no converter (rsvg-convert, ImageMagick or inkscape)' });
  } finally {
    process.env.PATH = saved;
  }
});
