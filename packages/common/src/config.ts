import { parseArgs } from 'node:util';

/**
 * Typed process configuration from command-line flags and environment variables.
 *
 * Each option has a flag (`--peer-port`), an environment variable (`KEMU_PEER_PORT`) and a
 * default that works for a local run. Precedence: flag, then environment, then default.
 * Unknown flags and unparsable values are errors that name the flag.
 */
export type OptionKind = 'string' | 'int' | 'bool' | 'list';

interface OptionSpecBase<K extends OptionKind, T> {
  kind: K;
  description: string;
  /** Environment variable; defaults to KEMU_<FLAG_IN_UPPER_SNAKE_CASE>. */
  env?: string;
  default: T;
}
export type OptionSpec =
  | OptionSpecBase<'string', string>
  | OptionSpecBase<'int', number>
  | OptionSpecBase<'bool', boolean>
  | OptionSpecBase<'list', string[]>;

type ValueOf<S extends OptionSpec> = S['default'];
export type Config<Specs extends Record<string, OptionSpec>> = { [K in keyof Specs]: ValueOf<Specs[K]> };

export class ConfigError extends Error {
  override readonly name: string = 'ConfigError';
}

const camelToKebab = (s: string): string => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const envName = (flag: string): string => `KEMU_${flag.replace(/-/g, '_').toUpperCase()}`;

function convert(spec: OptionSpec, flag: string, raw: string | boolean): string | number | boolean | string[] {
  switch (spec.kind) {
    case 'string':
      return String(raw);
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      throw new ConfigError(`--${flag}: invalid boolean ${JSON.stringify(raw)}`);
    case 'int': {
      const s = String(raw);
      if (!/^-?\d+$/.test(s)) throw new ConfigError(`--${flag}: invalid integer ${JSON.stringify(s)}`);
      return Number(s);
    }
    case 'list':
      return String(raw)
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x.length > 0);
  }
}

/** Parses argv and env against the specs. Keys are camelCase; flags are their kebab-case form. */
export function loadConfig<Specs extends Record<string, OptionSpec>>(
  specs: Specs,
  argv: string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): Config<Specs> {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const key of Object.keys(specs)) {
    const spec = specs[key]!;
    options[camelToKebab(key)] = { type: spec.kind === 'bool' ? 'boolean' : 'string' };
  }
  // parseArgs takes boolean flags bare only; `--leader-elect=false` (the Kubernetes
  // spelling for turning a default-true flag off) is read here instead.
  const boolFlags = new Set(Object.keys(specs).filter((k) => specs[k]!.kind === 'bool').map(camelToKebab));
  const assigned: Record<string, string> = {};
  const rest: string[] = [];
  for (const arg of argv) {
    const m = /^--([a-z0-9-]+)=(.*)$/.exec(arg);
    if (m && boolFlags.has(m[1]!)) assigned[m[1]!] = m[2]!;
    else rest.push(arg);
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    values = { ...assigned, ...parseArgs({ args: rest, options, strict: true, allowPositionals: false }).values };
  } catch (err) {
    throw new ConfigError((err as Error).message, { cause: err });
  }
  if (values['help'] === true) {
    process.stdout.write(usage(specs));
    process.exit(0);
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(specs)) {
    const spec = specs[key]!;
    const flag = camelToKebab(key);
    const fromFlag = values[flag];
    const fromEnv = env[spec.env ?? envName(flag)];
    const raw = fromFlag ?? fromEnv;
    out[key] = raw === undefined ? spec.default : convert(spec, flag, raw);
  }
  return out as Config<Specs>;
}

export function usage(specs: Record<string, OptionSpec>): string {
  const lines = ['Options:'];
  for (const key of Object.keys(specs)) {
    const spec = specs[key]!;
    const flag = camelToKebab(key);
    lines.push(
      `  --${flag.padEnd(28)} ${spec.description} (env ${spec.env ?? envName(flag)}, default ${JSON.stringify(spec.default)})`,
    );
  }
  return lines.join('\n') + '\n';
}
