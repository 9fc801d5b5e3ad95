// The timeline chart of a chaos run, as a self-contained SVG document. Pure: data in,
// text out. Time runs left to right in seconds from the fault (0).
import type { EventSource } from './timeline.js';

export interface ChartBar {
  /** Where the second starts, in seconds from the fault (the fault's own second starts at or before 0). */
  startS: number;
  ok: number;
  failed: number;
}

export interface ChartInput {
  title: string;
  subtitle?: string;
  requests: readonly ChartBar[];
  /** The write probe's writes per second, drawn in a second panel when present. */
  writes?: readonly ChartBar[];
  /** Fault and heal, drawn as full-height dashed lines. */
  markers: ReadonlyArray<{ relS: number; kind: 'fault' | 'heal'; label: string }>;
  /** Control-plane events, drawn as numbered lines and listed under the chart. */
  events: ReadonlyArray<{ relS: number; source: EventSource; label: string }>;
}

const W = 1000;
const LEFT = 64;
const RIGHT = 24;
const PLOT_W = W - LEFT - RIGHT;
const REQ_TOP = 124;
const REQ_H = 220;
const WR_H = 90;
const GAP = 44;
const LINE_H = 16;
/** Events listed under the chart; the rest are in report.txt. */
export const MAX_LISTED_EVENTS = 80;
/** Longer lines are cut to fit the width (the full text is in report.txt). */
export const MAX_LABEL_CHARS = 120;

const cut = (s: string, max = MAX_LABEL_CHARS): string => (s.length > max ? `${s.slice(0, max - 3)}...` : s);

const COLORS = {
  ok: '#2e7d32',
  failed: '#c62828',
  fault: '#c62828',
  heal: '#1565c0',
  node: '#ef6c00',
  endpoints: '#6a1b9a',
  pod: '#0277bd',
  'controller-manager': '#00897b',
  etcd: '#795548',
} as const satisfies Record<string, string>;

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const fmt = (n: number): string => (Math.round(n * 10) / 10).toString();

/** A round axis maximum at or above `max` (1, 2, 2.5, 5 x 10^k). */
export function niceMax(max: number): number {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

export function renderChart(c: ChartInput): string {
  const starts = [...c.requests.map((b) => b.startS), ...(c.writes ?? []).map((b) => b.startS)];
  const x0 = Math.floor(Math.min(0, ...starts, ...c.markers.map((m) => m.relS)));
  const x1 = Math.ceil(Math.max(1, ...starts.map((r) => r + 1), ...c.markers.map((m) => m.relS)));
  const sx = (s: number): number => LEFT + ((s - x0) / (x1 - x0)) * PLOT_W;
  const barW = Math.max(1, PLOT_W / (x1 - x0) - 1);
  const hasWrites = c.writes !== undefined && c.writes.length > 0;
  const wrTop = REQ_TOP + REQ_H + GAP;
  const plotBottom = hasWrites ? wrTop + WR_H : REQ_TOP + REQ_H;
  const listed = c.events.slice(0, MAX_LISTED_EVENTS);
  const legendTop = plotBottom + 48;
  const more = c.events.length - listed.length;
  const H = legendTop + (listed.length + (more > 0 ? 1 : 0)) * LINE_H + 24;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect class="background" x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text class="title" x="${LEFT}" y="24" font-size="16" font-weight="bold">${escapeXml(c.title)}</text>`);
  if (c.subtitle) out.push(`<text class="subtitle" x="${LEFT}" y="42" fill="#555">${escapeXml(cut(c.subtitle, 140))}</text>`);
  // Series legend: bars as boxes, fault and heal as the dashed lines they are drawn with.
  const legend: Array<['ok' | 'failed' | 'fault' | 'heal', string]> = [
    ['ok', 'ok'],
    ['failed', 'failed'],
    ['fault', 'fault'],
    ['heal', 'heal'],
  ];
  legend.forEach(([k, label], i) => {
    const x = LEFT + i * 110;
    if (k === 'ok' || k === 'failed') out.push(`<rect x="${x}" y="54" width="12" height="12" fill="${COLORS[k]}"/>`);
    else out.push(`<line x1="${x + 6}" y1="52" x2="${x + 6}" y2="68" stroke="${COLORS[k]}" stroke-width="2" stroke-dasharray="4 2"/>`);
    out.push(`<text x="${x + 18}" y="64">${escapeXml(label)}</text>`);
  });
  out.push(`<text x="${LEFT + 4 * 110}" y="64" fill="#555">numbered lines: control-plane events, listed below</text>`);

  panel(out, 'requests', 'requests / s', c.requests, REQ_TOP, REQ_H, sx, barW, x0, x1);
  if (hasWrites) panel(out, 'writes', 'writes / s', c.writes ?? [], wrTop, WR_H, sx, barW, x0, x1);

  // Control-plane events: thin numbered lines from a band above the plot, numbers in two rows.
  listed.forEach((e, i) => {
    if (e.relS < x0 || e.relS > x1) return;
    const x = fmt(sx(e.relS));
    const color = COLORS[e.source];
    const ny = REQ_TOP - 18 + (i % 2) * 12;
    out.push(`<line class="event event-${e.source}" x1="${x}" y1="${ny + 2}" x2="${x}" y2="${plotBottom}" stroke="${color}" stroke-width="1" stroke-opacity="0.7"/>`);
    out.push(`<text class="event-number" x="${x}" y="${ny}" dx="2" fill="${color}" font-size="10">${i + 1}</text>`);
  });
  // Marker labels alternate between two rows when they would run into the previous one.
  let prevX = -Infinity;
  let row = 0;
  for (const m of [...c.markers].sort((a, b) => a.relS - b.relS)) {
    const xs = sx(m.relS);
    row = xs - prevX < 7 * (m.label.length + 2) ? 1 - row : 0;
    prevX = xs;
    const x = fmt(xs);
    out.push(`<line class="${m.kind}" x1="${x}" y1="${REQ_TOP - 36}" x2="${x}" y2="${plotBottom}" stroke="${COLORS[m.kind]}" stroke-width="2" stroke-dasharray="6 3"/>`);
    out.push(`<text class="${m.kind}-label" x="${x}" y="${REQ_TOP - 40 - row * 12}" text-anchor="middle" fill="${COLORS[m.kind]}" font-weight="bold">${escapeXml(m.label)}</text>`);
  }
  // Time axis.
  const step = niceMax((x1 - x0) / 12);
  for (let s = Math.ceil(x0 / step) * step; s <= x1; s += step) {
    out.push(`<text class="tick" x="${fmt(sx(s))}" y="${plotBottom + 16}" text-anchor="middle">${s >= 0 ? '+' : ''}${s}s</text>`);
  }
  out.push(`<text x="${LEFT + PLOT_W / 2}" y="${plotBottom + 32}" text-anchor="middle" fill="#555">seconds from the fault</text>`);
  // Event list.
  listed.forEach((e, i) => {
    const y = legendTop + i * LINE_H;
    const rel = `${e.relS >= 0 ? '+' : '-'}${Math.abs(e.relS).toFixed(1)} s`;
    out.push(
      `<text class="event-label" x="${LEFT}" y="${y}" font-size="11" fill="${COLORS[e.source]}">${i + 1}. ${escapeXml(rel)}  [${escapeXml(e.source)}] ${escapeXml(cut(e.label))}</text>`,
    );
  });
  if (more > 0) out.push(`<text x="${LEFT}" y="${legendTop + listed.length * LINE_H}" fill="#555">... and ${more} more events (see report.txt)</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function panel(
  out: string[],
  name: string,
  axisLabel: string,
  bars: readonly ChartBar[],
  top: number,
  height: number,
  sx: (s: number) => number,
  barW: number,
  x0: number,
  x1: number,
): void {
  const max = niceMax(Math.max(0, ...bars.map((b) => b.ok + b.failed)));
  const sy = (v: number): number => (v / max) * height;
  out.push(`<g class="panel panel-${name}">`);
  out.push(`<rect x="${LEFT}" y="${top}" width="${PLOT_W}" height="${height}" fill="none" stroke="#999"/>`);
  for (const v of [0, max / 2, max]) {
    const y = fmt(top + height - sy(v));
    out.push(`<line x1="${LEFT - 4}" y1="${y}" x2="${LEFT + PLOT_W}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${LEFT - 6}" y="${y}" dy="4" text-anchor="end">${fmt(v)}</text>`);
  }
  out.push(`<text transform="translate(14 ${top + height / 2}) rotate(-90)" text-anchor="middle" fill="#555">${escapeXml(axisLabel)}</text>`);
  for (const b of bars) {
    if (b.startS < x0 || b.startS + 1 > x1) continue;
    const x = fmt(sx(b.startS) + 0.5);
    const tip = `${b.startS >= 0 ? '+' : ''}${b.startS.toFixed(1)} s`;
    const okH = sy(b.ok);
    const failH = sy(b.failed);
    const base = top + height;
    if (b.ok > 0) out.push(`<rect class="ok" x="${x}" y="${fmt(base - okH)}" width="${fmt(barW)}" height="${fmt(okH)}" fill="${COLORS.ok}"><title>${tip}: ${b.ok} ok</title></rect>`);
    if (b.failed > 0) {
      out.push(
        `<rect class="failed" x="${x}" y="${fmt(base - okH - failH)}" width="${fmt(barW)}" height="${fmt(failH)}" fill="${COLORS.failed}"><title>${tip}: ${b.failed} failed</title></rect>`,
      );
    }
  }
  out.push('</g>');
}
