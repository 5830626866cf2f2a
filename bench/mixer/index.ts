// The mixer benchmark: builds bench/mixer/mixer_bench.cpp with CMake (target confmix_bench_mixer,
// not part of the default build), runs it, and tabulates participant-frames per second per core
// against the scalar baseline.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bench, BenchReport } from '../run.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where the benchmark binaries are built; CONFMIX_BENCH_BUILD_DIR overrides it. */
const buildDir = process.env.CONFMIX_BENCH_BUILD_DIR ?? join(root, 'build-bench');
const target = 'confmix_bench_mixer';

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

// Build chatter goes to stderr so stdout holds only the table and the JSON line.
const quiet: SpawnSyncOptions = { cwd: root, stdio: ['ignore', process.stderr, process.stderr] };

function runOrThrow(command: string, args: string[], what: string): void {
  const result = spawnSync(command, args, quiet);
  if (result.status !== 0) throw new Error(`${what} failed (${command} ${args.join(' ')})`);
}

function build(): string {
  runOrThrow('cmake', ['-S', root, '-B', buildDir, '-DCMAKE_BUILD_TYPE=Release'], 'configuring the benchmark build');
  runOrThrow('cmake', ['--build', buildDir, '--target', target, '-j', String(availableParallelism())], `building ${target}`);
  return join(buildDir, target);
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
    const binary = build();
    const result = spawnSync(binary, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (result.status !== 0) throw new Error(`${target} exited with status ${String(result.status)}`);
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
