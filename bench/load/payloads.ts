// The media a load generator sends: pre-encoded tone frames for talkers, the fixed payload of
// everyone else, and the RTP framing.
import { CodecEncoder, g711Encode } from '../../src/native/testing/codecs.ts';
import type { LoadCodec } from './options.ts';

/** One RTP stream's codec as the generator sends it. */
export interface StreamFormat {
  /** RTP payload type. */
  payloadType: number;
  /** RTP clock, Hz. */
  clockRate: number;
  /** Samples per 20 ms frame at the codec's rate. */
  frameSamples: number;
}

/** Frames per tone loop: one second, so any whole-hertz tone loops without a seam. */
export const TONE_LOOP_FRAMES = 50;
/** The tones talkers send (Hz); talker i sends TONES_HZ[i % TONES_HZ.length]. */
export const TONES_HZ = [300, 425, 550, 700, 850, 1000, 1200, 1400] as const;
/** Tone amplitude: -20 dBFS peak, so a few hundred talkers still exercise the limiter's knee. */
export const TONE_AMPLITUDE = 3277;

/** The RTP format of each codec (Opus: dynamic payload type 111, 48 kHz clock). */
export const FORMATS: Record<LoadCodec, StreamFormat> = {
  pcmu: { payloadType: 0, clockRate: 8000, frameSamples: 160 },
  opus: { payloadType: 111, clockRate: 48000, frameSamples: 960 },
};

/**
 * The one payload every non-talker sends, looped:
 *   PCMU: 160 bytes every 20 ms that decode to noise, so the engine's gate (set never to open,
 *         see room.ts) keeps those members shut: the same decode and scoring work as silence.
 *   Opus: 1 byte every 40 ms, the TOC of a 40 ms packet (CELT, two frames) with empty frames,
 *         which the engine takes as DTX and does not decode.
 */
export const NON_TALKER_STREAMS: Record<LoadCodec, { intervalMs: number; payload: Uint8Array }> = {
  pcmu: { intervalMs: 20, payload: Uint8Array.from({ length: 160 }, (_, i) => 0xd5 ^ (i + 12)) },
  opus: { intervalMs: 40, payload: Uint8Array.of(0xd9) },
};

/**
 * What a key presser sends: RFC 4733 telephone-events on payload type 101 (8 kHz clock), one
 * complete press per 100 ms packet (its own timestamp, the end bit set, 20 ms long), keys 0-9 in
 * turn: ten keys a second, a fast dialler, which is what the engine lets one leg raise for as
 * long as it likes (faster pressing is cut to that and counted). Each packet is one new key.
 */
export const DTMF_STREAM = {
  payloadType: 101,
  clockRate: 8000,
  intervalMs: 100,
  frames: Array.from({ length: 10 }, (_, key) => Uint8Array.of(key, 0x80 | 10, 0, 160)),
};

/** Peak of the noise noisy Opus listeners send: a mean absolute level near 25, under the default
 *  gate threshold of 100 (a quiet room through a phone that never sends DTX). */
export const NOISE_AMPLITUDE = 50;

/** One second of white noise at `rate` (a fixed seed, so every run sends the same), as 20 ms frames. */
export function noiseFrames(rate: number): Int16Array[] {
  const frameSamples = rate / 50;
  let seed = 0x2545f491;
  const frames: Int16Array[] = [];
  for (let f = 0; f < TONE_LOOP_FRAMES; f++) {
    const frame = new Int16Array(frameSamples);
    for (let i = 0; i < frameSamples; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      frame[i] = Math.round(((seed / 2 ** 32) * 2 - 1) * NOISE_AMPLITUDE);
    }
    frames.push(frame);
  }
  return frames;
}

/** What a non-talker sends: the codec's fixed payload, or with `noisy` (Opus) a loop of noise
 *  frames encoded without DTX, 20 ms each, so every packet is decoded as audio. */
export function nonTalkerStream(codec: LoadCodec, noisy: boolean): { intervalMs: number; frames: Uint8Array[] } {
  if (!noisy || codec !== 'opus') {
    const { intervalMs, payload } = NON_TALKER_STREAMS[codec];
    return { intervalMs, frames: [payload] };
  }
  const encoder = new CodecEncoder({ codec: 'opus', clockRate: 48000, channels: 1 });
  return { intervalMs: 20, frames: noiseFrames(FORMATS.opus.clockRate).map((frame) => encoder.encode(frame)) };
}

/** One second of a sine at `rate`, as 20 ms frames. */
export function toneFrames(freqHz: number, rate: number): Int16Array[] {
  const frameSamples = rate / 50;
  const frames: Int16Array[] = [];
  for (let f = 0; f < TONE_LOOP_FRAMES; f++) {
    const frame = new Int16Array(frameSamples);
    for (let i = 0; i < frameSamples; i++) {
      frame[i] = Math.round(TONE_AMPLITUDE * Math.sin((2 * Math.PI * freqHz * (f * frameSamples + i)) / rate));
    }
    frames.push(frame);
  }
  return frames;
}

/** Encoded tone loops, one per entry of TONES_HZ: `loops[tone][frame]` is one RTP payload. */
export function encodeToneLoops(codec: LoadCodec): Uint8Array[][] {
  const format = FORMATS[codec];
  return TONES_HZ.map((freq) => {
    const frames = toneFrames(freq, format.clockRate);
    if (codec === 'pcmu') return frames.map((frame) => g711Encode('pcmu', frame));
    // A fresh encoder per tone: each loop starts from a clean encoder state.
    const encoder = new CodecEncoder({ codec: 'opus', clockRate: 48000, channels: 1 });
    return frames.map((frame) => encoder.encode(frame));
  });
}

/** Writes a 12-byte RTP header (version 2, no marker) for one packet into `out`. */
export function writeRtpHeader(out: Uint8Array, payloadType: number, sequence: number, timestamp: number, ssrc: number): void {
  const view = new DataView(out.buffer, out.byteOffset, 12);
  view.setUint8(0, 0x80);
  view.setUint8(1, payloadType & 0x7f);
  view.setUint16(2, sequence & 0xffff);
  view.setUint32(4, timestamp >>> 0);
  view.setUint32(8, ssrc >>> 0);
}
