// `npm run bench -- report [--quick] [--compare FILE] [--sweep pcmu|opus] [--out DIR]`
// (also `confmix bench report`): runs a suite of load rooms, latency rooms and codec and
// resampler measurements, and writes DIR (default bench-report/) with index.html, results.json
// and the plots as SVG files. The JSON line lists, per kind of member, the largest room held and
// the engine-added latency.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Bench, BenchReport } from '../run.ts';
import { defaultOpusBitrate } from '../../src/native/testing/codecs.ts';
import { MEASURED_BITRATES, measureBitrates } from './bitrate.ts';
import { compareResults } from './compare.ts';
import { renderHtml } from './html.ts';
import { analyseLatency, LATENCY_CONFERENCE_RATE } from './latency.ts';
import { describeMachine } from './machine.ts';
import { parseReportArgs, type ReportOptions } from './options.ts';
import { renderPlots } from './plots.ts';
import { measureResamplers } from './resampler.ts';
import { estimatedSeconds, HOLD_P99_MS, HOLD_PPS, KINDS, plan, runPlannedRoom, scaleRoom, type PlannedRoom } from './suite.ts';
import { runSweep } from './sweep.ts';
import type { KindSummary, LatencyRoom, MemberKind, ReportResults, ScaleRoom } from './types.ts';

/** Seconds the codec stages take, roughly (for the progress bar). */
const BITRATE_STAGE_S = { quick: 10, full: 70 };
const RESAMPLER_STAGE_S = 5;
const PLOT_STAGE_S = 5;

/** A progress bar on stderr: the stage and the time left, from each stage's estimate. */
class Progress {
  readonly #bar = new SingleBar({
    format: 'report {bar} {percentage}% | {stage} | about {left} s left',
    stream: process.stderr,
    hideCursor: true,
    noTTYOutput: true,
    notTTYSchedule: 5000,
  });
  readonly #startMs = performance.now();
  #done = 0;

  constructor(readonly total: number) {
    this.#bar.start(Math.round(total), 0, { stage: 'starting', left: Math.round(total) });
  }

  /** Starts a stage. */
  stage(name: string): void {
    this.#bar.update(Math.round(this.#done), { stage: name, left: this.#left() });
  }

  /** Ends a stage estimated at `seconds`. */
  advance(seconds: number): void {
    this.#done += seconds;
    this.#bar.update(Math.round(this.#done), { left: this.#left() });
  }

  /** Ends the bar. */
  stop(): void {
    this.#bar.update(Math.round(this.total), { stage: 'done', left: 0 });
    this.#bar.stop();
  }

  // Scales what is left by how the run is keeping to its estimates so far.
  #left(): number {
    const elapsed = (performance.now() - this.#startMs) / 1000;
    const pace = this.#done > 0 ? elapsed / this.#done : 1;
    return Math.max(0, Math.round((this.total - this.#done) * pace));
  }
}

function commitOf(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

const spread = (values: number[]): number => {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return mean === 0 ? 0 : (Math.max(...values) - Math.min(...values)) / Math.abs(mean);
};

/** Run-to-run noise per figure kind: from rooms run more than once, and from the latency samples' halves. */
export function measureNoise(runs: Array<{ room: ScaleRoom }>, latency: Array<{ p50Noise: number; p99Noise: number }>): Record<string, number> {
  const noise: Record<string, number> = {};
  const groups = new Map<string, ScaleRoom[]>();
  for (const { room } of runs) groups.set(`${room.kind} ${room.members}`, [...(groups.get(`${room.kind} ${room.members}`) ?? []), room]);
  for (const metric of ['cpuPctPerMember', 'rxPpsMin', 'latenessP99Ms', 'rssMb'] as const) {
    const spreads = [...groups.values()].filter((g) => g.length > 1).map((g) => spread(g.map((r) => r[metric])));
    if (spreads.length > 0) noise[metric] = Math.max(...spreads);
  }
  if (latency.length > 0) {
    noise.addedLatencyP50Ms = Math.max(...latency.map((l) => l.p50Noise));
    noise.addedLatencyP99Ms = Math.max(...latency.map((l) => l.p99Noise));
  }
  return noise;
}

/** Per kind: the largest room held, and the added latency of its 1,000-member latency room. */
export function summarise(rooms: ScaleRoom[], latency: LatencyRoom[]): KindSummary[] {
  return (Object.keys(KINDS) as MemberKind[])
    .filter((kind) => rooms.some((r) => r.kind === kind))
    .map((kind) => {
      const mine = rooms.filter((r) => r.kind === kind);
      const held = mine.filter((r) => r.held).map((r) => r.members);
      const codec = kind === 'pcmu' ? 'pcmu' : kind === 'opus-dtx' ? 'opus' : null;
      const big = latency.filter((l) => l.codec === codec).sort((a, b) => b.members - a.members)[0];
      return {
        kind,
        largestRoomHeld: held.length > 0 ? Math.max(...held) : null,
        largestRoomTried: Math.max(...mine.map((r) => r.members)),
        addedLatencyP50Ms: big ? big.p50Ms : null,
        addedLatencyP99Ms: big ? big.p99Ms : null,
      };
    });
}

function printSummary(results: ReportResults): void {
  const rows = results.summary.map((s) =>
    [s.kind.padEnd(11), String(s.largestRoomHeld ?? 'none').padStart(8), String(s.largestRoomTried).padStart(8), (s.addedLatencyP50Ms?.toFixed(1) ?? '-').padStart(9), (s.addedLatencyP99Ms?.toFixed(1) ?? '-').padStart(9)].join('  '),
  );
  console.log(['kind         held max   tried  lat p50ms  lat p99ms', ...rows].join('\n'));
  for (const l of results.latency) {
    console.log(
      `latency ${l.codec} ${l.members}: ${l.samples} onsets, p50 ${l.p50Ms.toFixed(2)} ms, p99 ${l.p99Ms.toFixed(2)} ms, max ${l.maxMs.toFixed(2)} ms ` +
        `(room: rx min ${l.rxPpsMin.toFixed(1)}/s, lateness p99 ${l.latenessP99Ms.toFixed(2)} ms; jitter target ${l.jitterTargetMs?.toFixed(1) ?? '-'} ms (highest ${l.jitterTargetMaxMs?.toFixed(1) ?? '-'}), goal ${l.goalMs?.toFixed(1) ?? '-'} ms (p99 ${l.goalExcessP99Ms?.toFixed(1) ?? '-'} ms over each onset's own), codec delay ${l.codecDelayMs.toFixed(2)} ms subtracted); ` +
        `level ${l.listenerLevelErrorDbMean.toFixed(2)} dB (worst ${l.listenerLevelErrorDbWorst.toFixed(2)}), own tone ${l.ownStreamRejectionDb?.toFixed(1) ?? '-'} dB down (all heard meanwhile ${l.ownStreamResidualDb?.toFixed(1) ?? '-'} dB down), tone SNR ${l.roundTripSnrDb.toFixed(1)} dB`,
    );
  }
  for (const f of results.resampler) {
    console.log(`resampler ${f.inRate}->${f.outRate} ${f.phase}: delay ${f.delayMs.toFixed(2)} ms (passband max ${f.maxPassbandDelayMs.toFixed(2)}), gain ${f.passbandMinDb.toFixed(3)}..${f.passbandMaxDb.toFixed(3)} dB, rejection ${f.rejectionDb.toFixed(1)} dB`);
  }
  for (const b of results.bitrates.filter((x) => x.isDefault)) {
    console.log(`opus default ${b.rate} Hz ${b.channels}ch: ${b.bitrate / 1000} kbit/s, tone level ${b.toneLevelErrorDb.toFixed(2)} dB, speech segSNR ${b.speechSegmentalSnrDb.toFixed(2)} dB`);
  }
  if (results.compare) {
    console.log(`compared with ${results.compare.against}: ${results.compare.figures} figures, ${results.compare.regressions.length} worse beyond noise`);
    for (const r of results.compare.regressions) console.log(`  WORSE ${r.figure}: ${r.saved} -> ${r.current} (+${(r.worseBy * 100).toFixed(1)} %, noise allows ${(r.allowed * 100).toFixed(1)} %)`);
  }
}

/** Writes the report's files: results.json, every plot, index.html; returns the plots' file names. */
export async function writeReport(results: ReportResults, out: string): Promise<string[]> {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'results.json'), `${JSON.stringify(results, null, 1)}\n`);
  const plots = await renderPlots(results);
  for (const plot of plots) writeFileSync(join(out, plot.file), plot.svg);
  writeFileSync(join(out, 'index.html'), renderHtml(results, plots));
  return plots.map((plot) => plot.file);
}

/** Reads a saved results.json for --compare. */
function readSaved(path: string): ReportResults {
  const saved = JSON.parse(readFileSync(path, 'utf8')) as ReportResults;
  if (saved.schemaVersion !== 1) throw new Error(`${path}: not a report results file (schemaVersion ${String(saved.schemaVersion)})`);
  return saved;
}

async function runSuite(options: ReportOptions): Promise<{ results: ReportResults; plotFiles: string[] }> {
  const saved = options.compare ? readSaved(options.compare) : undefined; // read first: a bad file fails before the run
  const rooms = plan(options.quick);
  const bitrateS = BITRATE_STAGE_S[options.quick ? 'quick' : 'full'];
  const progress = new Progress(rooms.reduce((sum, r) => sum + estimatedSeconds(r), 0) + bitrateS + RESAMPLER_STAGE_S + PLOT_STAGE_S);
  const machine = describeMachine();
  const startMs = performance.now();
  const scale: Array<{ room: ScaleRoom; repeat: boolean }> = [];
  const latency: Array<LatencyRoom & { p50Noise: number; p99Noise: number }> = [];
  // The latency rooms' raw traces, kept beside the report so the analysis can be rerun.
  const traces: Array<{ kind: MemberKind; members: number; onsets: unknown; result: unknown }> = [];
  try {
    for (const room of rooms) {
      progress.stage(`${room.latency ? 'latency ' : ''}${room.kind} ${room.members} members`);
      const { result, onsets } = await runPlannedRoom(room);
      if (room.latency && onsets) {
        const codec = KINDS[room.kind].codec;
        const figures = analyseLatency(codec, result, onsets);
        traces.push({ kind: room.kind, members: room.members, onsets, result });
        latency.push({ ...figures, latenciesMs: figures.latenciesMs.map((ms) => Number(ms.toFixed(3))), rate: LATENCY_CONFERENCE_RATE, goalMet: figures.goalExcessP99Ms === null ? null : figures.goalExcessP99Ms <= 0 });
      } else {
        scale.push({ room: scaleRoom(room.kind, result), repeat: room.repeat === true });
      }
      progress.advance(estimatedSeconds(room));
    }
    progress.stage('Opus quality per bitrate');
    const bitrates = await measureBitrates(
      options.quick
        ? { defaults: defaultOpusBitrate, bitrates: [16000, 24000, 32000, 64000], rates: [8000, 16000], channels: [1] }
        : { defaults: defaultOpusBitrate, bitrates: MEASURED_BITRATES },
    );
    progress.advance(bitrateS);
    progress.stage('resampler before and after');
    const resampler = measureResamplers();
    progress.advance(RESAMPLER_STAGE_S);
    progress.stage('plots');
    const plotted = scale.filter((s) => !s.repeat).map((s) => s.room);
    const latencyRooms: LatencyRoom[] = latency.map(({ p50Noise: _p50, p99Noise: _p99, ...rest }) => rest);
    const results: ReportResults = {
      schemaVersion: 1,
      generatedAt: new Date().toISOString(),
      mode: options.quick ? 'quick' : 'full',
      commit: commitOf(),
      durationS: (performance.now() - startMs) / 1000,
      machine: machine.finish(),
      holdPps: HOLD_PPS,
      holdP99Ms: HOLD_P99_MS,
      rooms: plotted,
      summary: summarise(plotted, latencyRooms),
      latency: latencyRooms,
      bitrates,
      resampler,
      noise: measureNoise(scale, latency),
    };
    if (saved && options.compare) results.compare = { against: options.compare, ...compareResults(results, saved) };
    const plotFiles = await writeReport(results, options.out);
    writeFileSync(join(options.out, 'latency-traces.json'), JSON.stringify(traces));
    progress.advance(PLOT_STAGE_S);
    return { results, plotFiles };
  } finally {
    progress.stop();
  }
}

/** `npm run bench -- report`: the suite, its report directory and the JSON line. */
export const reportBench: Bench = {
  description: 'the whole harness in one report: scale curves, latency, quality, plots (bench-report/); --quick, --compare FILE, --sweep pcmu|opus',
  async run(args: string[]): Promise<BenchReport> {
    const options = parseReportArgs(args);
    if (options.sweep) return runSweep(options.sweep, options.out);
    const { results, plotFiles } = await runSuite(options);
    console.log(`report: ${results.mode} suite in ${results.durationS.toFixed(0)} s, written to ${resolve(options.out)}/ (index.html, results.json, ${plotFiles.join(', ')})`);
    printSummary(results);
    return {
      bench: 'report',
      results: results.summary.map((s) => ({
        kind: s.kind,
        largestRoomHeld: s.largestRoomHeld,
        addedLatencyP50Ms: s.addedLatencyP50Ms === null ? null : Number(s.addedLatencyP50Ms.toFixed(2)),
        addedLatencyP99Ms: s.addedLatencyP99Ms === null ? null : Number(s.addedLatencyP99Ms.toFixed(2)),
      })),
    };
  },
};
