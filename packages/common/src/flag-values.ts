import { ConfigError } from './config.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** A duration flag in milliseconds: a bare integer is milliseconds, else Go's form ("40s", "1m30s", "1.5s", "500ms"). */
export function parseDuration(value: string, flag: string): number {
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const part = /(\d+(?:\.\d+)?)(ms|h|m|s)/y;
  let total = 0;
  let at = 0;
  while (at < v.length) {
    part.lastIndex = at;
    const m = part.exec(v);
    if (!m) break;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    at = part.lastIndex;
  }
  if (v.length === 0 || at !== v.length) {
    throw new ConfigError(`--${flag}: invalid duration ${JSON.stringify(value)} (want milliseconds or e.g. 40s, 5m, 1m30s)`);
  }
  return Math.round(total);
}

/** A host:port flag ([v6]:port allowed). */
export function parseHostPort(value: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value.trim());
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new ConfigError(`--${flag}: want host:port, got ${JSON.stringify(value)}`);
  return { host: m[1] ?? m[2] ?? '', port };
}
