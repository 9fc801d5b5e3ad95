import { readFileSync, writeFileSync } from 'node:fs';

/**
 * A minimal reader/runner for datadriven transcripts (after cockroachdb/datadriven):
 *
 *   # comment lines and blank lines between blocks are kept verbatim
 *   command arg1 key=value
 *   ----
 *   expected output (no blank lines; runs until the first blank line or EOF)
 *
 * With REWRITE=1 the expected outputs are replaced by the actual ones.
 */

export interface CmdArg {
  key: string;
  vals: string[];
}

export interface TestCase {
  /** `file:line` of the command, for failure messages. */
  pos: string;
  cmd: string;
  args: CmdArg[];
  expected: string;
}

interface Chunk {
  kind: 'text' | 'case';
  text: string;
  tc?: TestCase;
}

function parseArgs(words: string[]): CmdArg[] {
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) return { key: w, vals: [] };
    const raw = w.slice(eq + 1);
    const inner = raw.startsWith('(') && raw.endsWith(')') ? raw.slice(1, -1) : raw;
    return { key: w.slice(0, eq), vals: inner === '' ? [] : inner.split(',') };
  });
}

function parse(path: string, content: string): Chunk[] {
  const lines = content.split('\n');
  const chunks: Chunk[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '' || line.startsWith('#')) {
      chunks.push({ kind: 'text', text: line });
      i++;
      continue;
    }
    const pos = `${path}:${i + 1}`;
    const words = line.trim().split(/\s+/);
    i++;
    if (lines[i] !== '----') throw new Error(`${pos}: expected ---- after command`);
    i++;
    const out: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '') out.push(lines[i++]!);
    chunks.push({
      kind: 'case',
      text: line,
      tc: { pos, cmd: words[0]!, args: parseArgs(words.slice(1)), expected: out.join('\n') },
    });
  }
  return chunks;
}

/**
 * Runs every block of `path` through `run`, comparing outputs. Returns the mismatches
 * (empty when all pass). In rewrite mode the file is rewritten and nothing mismatches.
 */
export function runTranscript(path: string, run: (tc: TestCase) => string, rewrite: boolean): string[] {
  const content = readFileSync(path, 'utf8');
  const chunks = parse(path, content);
  const failures: string[] = [];
  const rewritten: string[] = [];
  for (const c of chunks) {
    if (c.kind === 'text' || c.tc === undefined) {
      rewritten.push(c.text);
      continue;
    }
    let actual: string;
    try {
      actual = run(c.tc);
    } catch (err) {
      actual = `panic: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
    }
    // Outputs end at a blank line, so they must not contain one.
    actual = actual
      .split('\n')
      .filter((l) => l.trim() !== '')
      .join('\n');
    if (actual === '') actual = 'ok';
    rewritten.push(c.text, '----', actual);
    if (!rewrite && actual !== c.tc.expected) {
      failures.push(`${c.tc.pos}: ${c.text}\n--- expected:\n${c.tc.expected}\n--- actual:\n${actual}`);
      // Later blocks depend on this one's state; stop at the first divergence.
      break;
    }
  }
  if (rewrite) writeFileSync(path, rewritten.join('\n'));
  return failures;
}
