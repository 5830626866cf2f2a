// The rooms a report runs: the scale curve per kind of member, the latency rooms, and the rooms
// repeated to measure run-to-run noise. Each room is one bench/load room (its own engine and
// generator processes), with the load benchmark's 10 % talkers.
import { CodecEncoder } from '../../src/native/testing/codecs.ts';
import { ENGINE_PORT_MAX, ENGINE_PORT_MIN, runRoomProcess } from '../load/index.ts';
import { DEFAULT_ENERGY_LEVEL, roomRate, talkerCount, type LoadCodec } from '../load/options.ts';
import type { OnsetConfig, RoomConfig, RoomResult } from '../load/protocol.ts';
import { LATENCY_CONFERENCE_RATE, ONSET_TALKERS, onsetConfig } from './latency.ts';
import type { MemberKind, ScaleRoom } from './types.ts';

/** A member holds at this many packets/s or more (of 50) ... */
export const HOLD_PPS = 49;
/** ... and the room's tick lateness p99 stays at or under this. */
export const HOLD_P99_MS = 1;
/** The load benchmark's share of talkers. */
const TALKER_FRACTION = 0.1;
/** Noisy Opus listeners send background noise at this level (RMS, dBFS): under the gate's default threshold. */
const NOISE_DBFS = -55;

/** How each kind's rooms are set up. */
export const KINDS: Record<MemberKind, { codec: LoadCodec; sdp: boolean; noisy: boolean; label: string }> = {
  pcmu: { codec: 'pcmu', sdp: false, noisy: false, label: 'PCMU (leg spec), 8 kHz room' },
  'opus-dtx': { codec: 'opus', sdp: false, noisy: false, label: 'Opus, listeners in DTX, 16 kHz room' },
  'opus-noisy': { codec: 'opus', sdp: false, noisy: true, label: `Opus, listeners sending ${NOISE_DBFS} dBFS noise, 16 kHz room` },
  sdp: { codec: 'pcmu', sdp: true, noisy: false, label: 'PCMU joined by SDP offer/answer, 8 kHz room' },
};

/** One room to run. */
export interface PlannedRoom {
  kind: MemberKind;
  members: number;
  /** Seconds of warm-up and of measured window. */
  warmupS: number;
  durationS: number;
  /** A latency room: onset talkers and traced probes, at the default conference rate. */
  latency?: boolean;
  /** Repeated to measure noise (not plotted twice). */
  repeat?: boolean;
}

/** Rough seconds a room takes beyond its warm-up and window (two processes, joins, teardown). */
export function estimatedSeconds(room: PlannedRoom): number {
  return room.warmupS + room.durationS + 4 + room.members / 400;
}

/** The suite: quick (under 3 minutes) or full (under 15). */
export function plan(quick: boolean): PlannedRoom[] {
  const scale = (kind: MemberKind, sizes: number[], warmupS: number, durationS: number): PlannedRoom[] =>
    sizes.map((members) => ({ kind, members, warmupS, durationS }));
  if (quick) {
    return [
      ...scale('pcmu', [50, 1000], 2, 2),
      ...scale('opus-dtx', [50, 500], 2, 2),
      ...scale('opus-noisy', [50, 300], 2, 2),
      ...scale('sdp', [50, 300], 2, 2),
      { kind: 'pcmu', members: 50, warmupS: 2, durationS: 2, repeat: true },
      { kind: 'opus-dtx', members: 50, warmupS: 2, durationS: 2, repeat: true },
      ...[10, 1000].flatMap((members) => (['pcmu', 'opus-dtx'] as const).map((kind) => ({ kind, members, warmupS: 2, durationS: 3, latency: true }))),
    ];
  }
  return [
    ...scale('pcmu', [100, 500, 1000, 2000, 3000, 4000], 3, 6),
    ...scale('opus-dtx', [100, 300, 600, 1000, 1500], 3, 6),
    ...scale('opus-noisy', [100, 300, 600, 1000], 3, 6),
    ...scale('sdp', [100, 500, 1000, 2000], 3, 6),
    ...[0, 1].flatMap(() => [
      { kind: 'pcmu' as const, members: 500, warmupS: 3, durationS: 6, repeat: true },
      { kind: 'opus-dtx' as const, members: 300, warmupS: 3, durationS: 6, repeat: true },
    ]),
    ...[10, 1000].flatMap((members) => (['pcmu', 'opus-dtx'] as const).map((kind) => ({ kind, members, warmupS: 4, durationS: 15, latency: true }))),
  ];
}

/** One second of background noise as Opus payloads, 20 ms each (hex), at NOISE_DBFS RMS. */
function noiseLoop(): string[] {
  const encoder = new CodecEncoder({ codec: 'opus' });
  const amplitude = 32767 * 10 ** (NOISE_DBFS / 20) * Math.sqrt(3); // uniform noise: RMS = amplitude / sqrt(3)
  let seed = 12345;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  return Array.from({ length: 50 }, () => {
    const frame = Int16Array.from({ length: 960 }, () => Math.round(amplitude * random()));
    return Buffer.from(encoder.encode(frame)).toString('hex');
  });
}

let noisy: string[] | undefined;

/** Runs one room; a latency room's result carries its traces, and the onsets it was sent. */
export async function runPlannedRoom(room: PlannedRoom): Promise<{ result: RoomResult; onsets?: OnsetConfig }> {
  const kind = KINDS[room.kind];
  const config: RoomConfig = {
    codec: kind.codec,
    members: room.members,
    talkers: room.latency ? ONSET_TALKERS : talkerCount(room.members, TALKER_FRACTION),
    durationS: room.durationS,
    warmupS: room.warmupS,
    rate: room.latency ? LATENCY_CONFERENCE_RATE : roomRate(kind.codec, undefined),
    portMin: ENGINE_PORT_MIN,
    portMax: ENGINE_PORT_MAX,
    rooms: 0,
    noisy: false,
    energyLevel: DEFAULT_ENERGY_LEVEL,
    ...(kind.sdp ? { sdp: true } : {}),
    ...(kind.noisy ? { listenerLoop: (noisy ??= noiseLoop()) } : {}),
    ...(room.latency ? { onsets: onsetConfig(kind.codec, room.members) } : {}),
  };
  return { result: await runRoomProcess(config), ...(config.onsets ? { onsets: config.onsets } : {}) };
}

/** A scale-curve room's figures. */
export function scaleRoom(kind: MemberKind, r: RoomResult): ScaleRoom {
  return {
    kind,
    members: r.members,
    talkers: r.talkers,
    rate: r.rate,
    cpuPctPerMember: r.cpuPctPerParticipant,
    engineCpuPct: r.engineCpuPct,
    rxPpsMin: r.rxPpsPerParticipantMin,
    rxPpsMean: r.rxPpsPerParticipantMean,
    latenessP50Ms: r.tickLatenessP50Ms,
    latenessP99Ms: r.tickLatenessP99Ms,
    latenessMaxMs: r.tickLatenessMaxMs,
    latenessCdf: r.tickLatenessCdf ?? [[0.5, r.tickLatenessP50Ms], [0.99, r.tickLatenessP99Ms], [1, r.tickLatenessMaxMs]],
    rssMb: r.rssMb,
    held: r.rxPpsPerParticipantMin >= HOLD_PPS && r.tickLatenessP99Ms <= HOLD_P99_MS,
  };
}
