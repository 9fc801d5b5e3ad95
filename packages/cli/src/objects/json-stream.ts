/** Where a problem in a text is: 1-based line and column. */
export interface TextPos {
  line: number;
  col: number;
}

/** A syntax error at a place in the text. */
export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
  constructor(
    message: string,
    readonly pos: TextPos,
  ) {
    super(message);
  }
}

/** One top-level JSON value and the line it starts on. */
export interface JsonDoc {
  value: unknown;
  line: number;
}

/**
 * Parses a stream of JSON values separated by whitespace (kubectl accepts several objects
 * one after another in a .json file), reporting the line and column of the first syntax
 * error. Strict JSON: no comments, no trailing commas, no missing values.
 */
export function parseJsonStream(text: string): JsonDoc[] {
  const p = new Parser(text);
  const out: JsonDoc[] = [];
  for (;;) {
    p.skipSpace();
    if (p.atEnd()) return out;
    const line = p.posOf(p.i).line;
    out.push({ value: p.value(), line });
  }
}

class Parser {
  i = 0;
  constructor(private readonly s: string) {}

  atEnd(): boolean {
    return this.i >= this.s.length;
  }

  posOf(index: number): TextPos {
    let line = 1;
    let start = 0;
    for (let k = 0; k < index && k < this.s.length; k++) {
      if (this.s.charCodeAt(k) === 10) {
        line++;
        start = k + 1;
      }
    }
    return { line, col: index - start + 1 };
  }

  fail(what: string): never {
    const ch = this.s[this.i];
    const found = ch === undefined ? 'end of input' : `${JSON.stringify(ch)}`;
    throw new JsonSyntaxError(`invalid JSON: ${what}, found ${found}`, this.posOf(this.i));
  }

  skipSpace(): void {
    while (this.i < this.s.length && ' \t\r\n\ufeff'.includes(this.s[this.i]!)) this.i++;
  }

  value(): unknown {
    this.skipSpace();
    const c = this.s[this.i];
    switch (c) {
      case '{':
        return this.object();
      case '[':
        return this.array();
      case '"':
        return this.string();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        if (c !== undefined && /[-0-9]/.test(c)) return this.number();
        return this.fail('expected a value');
    }
  }

  private object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.i++;
    this.skipSpace();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      if (this.s[this.i] !== '"') this.fail('expected a string key');
      const key = this.string();
      this.skipSpace();
      if (this.s[this.i] !== ':') this.fail(`expected ':' after key ${JSON.stringify(key)}`);
      this.i++;
      out[key] = this.value();
      this.skipSpace();
      const c = this.s[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === '}') {
        this.i++;
        return out;
      }
      this.fail("expected ',' or '}' after an object member");
    }
  }

  private array(): unknown[] {
    const out: unknown[] = [];
    this.i++;
    this.skipSpace();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.skipSpace();
      const c = this.s[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === ']') {
        this.i++;
        return out;
      }
      this.fail("expected ',' or ']' after an array element");
    }
  }

  private string(): string {
    const start = this.i;
    this.i++;
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === '"') {
        this.i++;
        try {
          return JSON.parse(this.s.slice(start, this.i)) as string;
        } catch {
          this.i = start;
          this.fail('malformed string');
        }
      }
      if (c === '\\') this.i += 2;
      else if (c === '\n') {
        this.i = start;
        this.fail('unterminated string');
      }
      else this.i++;
    }
    this.i = start;
    return this.fail('unterminated string');
  }

  private number(): number {
    const m = /-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/y;
    m.lastIndex = this.i;
    const r = m.exec(this.s);
    if (!r) return this.fail('malformed number');
    this.i = m.lastIndex;
    return Number(r[0]);
  }

  private literal<T>(word: string, v: T): T {
    if (this.s.startsWith(word, this.i)) {
      this.i += word.length;
      return v;
    }
    return this.fail('expected a value');
  }
}
