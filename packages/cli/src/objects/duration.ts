/** Durations as kubectl reads them (--timeout); the AGE format lives in @kemu/api. */
export { age, humanDuration } from '@kemu/api';

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A Go duration ("90s", "1m30s", "1.5h", "500ms", "0") in milliseconds, as kubectl's
 * --timeout flags take them; a bare number is seconds. Throws on anything else.
 */
export function parseDuration(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < t.length) {
    re.lastIndex = pos;
    const m = re.exec(t);
    if (!m) throw new Error(`invalid duration "${text}": want e.g. 30s, 1m30s or 2h`);
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (t.length === 0) throw new Error(`invalid duration "${text}": want e.g. 30s, 1m30s or 2h`);
  return total;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A timestamp as `kubectl describe` prints it (Go's RFC1123Z), in the zone `offsetMinutes`
 * east of UTC: "Mon, 02 Jan 2006 15:04:05 -0700". "<unset>" if there is none.
 */
export function describeTime(timestamp: string | undefined, offsetMinutes: number): string {
  if (!timestamp) return '<unset>';
  const t = Date.parse(timestamp);
  if (Number.isNaN(t)) return timestamp;
  const d = new Date(t + offsetMinutes * 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const off = Math.abs(offsetMinutes);
  return (
    `${DAYS[d.getUTCDay()]}, ${pad2(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} ${sign}${pad2(Math.trunc(off / 60))}${pad2(off % 60)}`
  );
}
