/** kubectl's tabwriter settings: cells padded by 3 spaces to at least 6 columns. */
const PADDING = 3;
const MIN_WIDTH = 6;

/**
 * Lays rows out as kubectl's table printer does: every column but the last left-aligned and
 * as wide as its widest cell plus three spaces (at least six), the last one unpadded.
 *
 * Invariant: column widths only grow. Rows printed later (a watch) line up with the rows
 * printed before them, as with tabwriter's RememberWidths.
 */
export class TableWriter {
  private widths: number[] = [];

  /** The lines for `rows` (the header, if any, is just the first row). */
  format(rows: readonly (readonly string[])[]): string[] {
    for (const row of rows) {
      row.forEach((cell, i) => {
        if (i === row.length - 1) return;
        this.widths[i] = Math.max(this.widths[i] ?? 0, MIN_WIDTH, cell.length + PADDING);
      });
    }
    return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(this.widths[i]!))).join(''));
  }
}

/** A one-off table: lines for a header and rows. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return new TableWriter().format([header, ...rows]);
}
