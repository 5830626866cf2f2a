// The media benchmark: builds bench/media/media_bench.cpp with CMake (target confmix_bench_media,
// not part of the default build), runs it, checks the scenario held (talkers mixed, listeners
// not), and tabulates CPU per participant against the targets and the shared-encode baseline.
import { spawnSync } from 'node:child_process';
import type { Bench, BenchReport } from '../run.ts';
import { buildBenchTarget, root } from '../nativeBench.ts';


/** Targets, in % of one core per participant. */
const targetPct: Record<string, number> = { pcmu: 0.03, 'opus-dtx': 0.2, 'opus-noise': 0.2 };

/** One variant and size, as the binary prints it. */
interface MediaResult {
  variant: string;
  /** Conference rate, Hz. */
  rate: number;
  members: number;
  ticks: number;
  cpuSeconds: number;
  usPerTick: number;
  usPerParticipantSecond: number;
  cpuPctPerParticipant: number;
  encodesPerTick: number;
  /** Decoder calls per tick: probes and pre-rolls included. */
  decodesPerTick: number;
  packetsOutPerTick: number;
  bytesOutPerTick: number;
  mixedTalkers: number;
  mixedListeners: number;
  sharedOffTicks: number;
  sharedOffUsPerTick: number;
  sharedOffEncodesPerTick: number;
  sharedOffRatio: number;
  talkerPayloadBytes: number;
  listenerPayloadBytes: number;
  talkerDecodeUs: number;
  listenerDecodeUs: number;
  encodeUs: number;
  /** Payloads per tick not decoded because their sender marked them unvoiced (gate closed). */
  unvoicedSkipsPerTick: number;
  /** The tick with every member's voice processing on. */
  voiceUsPerTick: number;
  /** Frames processed per tick (those produced: decodes). */
  voiceProcessedPerTick: number;
  /** Extra CPU per processed member per tick, us. */
  voiceUsPerProcessedMember: number;
  /** CPU per member per tick without processing, us. */
  usPerMember: number;
  /** One frame through speexdsp alone, us. */
  voiceUs: number;
}


/** Talkers the binary picks: 10% of the members, rounded. */
const talkersOf = (members: number): number => Math.round(members * 0.1);

// The codec calls alone, at their single-state cost, as a share of the measured tick.
function codecShare(r: MediaResult): number {
  const talkers = talkersOf(r.members);
  const listenerDecodes = Math.max(0, r.decodesPerTick - talkers);
  const codecUs = r.encodesPerTick * r.encodeUs + talkers * r.talkerDecodeUs + listenerDecodes * r.listenerDecodeUs;
  return codecUs / r.usPerTick;
}

function table(results: MediaResult[]): string {
  const header = ['variant', 'rate', 'members', 'us/tick', 'us/participant/s', '% core/participant', 'target', 'enc/tick', 'dec/tick', 'unvoiced skips/tick', 'codec share', 'shared-off us/tick', 'off/on'];
  const rows = results.map((r) => {
    const target = targetPct[r.variant];
    return [
      r.variant,
      String(r.rate),
      String(r.members),
      r.usPerTick.toFixed(0),
      r.usPerParticipantSecond.toFixed(1),
      `${r.cpuPctPerParticipant.toFixed(4)}%`,
      `${r.cpuPctPerParticipant <= target ? 'met' : 'MISSED'} (<= ${target}%)`,
      r.encodesPerTick.toFixed(1),
      r.decodesPerTick.toFixed(1),
      r.unvoicedSkipsPerTick.toFixed(1),
      `~${Math.round(codecShare(r) * 100)}%`,
      r.sharedOffTicks > 0 ? r.sharedOffUsPerTick.toFixed(0) : '-',
      r.sharedOffTicks > 0 ? `${r.sharedOffRatio.toFixed(2)}x` : '-',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function voiceTable(results: MediaResult[]): string {
  const header = ['variant', 'members', 'us/member/tick unprocessed', 'processed/tick', 'us/tick on', 'us/processed member/tick', 'one frame alone us'];
  const rows = results.map((r) => [
    r.variant,
    String(r.members),
    r.usPerMember.toFixed(2),
    r.voiceProcessedPerTick.toFixed(1),
    r.voiceUsPerTick.toFixed(0),
    r.voiceUsPerProcessedMember.toFixed(2),
    r.voiceUs.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function codecLines(results: MediaResult[]): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const r of results) {
    if (seen.has(r.variant)) continue;
    seen.add(r.variant);
    lines.push(
      `  ${r.variant.padEnd(10)} payloads in: talker ${r.talkerPayloadBytes.toFixed(1)} B, listener ${r.listenerPayloadBytes.toFixed(1)} B;` +
        ` one call alone: talker decode ${r.talkerDecodeUs.toFixed(1)} us, listener decode ${r.listenerDecodeUs.toFixed(1)} us, encode ${r.encodeUs.toFixed(1)} us`,
    );
  }
  return lines;
}

/**
 * `npm run bench -- media [--variants pcmu,opus-dtx,opus-noise] [--members 100,500,1000] [--seconds S]
 * [--ticks T] [--shared-off yes|no] [--rate R]`: each phase is timed for at least T ticks (default 200)
 * and 0.5 s of CPU, or S seconds of CPU (default 2) if that comes first; `--shared-off no` skips the
 * baseline; `--rate` sets the conference rate (default: PCMU 8000, Opus 48000).
 */
export const mediaBench: Bench = {
  description: 'CPU per participant with codecs (PCMU 8 kHz, Opus 48 kHz with DTX or noisy listeners; --rate R for another conference rate), 10% talking, vs unshared encodes',
  async run(args: string[]): Promise<BenchReport> {
    const binary = buildBenchTarget('confmix_bench_media');
    const result = spawnSync(binary, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (result.status !== 0) throw new Error(`${binary} exited with status ${String(result.status)}`);
    const results = JSON.parse(result.stdout.trim()) as MediaResult[];
    for (const r of results) {
      // The scenario must have held, or the figures describe something else.
      if (r.mixedTalkers !== talkersOf(r.members) || r.mixedListeners !== 0) {
        throw new Error(`${r.variant}/${r.members}: ${r.mixedTalkers} talkers and ${r.mixedListeners} listeners in the mix, expected ${talkersOf(r.members)} and 0`);
      }
      if (r.packetsOutPerTick !== r.members) throw new Error(`${r.variant}/${r.members}: ${r.packetsOutPerTick} packets out per tick, expected ${r.members}`);
    }
    console.log('media: one conference, 20 ms ticks, 10% talking; one core (thread CPU time) for RTP parse, jitter buffer,');
    console.log('       decode, resample, mix, encode (shared per output group) and RTP headers. Packet I/O is not included:');
    console.log('       packets are pre-built and handed over with OnDatagram, output packets are only counted.');
    console.log('targets: PCMU <= 0.03% of a core per participant; Opus with 10% talkers <= 0.2%');
    console.log('unvoiced skips: Opus listeners\' frames their own encoder marks unvoiced are not decoded while their gate is');
    console.log('       closed, but for one probe decode per 200 ms (dec/tick counts probes and pre-rolls)');
    console.log('codec share: encodes and decodes priced at their one-call cost, over the measured tick');
    console.log(codecLines(results).join('\n'));
    console.log(table(results));
    console.log('voice processing (speexdsp noise suppression + AGC) on for every member: only produced frames are processed');
    console.log(voiceTable(results));
    return {
      bench: 'media',
      results: results.map((r) => ({
        variant: r.variant,
        rate: r.rate,
        members: r.members,
        cpuPctPerParticipant: Number(r.cpuPctPerParticipant.toPrecision(3)),
        encodesPerTick: Number(r.encodesPerTick.toFixed(2)),
        decodesPerTick: Number(r.decodesPerTick.toFixed(2)),
        sharedOffRatio: r.sharedOffTicks > 0 ? Number(r.sharedOffRatio.toFixed(2)) : null,
        usPerMember: Number(r.usPerMember.toFixed(2)),
        voiceUsPerProcessedMember: Number(r.voiceUsPerProcessedMember.toFixed(2)),
      })),
    };
  },
};
