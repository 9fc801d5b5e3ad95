/** Columns padded to their widest cell and three spaces apart, as kubectl prints them. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    header
      .map((_, i) => (cells[i] ?? '').padEnd(widths[i] ?? 0))
      .join('   ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
