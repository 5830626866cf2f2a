// Voice processing through real shards, measured in what a listener hears: espeak-ng speech in
// white noise at 10 dB SNR comes out of the mix cleaner (SNR against the clean speech); a quiet
// talker is raised toward the AGC's target; with processing off the listener hears the talker's
// samples exactly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeSpeech } from '../../src/audio/speech.ts';
import { createEngine } from '../../src/index.ts';
import type { Conference, Engine, VoiceProcessingOptions } from '../../src/index.ts';
import { concat, seededRandom } from '../helpers/audio.ts';
import { Talker } from './engineHelpers.ts';

const RATE = 16000;
const FRAME = 320;
const BLOCK = RATE / 5; // 200 ms: a least-squares gain per block, so a slow AGC gain is not noise

let engine: Engine;
let clean: Int16Array;

beforeAll(async () => {
  engine = await createEngine({ shards: 1, portMin: 24500, portMax: 24599 });
  const sentence = 'The quick brown fox jumps over the lazy dog. Conference servers clean up every voice before they mix it.';
  const speech = await synthesizeSpeech({ sentence }, RATE);
  clean = new Int16Array(Math.floor(speech.length / FRAME) * FRAME);
  clean.set(speech.subarray(0, clean.length));
});

afterAll(async () => {
  await engine?.close();
});

function power(samples: ArrayLike<number>, from = 0, to = samples.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += samples[i] * samples[i];
  return sum / Math.max(1, to - from);
}

/** `speech` scaled by `gain` plus Gaussian-ish noise `snrDb` below the speech's power (seeded). */
function withNoise(speech: Int16Array, gain: number, snrDb: number | null): Int16Array {
  const random = seededRandom(11);
  const noiseRms = snrDb === null ? 0 : Math.sqrt((power(speech) * gain * gain) / 10 ** (snrDb / 10));
  const out = new Int16Array(speech.length);
  for (let i = 0; i < speech.length; i++) {
    // The sum of three uniforms: close enough to Gaussian, RMS noiseRms.
    const n = (random() + random() + random() - 1.5) * 2 * noiseRms;
    out[i] = Math.max(-32768, Math.min(32767, Math.round(speech[i] * gain + n)));
  }
  return out;
}

/**
 * Segmental SNR of `heard` from `lag` against `reference` (dB). Each block is read at the lag,
 * or a few whole frames either side when that fits it better: a tick the talker's app leg missed
 * under load shifts the rest of its speech by a frame.
 */
function snrDb(reference: Int16Array, heard: Int16Array, lag: number): number {
  let signal = 0;
  let noise = 0;
  for (let at = 0; at + BLOCK <= reference.length; at += BLOCK) {
    let best: { signal: number; noise: number } | null = null;
    for (let shift = -3; shift <= 3; shift++) {
      const from = lag + shift * FRAME;
      if (from + at < 0 || from + at + BLOCK > heard.length) continue;
      let rr = 0;
      let rh = 0;
      for (let i = at; i < at + BLOCK; i++) {
        rr += reference[i] * reference[i];
        rh += reference[i] * heard[from + i];
      }
      const g = rr > 0 ? rh / rr : 0;
      let blockSignal = 0;
      let blockNoise = 0;
      for (let i = at; i < at + BLOCK; i++) {
        const x = g * reference[i];
        blockSignal += x * x;
        blockNoise += (heard[from + i] - x) ** 2;
      }
      if (best === null || blockSignal * best.noise > best.signal * blockNoise) best = { signal: blockSignal, noise: blockNoise };
    }
    if (best === null) continue;
    signal += best.signal;
    noise += best.noise;
  }
  return 10 * Math.log10(signal / noise);
}

/** True when every frame of `sent` is among `heard`'s frames, exactly and in order. */
function heardExactly(sent: Int16Array, heard: Int16Array): boolean {
  let from = 0;
  for (let at = 0; at < sent.length; at += FRAME) {
    const frame = Buffer.from(sent.buffer, sent.byteOffset + at * 2, FRAME * 2);
    let found = -1;
    for (let h = from; h + FRAME <= heard.length && found < 0; h += FRAME) {
      if (Buffer.from(heard.buffer, heard.byteOffset + h * 2, FRAME * 2).equals(frame)) found = h;
    }
    if (found < 0) return false;
    from = found + FRAME;
  }
  return true;
}

/** Where `reference` starts in `heard`: 10 ms envelopes first, then the sample that fits best. */
function findLag(reference: Int16Array, heard: Int16Array): number {
  const envelope = (x: Int16Array): number[] => Array.from({ length: Math.floor(x.length / 160) }, (_, b) => Math.sqrt(power(x, b * 160, b * 160 + 160)));
  const r = envelope(reference);
  const h = envelope(heard);
  let bestBlock = 0;
  let bestScore = -Infinity;
  for (let lag = 0; lag + r.length <= h.length; lag++) {
    let score = 0;
    for (let i = 0; i < r.length; i++) score += r[i] * h[lag + i];
    if (score > bestScore) [bestScore, bestBlock] = [score, lag];
  }
  let best = 0;
  bestScore = -Infinity;
  for (let lag = Math.max(0, bestBlock * 160 - 160); lag <= bestBlock * 160 + 160 && lag + reference.length <= heard.length; lag++) {
    let score = 0;
    for (let i = 0; i < reference.length; i += 2) score += reference[i] * heard[lag + i];
    if (score > bestScore) [bestScore, best] = [score, lag];
  }
  return best;
}

/** Talker says `input` once into `conference`; returns what a listener heard from before it began to after it ended. */
async function sayAndHear(conference: Conference, input: Int16Array, voice: VoiceProcessingOptions | null): Promise<Int16Array> {
  const talking = await conference.addMember({ leg: await engine.createAppLeg({ rate: RATE }) });
  if (voice !== null) await talking.setVoiceProcessing(voice);
  const listening = await conference.addMember({ leg: await engine.createAppLeg({ rate: RATE }) });
  const talker = new Talker(talking.leg as never);
  const listener = new Talker(listening.leg as never);
  const start = listener.mark();
  let at = 0;
  talker.play({
    next: (samples) => {
      const frame = new Int16Array(samples);
      frame.set(input.subarray(at, Math.min(input.length, at + samples)));
      at += samples;
      return frame;
    },
  });
  await listener.waitFrames(input.length / FRAME + 20);
  const heard = concat(listener.heard.slice(start));
  await conference.update({ state: 'completed' });
  return heard;
}

describe('voice processing', () => {
  it('raises the SNR of speech in noise at 10 dB; off, the listener hears the talker exactly', async () => {
    // Peaks under -6 dBFS: the mix's limiter passes them bit-exact.
    const input = withNoise(clean, 0.4, 10);
    expect(Math.max(...input.map(Math.abs))).toBeLessThan(16384);
    const inputSnr = snrDb(clean, input, 0);
    expect(Math.abs(inputSnr - 10)).toBeLessThan(0.5);

    // Off: every frame the talker sent reaches the listener sample for sample.
    const off = await sayAndHear(await engine.createConference({ rate: RATE }), input, null);
    expect(heardExactly(input, off)).toBe(true);

    const on = await sayAndHear(await engine.createConference({ rate: RATE, media: { voiceProcessing: true } }), input, null);
    const onSnr = snrDb(clean, on, findLag(clean, on));
    expect(onSnr).toBeGreaterThan(inputSnr + 2);
  });

  it('raises a quiet talker toward the AGC target', async () => {
    const quiet = withNoise(clean, 0.05, null); // about -26 dB below the synthesized level
    const conference = await engine.createConference({ rate: RATE, 'energy-level': 0 });
    const heard = await sayAndHear(conference, quiet, { noiseSuppression: false, agcTargetDbfs: -18 });
    const lag = findLag(quiet, heard);
    // The second half, once the AGC has had time to settle.
    const half = Math.floor(quiet.length / 2);
    const before = 10 * Math.log10(power(quiet, half, quiet.length) / 32768 ** 2);
    const after = 10 * Math.log10(power(heard, lag + half, lag + quiet.length) / 32768 ** 2);
    expect(after - before).toBeGreaterThan(6);
    expect(Math.abs(after + 18)).toBeLessThan(Math.abs(before + 18));
  });

  it('refuses bad options with a typed error', async () => {
    const conference = await engine.createConference({ rate: RATE });
    const member = await conference.addMember({ leg: await engine.createAppLeg({ rate: RATE }) });
    await expect(member.setVoiceProcessing({ agcTargetDbfs: 3 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(member.setVoiceProcessing({ noiseSuppression: false, agc: false })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(member.setVoiceProcessing('yes' as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(member.voiceProcessing).toBeNull();
    await member.setVoiceProcessing({ agc: false });
    expect(member.voiceProcessing).toEqual({ agc: false });
    await expect(engine.createConference({ media: { voiceProcessing: 'on' as never } })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await conference.update({ state: 'completed' });
  });
});
