import { ConfigError } from '@kemu/common';

/** One directive line, with the lines of its `{ }` block if it has one. */
export interface Directive {
  name: string;
  args: string[];
  block: Directive[];
  line: number;
}

/** A server block: `zone[:port] ... { directives }`. */
export interface ServerBlock {
  keys: Array<{ zone: string; port: number | undefined }>;
  directives: Directive[];
  line: number;
}

export class CorefileError extends ConfigError {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line} - Error during parsing: ${message}`);
  }
}

interface Token {
  text: string;
  line: number;
  /** First token on its line. */
  first: boolean;
  quoted: boolean;
}

function tokenize(text: string, file: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  let first = true;
  for (let i = 0; i < text.length; ) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      first = true;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') i++;
    else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '"') {
      let s = '';
      const start = line;
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        if (text[i] === '\n') line++;
        s += text[i++];
      }
      if (i >= text.length) throw new CorefileError(file, start, 'unterminated quoted string');
      i++;
      out.push({ text: s, line: start, first, quoted: true });
      first = false;
    } else {
      let s = '';
      while (i < text.length && !/[\s#"]/.test(text[i]!)) s += text[i++];
      out.push({ text: s, line, first, quoted: false });
      first = false;
    }
  }
  return out;
}

function parseKey(raw: string, file: string, line: number): { zone: string; port: number | undefined } {
  const key = raw.replace(/^dns:\/\//, '');
  const m = /^(.*?)(?::(\d+))?$/.exec(key)!;
  const zone = m[1] || '.';
  if (m[2] !== undefined) {
    const port = Number(m[2]);
    if (port > 65535) throw new CorefileError(file, line, `port ${m[2]} out of range in ${JSON.stringify(raw)}`);
    return { zone, port };
  }
  return { zone, port: undefined };
}

/** Parses Corefile syntax: server blocks of directives, each with an optional block. */
export function parseCorefile(text: string, file = 'Corefile'): ServerBlock[] {
  const toks = tokenize(text, file);
  let i = 0;
  const isOpen = (t: Token | undefined): boolean => t !== undefined && !t.quoted && t.text === '{';
  const isClose = (t: Token | undefined): boolean => t !== undefined && !t.quoted && t.text === '}';

  const directives = (depth: number): Directive[] => {
    const out: Directive[] = [];
    for (;;) {
      const t = toks[i];
      if (!t) throw new CorefileError(file, toks[i - 1]?.line ?? 1, 'unexpected end of file: missing }');
      if (isClose(t)) {
        i++;
        return out;
      }
      if (isOpen(t)) throw new CorefileError(file, t.line, 'unexpected {');
      const d: Directive = { name: t.text, args: [], block: [], line: t.line };
      i++;
      while (toks[i] && !toks[i]!.first && !isOpen(toks[i]) && !isClose(toks[i])) d.args.push(toks[i++]!.text);
      if (isOpen(toks[i]) && toks[i]!.line === t.line) {
        if (depth >= 1) throw new CorefileError(file, toks[i]!.line, `blocks nest at most one level (in ${d.name})`);
        i++;
        d.block = directives(depth + 1);
      }
      out.push(d);
    }
  };

  const blocks: ServerBlock[] = [];
  while (i < toks.length) {
    const start = toks[i]!;
    if (isOpen(start) || isClose(start)) throw new CorefileError(file, start.line, `unexpected ${start.text}`);
    const keys: ServerBlock['keys'] = [];
    while (toks[i] && !isOpen(toks[i])) {
      const k = toks[i]!;
      if (isClose(k)) throw new CorefileError(file, k.line, 'unexpected }');
      for (const part of k.text.split(',').filter(Boolean)) keys.push(parseKey(part, file, k.line));
      i++;
    }
    if (!toks[i]) throw new CorefileError(file, start.line, `server block ${JSON.stringify(start.text)} has no { }`);
    i++;
    blocks.push({ keys, directives: directives(0), line: start.line });
  }
  if (blocks.length === 0) throw new CorefileError(file, 1, 'no server blocks');
  return blocks;
}
