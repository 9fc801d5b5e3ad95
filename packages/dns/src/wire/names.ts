import { MAX_LABEL_OCTETS, MAX_NAME_OCTETS } from './constants.js';

/**
 * Names in two forms. Presentation form is the fully qualified text with a trailing dot
 * (`web.default.svc.cluster.local.`, the root is `.`); octets outside letters, digits, `-`,
 * `_` and `*` are written `\DDD` so that a label holding a dot cannot be mistaken for two.
 * Wire key form is the name's wire octets without the final zero octet, read as latin1,
 * letters lowered: cheap to take from a packet and unique per name, so it keys caches.
 */

const PLAIN = /^[a-z0-9_*-]*$/;

/** ASCII-only lowering (DNS case-insensitivity, RFC 4343): octets >= 0x80 stay as they are. */
export function lowerAscii(s: string): string {
  if (!/[A-Z]/.test(s)) return s;
  if (!/[\x80-\xff]/.test(s)) return s.toLowerCase();
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : s[i];
  }
  return out;
}

function escapeLabel(label: string): string {
  if (PLAIN.test(label)) return label;
  let out = '';
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i);
    const plain = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f || c === 0x2a;
    out += plain ? label[i] : `\\${String(c).padStart(3, '0')}`;
  }
  return out;
}

/** Wire key form to presentation form. */
export function keyToName(key: string): string {
  if (key === '') return '.';
  let out = '';
  for (let i = 0; i < key.length; ) {
    const len = key.charCodeAt(i);
    out += `${escapeLabel(key.slice(i + 1, i + 1 + len))}.`;
    i += 1 + len;
  }
  return out;
}

export class NameError extends Error {
  override readonly name = 'NameError';
}

/** Presentation form (with or without the trailing dot) to its labels, escapes undone. */
export function nameToLabels(name: string): string[] {
  if (name === '.' || name === '') return [];
  const labels: string[] = [];
  let cur = '';
  let total = 1;
  const end = name.endsWith('.') && !name.endsWith('\\.') ? name.length - 1 : name.length;
  for (let i = 0; i < end; i++) {
    const ch = name[i]!;
    if (ch === '\\') {
      const digits = /^\d{3}/.exec(name.slice(i + 1, i + 4));
      if (digits) {
        const v = Number(digits[0]);
        if (v > 255) throw new NameError(`bad escape in ${JSON.stringify(name)}`);
        cur += String.fromCharCode(v);
        i += 3;
      } else if (i + 1 < end) {
        cur += name[++i];
      } else {
        throw new NameError(`trailing backslash in ${JSON.stringify(name)}`);
      }
    } else if (ch === '.') {
      labels.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  labels.push(cur);
  for (const l of labels) {
    if (l.length === 0) throw new NameError(`empty label in ${JSON.stringify(name)}`);
    if (l.length > MAX_LABEL_OCTETS) throw new NameError(`label longer than ${MAX_LABEL_OCTETS} octets in ${JSON.stringify(name)}`);
    total += l.length + 1;
  }
  if (total > MAX_NAME_OCTETS) throw new NameError(`name longer than ${MAX_NAME_OCTETS} octets: ${JSON.stringify(name)}`);
  return labels;
}

/** Presentation form to wire key form (lowered). */
export function nameToKey(name: string): string {
  return lowerAscii(nameToLabels(name).map((l) => String.fromCharCode(l.length) + l).join(''));
}
