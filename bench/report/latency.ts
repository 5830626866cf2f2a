// Engine-added latency, end to end, and the quality figures of the same runs.
//
// Each talker of a latency room sends a loop of silence with one 100 ms tone burst that starts
// sharply (a cosine at full amplitude on its first sample); talkers' bursts are 200 ms apart,
// each talker's gate has closed again before its next one. The native generator logs the wall
// clock just before the sendmmsg call that carries each burst's first packet, and the probes
// (listeners spread over the room) log every datagram with the kernel's arrival time. Offline,
// the probes' streams are decoded in order and each onset is found where the signal first
// passes a quarter of the burst's amplitude after 60 ms below a twentieth of it; the talker's
// own packets, decoded the same way, give the onset's place in the packet that carried it.
// Each onset is matched to the talker whose tone it carries, and to that talker's latest burst.
// Latency is the onset's time on the receive timeline minus its time on the send timeline
// (a packet's last sample is "now" when it is sent or arrives), less the delay of the codec's
// own encode and decode in the engine (Opus lookahead; 0 for G.711), which is stated.
// A talker's own stream is read in the ticks that carry its burst to a listener (the packets of
// one tick arrive together): the frames wholly inside the burst in the listener's stream, and the
// talker's frames that arrived with them. The tone is read in both under a Hann window, so the
// reference is the level the listener got through the same codecs, and neither broadband noise
// nor another talker's tone leaks into the bin.
import { CodecDecoder, CodecEncoder, g711Decode, g711Encode } from '../../src/native/testing/codecs.ts';
import type { LoadCodec } from '../load/options.ts';
import { FORMATS } from '../load/payloads.ts';
import type { JitterTargetSample, OnsetConfig, RoomResult, TraceRecord } from '../load/protocol.ts';
import { db, rms, toneAmplitude, windowedToneAmplitude } from './signal.ts';

/** Talkers of a latency room, each bursting in turn. */
export const ONSET_TALKERS = 4;
/** Frames (20 ms) in a talker's loop, between its burst and the next talker's. */
const LOOP_FRAMES = 40;
const BURST_FRAMES = 5;
const FRAME_MS = 20;
/** Burst tone of talker k, Hz: apart enough for Goertzel over 50 ms. */
export const ONSET_TONES_HZ = [500, 700, 900, 1100] as const;
/** -10 dBFS peak: far above comfort noise, below the limiter's knee (-6 dBFS). */
export const ONSET_AMPLITUDE = 10362;
/** The conference rate of latency rooms: the default, so 8 kHz PCMU members are resampled. */
export const LATENCY_CONFERENCE_RATE = 16000;

/** The figures of one latency room. */
export interface LatencyFigures {
  codec: LoadCodec;
  members: number;
  /** Onsets matched in the probes' streams. */
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Every matched latency, ms (for the histogram). */
  latenciesMs: number[];
  /** The talkers' jitter buffer targets, sampled every 250 ms over the run, ms (mean). */
  jitterTargetMs: number | null;
  /** Subtracted: the codec's own encode and decode delay in the engine. */
  codecDelayMs: number;
  /** The goal: one interval + the jitter buffer's target (its mean) + 2 ms. */
  goalMs: number | null;
  /** The highest target sampled, ms. */
  jitterTargetMaxMs: number | null;
  /** Each onset's latency less its own goal (with the target of its talker when it arrived), ms: p99. At or under 0, the goal is met. */
  goalExcessP99Ms: number | null;
  /** Listeners' level of each burst against what was sent, dB: mean and the worst. */
  listenerLevelErrorDbMean: number;
  listenerLevelErrorDbWorst: number;
  /** How far below a listener's level of its burst a talker hears its own tone in the same ticks, dB (the least over the bursts). */
  ownStreamRejectionDb: number | null;
  /** What a talker does hear in those ticks (others' codec noise, comfort noise), broadband, dB below the tone in a listener (median). */
  ownStreamResidualDb: number | null;
  /** Tone SNR of the bursts in listeners' streams after the whole path (codec round trips), dB (median). */
  roundTripSnrDb: number;
  /** The room's health: packets/s of its least-served member and tick lateness p99 (ms). */
  rxPpsMin: number;
  latenessP99Ms: number;
  /** Run-to-run noise of p50 and p99: the two halves' difference (alternate onsets), as a fraction. */
  p50Noise: number;
  p99Noise: number;
}

/** The PCM a codec's stream decodes to: its rate. */
function streamRate(codec: LoadCodec): number {
  return codec === 'pcmu' ? 8000 : LATENCY_CONFERENCE_RATE;
}

/** Talker k's loop as PCM at `rate`: silence, and the burst from frame 10k. */
function talkerLoopPcm(talker: number, rate: number): Int16Array[] {
  const frameSamples = (rate * FRAME_MS) / 1000;
  const first = (talker * LOOP_FRAMES) / ONSET_TALKERS;
  const freq = ONSET_TONES_HZ[talker];
  return Array.from({ length: LOOP_FRAMES }, (_, f) => {
    const frame = new Int16Array(frameSamples);
    if (f >= first && f < first + BURST_FRAMES) {
      for (let i = 0; i < frameSamples; i++) frame[i] = Math.round(ONSET_AMPLITUDE * Math.cos((2 * Math.PI * freq * ((f - first) * frameSamples + i)) / rate));
    }
    return frame;
  });
}

/** The payload loops the generator sends, one per talker. */
export function onsetLoops(codec: LoadCodec): Uint8Array[][] {
  const clock = FORMATS[codec].clockRate;
  return Array.from({ length: ONSET_TALKERS }, (_, talker) => {
    const pcm = talkerLoopPcm(talker, clock);
    if (codec === 'pcmu') return pcm.map((frame) => g711Encode('pcmu', frame));
    const encoder = new CodecEncoder({ codec: 'opus' });
    // Twice round, keeping the second: the loop's frames then follow an encoder state like their own.
    pcm.forEach((frame) => encoder.encode(frame));
    return pcm.map((frame) => encoder.encode(frame));
  });
}

/** The generator's onset settings for a room of `members`: probes first, middle and last listener. */
export function onsetConfig(codec: LoadCodec, members: number): OnsetConfig {
  const probes = [...new Set([ONSET_TALKERS, Math.floor((ONSET_TALKERS + members - 1) / 2), members - 1])].filter((m) => m >= ONSET_TALKERS && m < members);
  return { loops: onsetLoops(codec).map((loop) => loop.map((frame) => Buffer.from(frame).toString('hex'))), probes };
}

/** Where onsets are in `pcm`: the first sample above a quarter of the burst's amplitude, where
 *  the signal had stayed below a twentieth of it for 60 ms before it started to rise. */
export function findOnsets(pcm: Int16Array, rate: number): number[] {
  const high = ONSET_AMPLITUDE / 4;
  const low = ONSET_AMPLITUDE / 20;
  const quietNeeded = (rate * 60) / 1000;
  const onsets: number[] = [];
  let quiet = 0; // the current run below `low`
  let armed = false; // the rise under way followed a long enough quiet run
  for (let i = 0; i < pcm.length; i++) {
    const level = Math.abs(pcm[i]);
    if (level < low) {
      quiet++;
      continue;
    }
    if (quiet > 0) armed = quiet >= quietNeeded;
    quiet = 0;
    if (armed && level > high) {
      onsets.push(i);
      armed = false;
    }
  }
  return onsets;
}

/** A stream decoded in RTP sequence order; gaps are silence. Each packet's first sample and arrival. */
interface DecodedStream {
  pcm: Int16Array;
  /** Arrival time (ms) of the packet holding each 20 ms frame, by frame index. */
  arrivalMs: number[];
}

function decodeStream(codec: LoadCodec, trace: TraceRecord): DecodedStream {
  const rate = streamRate(codec);
  const frameSamples = (rate * FRAME_MS) / 1000;
  const decoder = codec === 'opus' ? new CodecDecoder({ codec: 'opus', pcmRate: rate }) : null;
  const frames: Int16Array[] = [];
  const arrivalMs: number[] = [];
  let lastSequence = -1;
  trace.receives.forEach((hex, i) => {
    const packet = Buffer.from(hex, 'hex');
    if (packet.length < 12 || (packet[0] & 0xc0) !== 0x80 || (packet[1] & 0x7f) !== FORMATS[codec].payloadType) return; // RTCP or other
    const sequence = packet.readUInt16BE(2);
    const payload = new Uint8Array(packet.subarray(12 + (packet[0] & 0x0f) * 4));
    if (lastSequence >= 0) {
      const gap = (sequence - lastSequence - 1) & 0xffff;
      if (gap > 0x8000) return; // late or repeated
      for (let g = 0; g < gap && g < 50; g++) {
        frames.push(new Int16Array(frameSamples));
        arrivalMs.push(NaN);
      }
    }
    lastSequence = sequence;
    const pcm = codec === 'pcmu' ? g711Decode('pcmu', payload) : decoder!.decode(payload);
    frames.push(pcm.length === frameSamples ? pcm : new Int16Array(frameSamples));
    arrivalMs.push(trace.receiveTimesMs[i]);
  });
  const pcm = new Int16Array(frames.length * frameSamples);
  frames.forEach((frame, f) => pcm.set(frame, f * frameSamples));
  return { pcm, arrivalMs };
}

/** Where the burst starts in talker k's own packets, decoded as the engine decodes them: samples into the burst's first packet. */
function sendOffsetSamples(codec: LoadCodec, loop: Uint8Array[], talker: number): number {
  const rate = streamRate(codec);
  const frameSamples = (rate * FRAME_MS) / 1000;
  const decoder = codec === 'opus' ? new CodecDecoder({ codec: 'opus', pcmRate: rate }) : null;
  // Twice round, searching the second: its burst then follows silence, as it does in the room.
  const twice = [...loop, ...loop];
  const pcm = new Int16Array(twice.length * frameSamples);
  twice.forEach((payload, f) => pcm.set(codec === 'pcmu' ? g711Decode('pcmu', payload) : decoder!.decode(payload), f * frameSamples));
  const first = ((talker * LOOP_FRAMES) / ONSET_TALKERS + loop.length) * frameSamples;
  const onset = findOnsets(pcm, rate).find((at) => at >= first - frameSamples);
  return (onset ?? first) - first;
}

/** The delay (ms) one more encode and decode at the conference rate adds to an onset: the engine's own coding of the mix. */
export function codecDelayMs(codec: LoadCodec): number {
  if (codec === 'pcmu') return 0;
  const rate = LATENCY_CONFERENCE_RATE;
  const pcm = talkerLoopPcm(1, rate);
  const encoder = new CodecEncoder({ codec: 'opus', pcmRate: rate });
  const decoder = new CodecDecoder({ codec: 'opus', pcmRate: rate });
  const input = new Int16Array(pcm.length * pcm[0].length);
  const output = new Int16Array(input.length);
  pcm.forEach((frame, f) => {
    input.set(frame, f * frame.length);
    output.set(decoder.decode(encoder.encode(frame)), f * frame.length);
  });
  const before = findOnsets(input, rate)[0];
  const after = findOnsets(output, rate)[0];
  return before === undefined || after === undefined ? 0 : ((after - before) * 1000) / rate;
}

/** How a talker hears its own burst, against a listener who hears it in the same ticks. */
interface OwnStreamReading {
  /** The burst's tone in the listener's frames over the same tone in the talker's own, dB. */
  rejectionDb: number;
  /** Everything in the talker's own frames (RMS, broadband) below the tone's RMS in the listener's, dB. */
  residualDb: number;
}

/** The least amplitude (and RMS) a reading of int16 audio takes, half a step: digital silence
 *  reads as the tone's level over it (86 dB for the bursts), not as a ratio to nothing. */
const SILENCE_FLOOR = 0.5;

/** Arrivals this close are the same tick's packets (the engine sends a tick's packets together). */
const SAME_TICK_MS = 5;

/**
 * The frames of `listener` that lie wholly inside the burst whose onset is at sample `at`, and the
 * talker's own frames that arrived with them (the same ticks' mix, less the talker): the tone's
 * amplitude in each under a Hann window, so the other talkers' tones 200 Hz away and broadband
 * codec or comfort noise stay out of the bin. Undefined when fewer than three frames pair up.
 */
function ownStreamAgainstListener(listener: DecodedStream, own: DecodedStream, at: number, freqHz: number, rate: number): OwnStreamReading | undefined {
  const frameSamples = (rate * FRAME_MS) / 1000;
  const first = Math.floor(at / frameSamples) + 1;
  const last = Math.floor((at + BURST_FRAMES * frameSamples) / frameSamples) - 1;
  const pairs: Array<[number, number]> = [];
  for (let f = first; f <= last; f++) {
    const arrival = listener.arrivalMs[f];
    if (!Number.isFinite(arrival)) return undefined;
    let nearest = -1;
    own.arrivalMs.forEach((ms, g) => {
      if (Math.abs(ms - arrival) <= SAME_TICK_MS && (nearest < 0 || Math.abs(ms - arrival) < Math.abs(own.arrivalMs[nearest] - arrival))) nearest = g;
    });
    if (nearest < 0 || (pairs.length > 0 && nearest !== pairs[pairs.length - 1][1] + 1)) return undefined;
    pairs.push([f, nearest]);
  }
  if (pairs.length < 3) return undefined;
  const span = (stream: DecodedStream, frame: number): Int16Array => stream.pcm.subarray(frame * frameSamples, (frame + pairs.length) * frameSamples);
  const reference = windowedToneAmplitude(span(listener, pairs[0][0]), freqHz, rate);
  const heard = span(own, pairs[0][1]);
  return {
    rejectionDb: db(reference / Math.max(SILENCE_FLOOR, windowedToneAmplitude(heard, freqHz, rate))),
    residualDb: db(reference / Math.SQRT2 / Math.max(SILENCE_FLOOR, rms(heard))),
  };
}

/** The goal's allowance beyond one interval and the jitter buffer's target, ms. */
const GOAL_SLACK_MS = 2;

/** Talker k's jitter buffer target as last sampled at or before `atWallMs` (the first sample before any), ms. */
function targetAt(samples: JitterTargetSample[], talker: number, atWallMs: number): number | null {
  let target: number | null = null;
  for (const sample of samples) {
    const value = sample.targetsMs[talker] ?? null;
    if (value === null) continue;
    if (sample.atWallMs > atWallMs && target !== null) break;
    target = value;
  }
  return target;
}

/** Percentile (0..1) of sorted values. */
export function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))];
}

const median = (values: number[]): number => percentile([...values].sort((a, b) => a - b), 0.5);

/** The figures of one latency room from its traces. */
export function analyseLatency(codec: LoadCodec, room: RoomResult, config: OnsetConfig): LatencyFigures {
  const traces = room.traces ?? [];
  const rate = streamRate(codec);
  const frameMs = FRAME_MS;
  const delay = codecDelayMs(codec);
  const loops = config.loops.map((loop) => loop.map((hex) => Uint8Array.from(Buffer.from(hex, 'hex'))));
  const windowStart = room.windowStartWallMs ?? 0;

  // Send timeline: each burst's onset time, by talker.
  const onsetsSent: Array<{ talker: number; atMs: number }> = [];
  for (let talker = 0; talker < ONSET_TALKERS; talker++) {
    const trace = traces.find((t) => t.member === talker);
    if (!trace) continue;
    const firstFrame = (talker * LOOP_FRAMES) / ONSET_TALKERS;
    const offsetMs = (sendOffsetSamples(codec, loops[talker % loops.length], talker) * 1000) / rate;
    trace.sendPackets.forEach((packet, i) => {
      const at = trace.sendTimesMs[i];
      if (packet % LOOP_FRAMES === firstFrame && at >= windowStart) onsetsSent.push({ talker, atMs: at - frameMs + offsetMs });
    });
  }
  onsetsSent.sort((a, b) => a.atMs - b.atMs);

  const latencies: number[] = [];
  const levelErrors: number[] = [];
  const snrs: number[] = [];
  const ownStreams = new Map<number, DecodedStream>();
  const ownStream = (talker: number): DecodedStream | undefined => {
    if (!ownStreams.has(talker)) {
      const trace = traces.find((t) => t.member === talker);
      if (trace) ownStreams.set(talker, decodeStream(codec, trace));
    }
    return ownStreams.get(talker);
  };
  const goalExcesses: number[] = [];
  const rejections: number[] = [];
  const residuals: number[] = [];
  const frameSamples = (rate * frameMs) / 1000;
  for (const probe of config.probes) {
    const trace = traces.find((t) => t.member === probe);
    if (!trace) continue;
    const stream = decodeStream(codec, trace);
    for (const at of findOnsets(stream.pcm, rate)) {
      const frame = Math.floor(at / frameSamples);
      const arrival = stream.arrivalMs[frame];
      if (!Number.isFinite(arrival)) continue;
      const receivedAt = arrival - frameMs + ((at % frameSamples) * 1000) / rate;
      // Whose burst it is (its tone over the first 40 ms), then that talker's latest burst sent
      // before it: a talker bursts every 800 ms, so any latency below that matches one burst.
      const head = stream.pcm.subarray(at, at + (rate * 40) / 1000);
      const talker = ONSET_TONES_HZ.map((f) => toneAmplitude(head, f, rate)).reduce((best, a, k, all) => (a > all[best] ? k : best), 0);
      let sent: (typeof onsetsSent)[number] | undefined;
      for (const s of onsetsSent) if (s.talker === talker && s.atMs <= receivedAt) sent = s;
      if (!sent || receivedAt - sent.atMs >= LOOP_FRAMES * FRAME_MS) continue;
      latencies.push(receivedAt - sent.atMs - delay);
      const target = targetAt(room.jitterTargets ?? [], talker, receivedAt);
      if (target !== null) goalExcesses.push(receivedAt - sent.atMs - delay - (frameMs + target + GOAL_SLACK_MS));
      // Quality: the burst's level and tone SNR from 20 ms to 90 ms after its onset.
      const body = stream.pcm.subarray(at + (rate * 20) / 1000, at + (rate * 90) / 1000);
      if (body.length < (rate * 70) / 1000) continue; // the stream ended inside the burst
      const amplitude = toneAmplitude(body, ONSET_TONES_HZ[sent.talker], rate);
      levelErrors.push(db(amplitude / ONSET_AMPLITUDE));
      const tonePower = (amplitude * amplitude) / 2;
      snrs.push(10 * Math.log10(tonePower / Math.max(1e-9, rms(body) ** 2 - tonePower)));
      const own = ownStream(talker);
      const heard = own && ownStreamAgainstListener(stream, own, at, ONSET_TONES_HZ[talker], rate);
      if (heard) {
        rejections.push(heard.rejectionDb);
        residuals.push(heard.residualDb);
      }
    }
  }
  // Own stream: the least rejection over every burst heard by a probe, and the median residual.
  const rejection = rejections.length > 0 ? Math.min(...rejections) : null;
  const residual = residuals.length > 0 ? median(residuals) : null;

  const sorted = [...latencies].sort((a, b) => a - b);
  const halves = [0, 1].map((h) => latencies.filter((_, i) => i % 2 === h).sort((a, b) => a - b));
  const spread = (q: number): number => Math.abs(percentile(halves[0], q) - percentile(halves[1], q)) / Math.max(1e-9, Math.abs(percentile(sorted, q)));
  const targets = (room.jitterTargets ?? []).flatMap((sample) => sample.targetsMs.filter((t): t is number => t !== null));
  const jitterTargetMs = targets.length > 0 ? targets.reduce((a, b) => a + b, 0) / targets.length : null;
  const excess = [...goalExcesses].sort((a, b) => a - b);
  return {
    codec,
    members: room.members,
    samples: sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.length > 0 ? sorted[sorted.length - 1] : NaN,
    latenciesMs: sorted,
    jitterTargetMs,
    codecDelayMs: delay,
    goalMs: jitterTargetMs === null ? null : frameMs + jitterTargetMs + GOAL_SLACK_MS,
    jitterTargetMaxMs: targets.length > 0 ? Math.max(...targets) : null,
    goalExcessP99Ms: excess.length > 0 ? percentile(excess, 0.99) : null,
    listenerLevelErrorDbMean: levelErrors.reduce((a, b) => a + b, 0) / Math.max(1, levelErrors.length),
    listenerLevelErrorDbWorst: levelErrors.reduce((w, e) => (Math.abs(e) > Math.abs(w) ? e : w), 0),
    ownStreamRejectionDb: rejection,
    ownStreamResidualDb: residual,
    roundTripSnrDb: median(snrs),
    rxPpsMin: room.rxPpsPerParticipantMin,
    latenessP99Ms: room.tickLatenessP99Ms,
    p50Noise: spread(0.5),
    p99Noise: spread(0.99),
  };
}
