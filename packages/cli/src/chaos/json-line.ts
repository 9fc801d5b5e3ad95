/** One line of a JSON-lines log as an object, or undefined when it is not a JSON object. */
export function jsonObjectLine(line: string): Record<string, unknown> | undefined {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return undefined;
  }
  return typeof o === 'object' && o !== null && !Array.isArray(o) ? (o as Record<string, unknown>) : undefined;
}
