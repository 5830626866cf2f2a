// The benchmark report's page in real Chromium: written from small synthetic results, opened
// from disk, every plot drawn with its marks, the summary table and the machine on top.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../bench/report/index.ts';
import { syntheticResults } from '../helpers/reportResults.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--allow-loopback-in-peer-connection',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--disable-background-networking',
  '--no-first-run',
  '--no-sandbox',
];

describe('the report page in Chromium', () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'confmix-report-'));
    await writeReport(syntheticResults(), dir);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes index.html, results.json and one SVG file per plot', () => {
    const files = readdirSync(dir).sort();
    expect(files).toEqual(expect.arrayContaining(['index.html', 'results.json', 'cpu-per-member.svg', 'rx-pps.svg', 'tick-lateness-cdf.svg', 'added-latency.svg', 'rss.svg']));
    expect(files.filter((f) => f.endsWith('.svg'))).toHaveLength(6);
  });

  it('draws every plot with its marks', async () => {
    const page = await browser.newPage();
    await page.goto(pathToFileURL(join(dir, 'index.html')).href);
    const plots = await page.$$eval('figure', (figures) =>
      figures.map((figure) => {
        const svg = figure.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        // Vega draws each mark as a path (lines, points, bars) or a line (rules) inside a role-mark group.
        const marks = Array.from(svg?.querySelectorAll('g.role-mark path, g.role-mark line') ?? []).filter(
          (mark) => mark.tagName === 'line' || (mark.getAttribute('d') ?? '').length > 2,
        );
        const kinds = new Set(Array.from(svg?.querySelectorAll('g.role-mark') ?? []).map((g) => g.getAttribute('class')));
        return { id: figure.id, width: box?.width ?? 0, height: box?.height ?? 0, marks: marks.length, kinds: [...kinds] };
      }),
    );
    await page.close();
    expect(plots.map((p) => p.id)).toEqual(['cpu-per-member', 'rx-pps', 'tick-lateness-cdf', 'added-latency', 'rss', 'opus-level-per-bitrate']);
    for (const plot of plots) {
      expect(plot.width, plot.id).toBeGreaterThan(100);
      expect(plot.height, plot.id).toBeGreaterThan(100);
    }
    const byId = Object.fromEntries(plots.map((p) => [p.id, p]));
    // Lines with a point per room: 2 kinds x 3 sizes -> 2 lines + 6 points.
    expect(byId['cpu-per-member'].marks).toBeGreaterThanOrEqual(8);
    expect(byId['cpu-per-member'].kinds.some((k) => k?.includes('mark-line'))).toBe(true);
    // And the 50/s rule.
    expect(byId['rx-pps'].kinds.some((k) => k?.includes('mark-rule'))).toBe(true);
    // One CDF line per room.
    expect(byId['tick-lateness-cdf'].marks).toBeGreaterThanOrEqual(6);
    // Histogram bars.
    expect(byId['added-latency'].kinds.some((k) => k?.includes('mark-rect'))).toBe(true);
    expect(byId['added-latency'].marks).toBeGreaterThanOrEqual(4);
    expect(byId.rss.marks).toBeGreaterThanOrEqual(8);
    expect(byId['opus-level-per-bitrate'].marks).toBeGreaterThanOrEqual(4);
  });

  it('puts the summary table and the machine on top', async () => {
    const page = await browser.newPage();
    await page.goto(pathToFileURL(join(dir, 'index.html')).href);
    const firstTable = await page.$$eval('table', (tables) => Array.from(tables[0].querySelectorAll('tbody tr')).map((tr) => Array.from(tr.children).map((td) => td.textContent)));
    const machine = await page.textContent('#machine');
    await page.close();
    expect(firstTable.map((row) => row[1])).toEqual(['1000', '500']);
    expect(machine).toContain('Test CPU, 2 cores, Linux 6.1');
  });
});
