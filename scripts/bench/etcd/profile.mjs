// @ts-check
// Summarises a V8 .cpuprofile (from `node --cpu-prof`): where a member spent its CPU time,
// by function (self and inclusive) and by source area.
import { readFileSync } from 'node:fs';

/**
 * @typedef {{ functionName: string, url: string, lineNumber: number }} CallFrame
 * @typedef {{ id: number, callFrame: CallFrame, hitCount?: number, children?: number[] }} ProfileNode
 * @typedef {{ nodes: ProfileNode[], samples: number[], timeDeltas: number[], startTime: number, endTime: number }} CpuProfile
 */

const ROOT = new URL('../../../', import.meta.url).pathname;

/** @param {CallFrame} f */
function where(f) {
  const url = f.url.replace(/^file:\/\//, '').replace(ROOT, '');
  return url ? `${url}:${f.lineNumber + 1}` : '';
}

/** @param {CallFrame} f */
function fnKey(f) {
  return `${f.functionName || '(anonymous)'} ${where(f)}`.trim();
}

/** Coarse area of a frame: a kemu package, a dependency, node internals, or V8 itself. @param {CallFrame} f */
function area(f) {
  const url = f.url.replace(/^file:\/\//, '').replace(ROOT, '');
  if (!url) return f.functionName.startsWith('(') ? f.functionName : '(native)';
  const pkg = /^packages\/([^/]+)\/dist\/(?:([^/]+)\/)?/.exec(url);
  if (pkg) return pkg[2] && !pkg[2].endsWith('.js') ? `packages/${pkg[1]}/${pkg[2]}` : `packages/${pkg[1]}`;
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dep) return `node_modules/${dep[1]}`;
  if (url.startsWith('node:')) return url.split('/')[0] ?? url;
  return url;
}

/**
 * @param {string} file
 * @param {number} [top]
 * @returns {string} a plain-text report
 */
export function summarizeProfile(file, top = 25) {
  /** @type {CpuProfile} */
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  /** @type {Map<number, ProfileNode>} */
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  /** @type {Map<number, number>} */
  const self = new Map();
  for (const id of prof.samples) self.set(id, (self.get(id) ?? 0) + 1);
  const total = prof.samples.length;

  /** @type {Map<string, number>} */
  const selfByFn = new Map();
  /** @type {Map<string, number>} */
  const selfByArea = new Map();
  /** @type {Map<string, number>} */
  const inclByFn = new Map();
  let idle = 0;

  const root = prof.nodes[0];
  if (!root) return '(empty profile)';
  walkIterative(root, byId, self, inclByFn);

  for (const n of prof.nodes) {
    const hits = self.get(n.id) ?? 0;
    if (hits === 0) continue;
    if (n.callFrame.functionName === '(idle)') {
      idle += hits;
      continue;
    }
    const key = fnKey(n.callFrame);
    selfByFn.set(key, (selfByFn.get(key) ?? 0) + hits);
    const a = area(n.callFrame);
    selfByArea.set(a, (selfByArea.get(a) ?? 0) + hits);
  }
  const busy = total - idle;
  const pct = (/** @type {number} */ x) => `${((x / Math.max(1, busy)) * 100).toFixed(1).padStart(5)}%`;
  const topOf = (/** @type {Map<string, number>} */ m, /** @type {(k: string) => boolean} */ keep = () => true) =>
    [...m.entries()].filter(([k]) => keep(k)).sort((a, b) => b[1] - a[1]).slice(0, top);
  const durS = (prof.endTime - prof.startTime) / 1e6;
  const lines = [
    `profile ${file}`,
    `${durS.toFixed(1)} s, ${total} samples, busy ${((busy / Math.max(1, total)) * 100).toFixed(0)}% (percentages below are of busy samples)`,
    '',
    'self time by area:',
    ...topOf(selfByArea).map(([k, v]) => `  ${pct(v)}  ${k}`),
    '',
    'self time by function:',
    ...topOf(selfByFn).map(([k, v]) => `  ${pct(v)}  ${k}`),
    '',
    'inclusive time, kemu functions (packages/etcd, packages/raft, packages/common):',
    ...topOf(inclByFn, (k) => /packages\/(etcd|raft|common)\//.test(k)).map(([k, v]) => `  ${pct(v)}  ${k}`),
  ];
  return lines.join('\n');
}

/**
 * Adds each node's self samples to every distinct function on its root path.
 * @param {ProfileNode} root
 * @param {Map<number, ProfileNode>} byId
 * @param {Map<number, number>} self
 * @param {Map<string, number>} out
 */
function walkIterative(root, byId, self, out) {
  /** @type {Array<{ node: ProfileNode, path: Set<string> }>} */
  const stack = [{ node: root, path: new Set() }];
  while (stack.length > 0) {
    const { node, path } = /** @type {{ node: ProfileNode, path: Set<string> }} */ (stack.pop());
    const key = fnKey(node.callFrame);
    const here = node.callFrame.url && !path.has(key) ? new Set([...path, key]) : path;
    const hits = self.get(node.id) ?? 0;
    if (hits > 0) for (const k of here) out.set(k, (out.get(k) ?? 0) + hits);
    for (const c of node.children ?? []) {
      const child = byId.get(c);
      if (child) stack.push({ node: child, path: here });
    }
  }
}
