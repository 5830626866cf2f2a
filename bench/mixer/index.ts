// The mixer benchmark: builds bench/mixer/mixer_bench.cpp with CMake (target confmix_bench_mixer,
// not part of the default build), runs it, and tabulates participant-frames per second per core
// against the scalar baseline.
import { spawnSync } from 'node:child_process';
import type { Bench, BenchReport } from '../run.ts';
import { buildBenchTarget, root } from '../nativeBench.ts';


/** One rate's figures, as the binary prints them. */
interface MixerResult {
  rate: number;
  members: number;
  talking: number;
  participantFramesPerSec: number;
  usPerTick: number;
  baselineParticipantFramesPerSec: number;
  baselineUsPerTick: number;
  baselineRatio: number;
  maxSampleDifference: number;
}


const format = (n: number): string => Math.round(n).toLocaleString('en-US');

function table(results: MixerResult[]): string {
  const header = ['rate Hz', 'members', 'talking', 'participant-frames/s', 'us/tick', 'baseline pf/s', 'baseline us/tick', 'ratio'];
  const rows = results.map((r) => [
    String(r.rate),
    String(r.members),
    String(r.talking),
    format(r.participantFramesPerSec),
    r.usPerTick.toFixed(1),
    format(r.baselineParticipantFramesPerSec),
    r.baselineUsPerTick.toFixed(1),
    `${r.baselineRatio.toFixed(2)}x`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** `npm run bench -- mixer [--members N] [--seconds S] [--rates 8000,16000,48000]` */
export const mixerBench: Bench = {
  description: 'participant-frames mixed per second per core (8, 16, 48 kHz, 20 ms, 10% talking) vs a scalar baseline',
  async run(args: string[]): Promise<BenchReport> {
    const binary = buildBenchTarget('confmix_bench_mixer');
    const result = spawnSync(binary, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (result.status !== 0) throw new Error(`${binary} exited with status ${String(result.status)}`);
    const results = JSON.parse(result.stdout.trim()) as MixerResult[];
    for (const r of results) {
      if (r.maxSampleDifference !== 0) throw new Error(`core and baseline disagree at ${r.rate} Hz by ${r.maxSampleDifference}`);
    }
    console.log('mixer: 20 ms ticks, one core (thread CPU time); baseline = scalar per-member N-1, no listen groups, no SIMD');
    console.log(table(results));
    return {
      bench: 'mixer',
      results: results.map((r) => ({
        rate: r.rate,
        participantFramesPerSec: Math.round(r.participantFramesPerSec),
        baselineRatio: Number(r.baselineRatio.toFixed(2)),
      })),
    };
  },
};
