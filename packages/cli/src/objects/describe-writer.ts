import { formatTable } from '../table.js';

type Line = { kind: 'field'; level: number; key: string; value: string[] } | { kind: 'text'; level: number; text: string };

/**
 * Builds `kubectl describe` text: `Key:  value` fields indented two spaces per level, the
 * values of consecutive fields aligned in one column, multi-line values continuing under
 * their first line, headings and small tables.
 */
export class DescribeWriter {
  private readonly lines: Line[] = [];

  /** `Key:  value`; an array value prints one item per line (`<none>` when empty). */
  field(level: number, key: string, value: string | number | boolean | readonly string[]): this {
    const v: string[] = typeof value === 'object' ? (value.length ? [...value] : ['<none>']) : [String(value)];
    this.lines.push({ kind: 'field', level, key, value: v });
    return this;
  }

  /** A heading (`Containers:`) or any other text on a line of its own. */
  text(level: number, text: string): this {
    this.lines.push({ kind: 'text', level, text });
    return this;
  }

  /** A table under the current heading; `dashes` adds kubectl's `----` line under the header. */
  table(level: number, header: readonly string[], rows: readonly (readonly string[])[], dashes = true): this {
    const all = dashes ? [header, header.map((h) => '-'.repeat(h.length)), ...rows] : [header, ...rows];
    for (const line of formatTable(all[0]!, all.slice(1))) this.text(level, line.trimEnd());
    return this;
  }

  toString(): string {
    const out: string[] = [];
    let i = 0;
    while (i < this.lines.length) {
      const first = this.lines[i]!;
      if (first.kind === 'text') {
        out.push(`${'  '.repeat(first.level)}${first.text}`);
        i++;
        continue;
      }
      // A block: consecutive field lines, whatever their level, share the value column
      // (as kubectl's tabwriter lines them up); a text line ends the block.
      let j = i;
      while (j < this.lines.length && this.lines[j]!.kind === 'field') j++;
      const block = this.lines.slice(i, j) as Array<Extract<Line, { kind: 'field' }>>;
      const width = Math.max(...block.map((l) => 2 * l.level + l.key.length + 1)) + 2;
      for (const l of block) {
        const [head = '', ...rest] = l.value;
        out.push(`${`${'  '.repeat(l.level)}${l.key}:`.padEnd(width)}${head}`.trimEnd());
        for (const r of rest) out.push(`${' '.repeat(width)}${r}`);
      }
      i = j;
    }
    return `${out.join('\n')}\n`;
  }
}

/** `k=v` lines of labels, sorted, for a describe field. */
export function labelLines(m: Readonly<Record<string, string>> | undefined): string[] {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${m![k]}`);
}

/** `k: v` lines of annotations, sorted, without kubectl's last-applied configuration (as kubectl describe). */
export function annotationLines(m: Readonly<Record<string, string>> | undefined): string[] {
  return Object.keys(m ?? {})
    .filter((k) => k !== 'kubectl.kubernetes.io/last-applied-configuration')
    .sort()
    .map((k) => {
      const v = m![k]!.replace(/\n$/, '');
      return `${k}: ${v.length > 140 || v.includes('\n') ? `${v.slice(0, 140).split('\n')[0]!}...` : v}`;
    });
}
