import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeXml, MAX_LISTED_EVENTS, niceMax, renderChart, type ChartInput } from './svg-chart.js';

const input: ChartInput = {
  title: 'kemu chaos run node-kill',
  subtitle: 'kill node-2 <with pods> & all',
  requests: [
    { startS: -2.25, ok: 20, failed: 0 },
    { startS: -1.25, ok: 20, failed: 0 },
    { startS: -0.25, ok: 15, failed: 5 },
    { startS: 0.75, ok: 0, failed: 20 },
    { startS: 1.75, ok: 20, failed: 0 },
  ],
  writes: [
    { startS: -0.25, ok: 5, failed: 0 },
    { startS: 0.75, ok: 2, failed: 3 },
  ],
  markers: [
    { relS: 0, kind: 'fault', label: 'fault node-2' },
    { relS: 2.5, kind: 'heal', label: 'heal node-2' },
  ],
  events: [
    { relS: 1.2, source: 'node', label: 'node node-2 NotReady' },
    { relS: 1.4, source: 'endpoints', label: 'endpoint 127.63.130.2 out' },
  ],
};

const count = (svg: string, re: RegExp): number => (svg.match(re) ?? []).length;

test('the chart: stacked ok/failed bars per second, both panels, fault and heal lines, numbered events with their labels', () => {
  const svg = renderChart(input);
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="1000" height="\d+"/);
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  // Bars: ok where ok > 0 (4 request seconds + 2 write seconds), failed where failed > 0 (2 + 1).
  assert.equal(count(svg, /<rect class="ok"/g), 6);
  assert.equal(count(svg, /<rect class="failed"/g), 3);
  assert.match(svg, /<g class="panel panel-requests">/);
  assert.match(svg, /<g class="panel panel-writes">/);
  assert.equal(count(svg, /<line class="fault"/g), 1);
  assert.equal(count(svg, /<line class="heal"/g), 1);
  assert.match(svg, /<text class="fault-label"[^>]*>fault node-2<\/text>/);
  assert.equal(count(svg, /<line class="event event-(node|endpoints)"/g), 2);
  assert.match(svg, /<text class="event-label"[^>]*>1\. \+1\.2 s {2}\[node\] node node-2 NotReady<\/text>/);
  assert.match(svg, /2\. \+1\.4 s {2}\[endpoints\] endpoint 127\.63\.130\.2 out/);
  assert.match(svg, /kill node-2 &lt;with pods&gt; &amp; all/, 'text is escaped');
  assert.doesNotMatch(svg, /<with pods>/);
});

test('bars are stacked: failed sits on top of ok and a taller second is a taller bar', () => {
  const svg = renderChart({ ...input, writes: [] });
  const rect = (cls: string, n: number): { y: number; h: number } => {
    const all = [...svg.matchAll(new RegExp(`<rect class="${cls}" x="[\\d.]+" y="([\\d.]+)" width="[\\d.]+" height="([\\d.]+)"`, 'g'))];
    const m = all[n]!;
    return { y: Number(m[1]), h: Number(m[2]) };
  };
  // Second 0: 15 ok and 5 failed; the failed bar ends where the ok bar starts.
  const ok0 = rect('ok', 2);
  const failed0 = rect('failed', 0);
  assert.ok(Math.abs(failed0.y + failed0.h - ok0.y) < 0.11);
  assert.ok(Math.abs(ok0.h - 3 * failed0.h) < 0.2);
  assert.doesNotMatch(svg, /panel-writes/, 'no writes panel without writes');
  // One time axis: the fault line (0.25 s into its second) falls inside that second's bar.
  const faultX = Number(/<line class="fault" x1="([\d.]+)"/.exec(svg)![1]);
  const bar = /<rect class="ok" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"[^>]*><title>-0\.3 s: 15 ok/.exec(svg)!;
  const [x, w] = [Number(bar[1]), Number(bar[2])];
  assert.ok(x < faultX && faultX < x + w && faultX - x < w / 2, `fault at ${faultX}, bar from ${x} to ${x + w}`);
});

test('long timelines are cut with a pointer to report.txt; axis maxima are round', () => {
  const events = Array.from({ length: MAX_LISTED_EVENTS + 5 }, (_, i) => ({ relS: i / 10, source: 'pod' as const, label: `pod event ${i}` }));
  const svg = renderChart({ ...input, events });
  assert.equal(count(svg, /<text class="event-label"/g), MAX_LISTED_EVENTS);
  assert.match(svg, /\.\.\. and 5 more events \(see report\.txt\)/);
  assert.deepEqual([0, 1, 3, 20, 21, 26, 99, 101].map(niceMax), [1, 1, 5, 20, 25, 50, 100, 200]);
  assert.equal(escapeXml('a"b<c>&'), 'a&quot;b&lt;c&gt;&amp;');
});
