import { parseArgs } from 'node:util';

/** A command-line mistake; the process prints the message and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface FlagSpec {
  type: 'string' | 'boolean';
  /** Placeholder shown in usage, e.g. `<port>`; booleans have none. */
  value?: string;
  description: string;
}

export type FlagValues = Record<string, string | boolean | undefined>;

/**
 * Parses `argv` against `specs` (plus `--help`). Unknown flags and stray positional
 * arguments are UsageErrors naming the flag as written; there is deliberately no
 * environment fallback, because a pod's environment holds Service variables
 * (`<SVC>_PORT=tcp://...`) that must never be read as flags.
 */
export function parseFlags(workload: string, argv: string[], specs: Record<string, FlagSpec>): FlagValues {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const [name, spec] of Object.entries(specs)) options[name] = { type: spec.type };
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind === 'option' && !(token.name in options)) {
      throw new UsageError(`${workload}: unknown flag ${token.rawName}`);
    }
    if (token.kind === 'positional') throw new UsageError(`${workload}: unexpected argument ${JSON.stringify(token.value)}`);
  }
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError(`${workload}: ${(err as Error).message}`, { cause: err });
  }
}

/** Usage text for one workload's flags. */
export function flagUsage(specs: Record<string, FlagSpec>): string {
  return Object.entries(specs)
    .map(([name, spec]) => `  --${`${name}${spec.value ? ` ${spec.value}` : ''}`.padEnd(24)} ${spec.description}`)
    .join('\n');
}

/** Optional string flag; `fallback` when absent. */
export function stringFlag(values: FlagValues, name: string, fallback: string): string {
  const v = values[name];
  return typeof v === 'string' ? v : fallback;
}

/** Optional integer flag within [min, max]. */
export function intFlag(workload: string, values: FlagValues, name: string, fallback: number, min: number, max: number): number {
  const v = values[name];
  if (typeof v !== 'string') return fallback;
  const n = /^-?\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${workload}: --${name}: invalid value ${JSON.stringify(v)}: must be an integer from ${min} to ${max}`);
  }
  return n;
}

/** Optional positive decimal flag (rates, seconds). */
export function positiveNumberFlag(workload: string, values: FlagValues, name: string, fallback: number): number {
  const v = values[name];
  if (typeof v !== 'string') return fallback;
  const n = /^\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
  if (!(n > 0) || !Number.isFinite(n)) {
    throw new UsageError(`${workload}: --${name}: invalid value ${JSON.stringify(v)}: must be a positive number`);
  }
  return n;
}
