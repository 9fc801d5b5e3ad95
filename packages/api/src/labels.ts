import { errors } from './errors.js';
import type { LabelSelector } from './gen/kemu/api/meta.js';

/** One term of a label selector. "in"/"notin" hold a set; exists/doesNotExist none. */
export type Requirement =
  | { readonly key: string; readonly op: 'in' | 'notin'; readonly values: readonly string[] }
  | { readonly key: string; readonly op: 'exists' | 'doesNotExist' };

/** A parsed selector: all requirements must hold. The empty selector matches everything. */
export class Selector {
  constructor(readonly requirements: readonly Requirement[]) {}

  static everything(): Selector {
    return new Selector([]);
  }
  /** A selector that matches nothing (a nil LabelSelector in Kubernetes). */
  static nothing(): Selector {
    return new Selector([{ key: '', op: 'in', values: [] }]);
  }

  matches(labels: Readonly<Record<string, string>> | undefined): boolean {
    const l = labels ?? {};
    for (const r of this.requirements) {
      const has = Object.hasOwn(l, r.key);
      switch (r.op) {
        case 'in':
          if (!has || !r.values.includes(l[r.key]!)) return false;
          break;
        case 'notin':
          if (has && r.values.includes(l[r.key]!)) return false;
          break;
        case 'exists':
          if (!has) return false;
          break;
        case 'doesNotExist':
          if (has) return false;
          break;
      }
    }
    return true;
  }

  isEverything(): boolean {
    return this.requirements.length === 0;
  }

  toString(): string {
    return this.requirements
      .map((r) => {
        switch (r.op) {
          case 'exists':
            return r.key;
          case 'doesNotExist':
            return `!${r.key}`;
          case 'in':
            return r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${r.values.join(',')})`;
          case 'notin':
            return r.values.length === 1 ? `${r.key}!=${r.values[0]}` : `${r.key} notin (${r.values.join(',')})`;
        }
      })
      .join(',');
  }
}

/** A Service's selector map: every key must equal its value. */
export function selectorFromMap(m: Readonly<Record<string, string>> | undefined): Selector {
  return new Selector(Object.entries(m ?? {}).map(([key, v]) => ({ key, op: 'in', values: [v] })));
}

/** metav1.LabelSelector -> Selector. An absent selector matches nothing, an empty one everything. */
export function selectorFromLabelSelector(s: LabelSelector | undefined): Selector {
  if (!s) return Selector.nothing();
  const reqs: Requirement[] = Object.entries(s.matchLabels ?? {}).map(([key, v]) => ({ key, op: 'in', values: [v] }));
  for (const e of s.matchExpressions ?? []) {
    const key = e.key ?? '';
    switch (e.operator) {
      case 'In':
        reqs.push({ key, op: 'in', values: e.values ?? [] });
        break;
      case 'NotIn':
        reqs.push({ key, op: 'notin', values: e.values ?? [] });
        break;
      case 'Exists':
        reqs.push({ key, op: 'exists' });
        break;
      case 'DoesNotExist':
        reqs.push({ key, op: 'doesNotExist' });
        break;
      default:
        throw errors.badRequest(`"${e.operator ?? ''}" is not a valid label selector operator`);
    }
  }
  return new Selector(reqs);
}

/**
 * Parses the string form used by `?labelSelector=` and `kubectl -l`:
 * `app=web,tier!=db,env in (a,b),!legacy,zone`.
 */
export function parseSelector(text: string): Selector {
  const reqs: Requirement[] = [];
  let i = 0;
  const s = text;
  const bad = (why: string): never => {
    throw errors.badRequest(`unable to parse requirement: ${why} in label selector ${JSON.stringify(text)}`);
  };
  const skipWs = (): void => {
    while (i < s.length && s[i] === ' ') i++;
  };
  const word = (): string => {
    skipWs();
    const start = i;
    while (i < s.length && /[A-Za-z0-9._\-/]/.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  skipWs();
  if (i === s.length) return Selector.everything();
  for (;;) {
    skipWs();
    let req: Requirement;
    if (s[i] === '!') {
      i++;
      const key = word();
      if (!key) bad('missing key after "!"');
      req = { key, op: 'doesNotExist' };
    } else {
      const key = word();
      if (!key) bad(`unexpected character at position ${i}`);
      skipWs();
      if (s.startsWith('==', i) || s.startsWith('!=', i)) {
        const op = s.startsWith('!=', i) ? 'notin' : 'in';
        i += 2;
        req = { key, op, values: [word()] };
      } else if (s[i] === '=') {
        i++;
        req = { key, op: 'in', values: [word()] };
      } else if (/^(in|notin)\s*\(/.test(s.slice(i))) {
        const op = s.startsWith('notin', i) ? 'notin' : 'in';
        i = s.indexOf('(', i) + 1;
        const values: string[] = [];
        for (;;) {
          values.push(word());
          skipWs();
          if (s[i] === ',') {
            i++;
            continue;
          }
          if (s[i] === ')') {
            i++;
            break;
          }
          bad('expected "," or ")"');
        }
        req = { key, op, values };
      } else {
        req = { key, op: 'exists' };
      }
    }
    reqs.push(req);
    skipWs();
    if (i === s.length) break;
    if (s[i] !== ',') bad(`unexpected character ${JSON.stringify(s[i])}`);
    i++;
  }
  return new Selector(reqs);
}

/** Field selectors kemu supports, as kube-apiserver does for these resources. */
export interface FieldRequirement {
  readonly field: string;
  readonly op: '=' | '!=';
  readonly value: string;
}

export function parseFieldSelector(text: string, supported: readonly string[]): FieldRequirement[] {
  if (!text.trim()) return [];
  return text.split(',').map((term) => {
    const m = /^\s*([A-Za-z.]+)\s*(==|!=|=)\s*([^,]*?)\s*$/.exec(term);
    if (!m) throw errors.badRequest(`invalid field selector: ${JSON.stringify(term)}`);
    const field = m[1]!;
    if (!supported.includes(field)) {
      throw errors.badRequest(`field label not supported: ${field}`);
    }
    return { field, op: m[2] === '!=' ? '!=' : '=', value: m[3]! };
  });
}
