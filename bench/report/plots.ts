// The report's plots: Vega-Lite specs rendered to SVG by vega's headless renderer (no browser).
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { KINDS, HOLD_PPS } from './suite.ts';
import type { ReportResults } from './types.ts';

/** One plot: its file name, title and SVG. */
export interface Plot {
  file: string;
  title: string;
  svg: string;
}

const WIDTH = 520;
const HEIGHT = 300;

async function render(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

const kindLabel = (kind: keyof typeof KINDS): string => KINDS[kind].label;

/** Line per kind of member against room size. */
function perKind(results: ReportResults, field: 'cpuPctPerMember' | 'rxPpsMin' | 'rssMb', title: string, rule?: number): TopLevelSpec {
  const values = results.rooms.map((r) => ({ members: r.members, value: r[field], kind: kindLabel(r.kind) }));
  const line = {
    mark: { type: 'line' as const, point: true },
    encoding: {
      x: { field: 'members', type: 'quantitative' as const, title: 'members in the room' },
      y: { field: 'value', type: 'quantitative' as const, title, scale: { zero: field !== 'rxPpsMin' } },
      color: { field: 'kind', type: 'nominal' as const, title: 'kind of member', legend: { orient: 'bottom' as const, columns: 1, labelLimit: 500 } },
    },
  };
  if (rule === undefined) return { width: WIDTH, height: HEIGHT, data: { values }, ...line } as TopLevelSpec;
  return {
    width: WIDTH,
    height: HEIGHT,
    layer: [
      { data: { values }, ...line },
      { data: { values: [{ y: rule }] }, mark: { type: 'rule', strokeDash: [6, 4], color: 'black' }, encoding: { y: { field: 'y', type: 'quantitative' } } },
    ],
  } as TopLevelSpec;
}

/** `values` in `bins` equal bins over their own range (vega-lite would bin every room over all of them). */
function histogram(values: number[], bins: number): Array<{ fromMs: number; toMs: number; count: number }> {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [];
  const low = Math.floor(Math.min(...finite));
  const width = Math.max(0.1, (Math.ceil(Math.max(...finite)) - low) / bins);
  const counts = new Array<number>(bins).fill(0);
  for (const v of finite) counts[Math.min(bins - 1, Math.floor((v - low) / width))]++;
  return counts.map((count, i) => ({ fromMs: low + i * width, toMs: low + (i + 1) * width, count }));
}

/** Every plot of a report. */
export async function renderPlots(results: ReportResults): Promise<Plot[]> {
  const plots: Array<{ file: string; title: string; spec: TopLevelSpec }> = [
    { file: 'cpu-per-member.svg', title: 'Engine CPU per member (% of one core) against room size', spec: perKind(results, 'cpuPctPerMember', '% of one core per member') },
    {
      file: 'rx-pps.svg',
      title: `Packets/s received by the least-served member (dashed: 50/s; a room holds at ${HOLD_PPS})`,
      spec: perKind(results, 'rxPpsMin', 'packets/s, least-served member', 50),
    },
    {
      file: 'tick-lateness-cdf.svg',
      title: 'Tick lateness of the media thread: CDF per room',
      spec: {
        width: WIDTH,
        height: HEIGHT,
        data: {
          values: results.rooms.flatMap((r) => r.latenessCdf.map(([fraction, ms]) => ({ fraction, ms, room: `${r.kind} ${r.members}` }))),
        },
        mark: { type: 'line', point: false, interpolate: 'step-after' },
        encoding: {
          x: { field: 'ms', type: 'quantitative', title: 'tick lateness, ms', scale: { type: 'symlog' } },
          y: { field: 'fraction', type: 'quantitative', title: 'fraction of ticks' },
          color: { field: 'room', type: 'nominal', title: 'room (kind, members)', legend: { orient: 'right', columns: 1 } },
        },
      } as TopLevelSpec,
    },
    {
      file: 'added-latency.svg',
      title: 'Engine-added latency, onset to onset (codec delay subtracted)',
      spec: {
        data: { values: results.latency.flatMap((l) => histogram(l.latenciesMs, 40).map((bin) => ({ ...bin, room: `${l.codec} ${l.members} members` }))) },
        // One histogram per room, each on its own scale: a room at tens of ms and one at hundreds both show their shape.
        facet: { row: { field: 'room', type: 'nominal', title: null } },
        spec: {
          width: WIDTH,
          height: 90,
          mark: { type: 'bar' },
          encoding: {
            x: { field: 'fromMs', type: 'quantitative', title: 'added latency, ms', scale: { zero: false } },
            x2: { field: 'toMs' },
            y: { field: 'count', type: 'quantitative', title: 'onsets' },
            y2: { datum: 0 },
            color: { field: 'room', type: 'nominal', legend: null },
          },
        },
        resolve: { scale: { x: 'independent', y: 'independent' } },
      } as TopLevelSpec,
    },
    { file: 'rss.svg', title: 'Engine process RSS (MB) against room size', spec: perKind(results, 'rssMb', 'RSS, MB') },
    {
      file: 'opus-level-per-bitrate.svg',
      title: 'Opus: a tone\'s level error and speech segmental SNR per bitrate, by conference rate (mono)',
      spec: {
        data: { values: results.bitrates.filter((b) => b.channels === 1).map((b) => ({ ...b, kbps: b.bitrate / 1000, rateLabel: `${b.rate / 1000} kHz` })) },
        hconcat: [
          {
            width: 300,
            height: 240,
            mark: { type: 'line', point: true },
            encoding: {
              x: { field: 'kbps', type: 'quantitative', title: 'bitrate, kbit/s' },
              y: { field: 'toneLevelErrorDb', type: 'quantitative', title: 'worst tone level error, dB' },
              color: { field: 'rateLabel', type: 'nominal', title: 'rate' },
            },
          },
          {
            width: 300,
            height: 240,
            mark: { type: 'line', point: true },
            encoding: {
              x: { field: 'kbps', type: 'quantitative', title: 'bitrate, kbit/s' },
              y: { field: 'speechSegmentalSnrDb', type: 'quantitative', title: 'speech segmental SNR, dB', scale: { zero: false } },
              color: { field: 'rateLabel', type: 'nominal', title: 'rate' },
            },
          },
        ],
      } as TopLevelSpec,
    },
  ];
  const out: Plot[] = [];
  for (const plot of plots) out.push({ file: plot.file, title: plot.title, svg: await render(plot.spec) });
  return out;
}
