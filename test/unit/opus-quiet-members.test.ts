// Quiet Opus members (DecodePolicy::kQuiet): a member whose decoded frames stay well under what it
// takes to be heard (its gate closed, or far below the active talkers' cut) has a payload that
// may start speech (a VAD onset, or one clearly larger than its noise's) decoded at once, every
// other voiced one otherwise, and unvoiced ones only as probes. Measured against the path that
// decodes everything (skipUnvoiced off), on real libopus streams.
import { describe, expect, it } from 'vitest';
import { CodecDecoder, CodecEncoder } from '../../src/native/testing/codecs.ts';
import { framesByMember, NativeMediaConference, type MediaTickOutput } from '../../src/native/testing/mediaConference.ts';
import { goertzelAmplitude, ratioDb, seededRandom, ToneGenerator, whiteNoise } from '../helpers/audio.ts';
import { RtpStreamBuilder } from '../helpers/rtp.ts';
import { type CallVoice, LISTENING_TEST_TALKERS, LISTENING_TEST_TICKS } from '../helpers/listeningTest.ts';

const RATE = 16000;
const INTERVAL = 20;
const FRAME = 960; // 20 ms at 48 kHz, what the senders encode
const TONE_PEAK = 3277; // -20 dBFS
const opus = { codec: 'opus', payloadType: 111 } as const;

function opusStream(ssrc: number): RtpStreamBuilder {
  return new RtpStreamBuilder({ ssrc, payloadType: 111, samplesPerPacket: FRAME }, { sequence: 1000 + ssrc, timestamp: 90000 * ssrc });
}

/** Noise whose level swells and fades (a fan, traffic): the sender's VAD calls its loud phases
 *  voiced, so skipping unvoiced payloads alone still decodes them. Peak 60: under the gate. */
function swellingNoise(seed: number): (t: number) => Int16Array {
  const random = seededRandom(seed);
  return (t) => {
    const gain = 0.5 + 0.5 * Math.sin((2 * Math.PI * t) / 13);
    return whiteNoise(FRAME, 60, random).map((v) => Math.round(v * gain)) as Int16Array;
  };
}

/** What a member starts to say: a steady tone, or a voiced sound (harmonics, a 4 Hz syllable rhythm). */
const onsets = {
  tone: (freq: number) => {
    const tone = new ToneGenerator(freq, TONE_PEAK, 48000);
    return () => tone.next(FRAME);
  },
  speech: (freq: number) => {
    const harmonics = [1, 2, 3].map((h) => new ToneGenerator(freq * h, TONE_PEAK / h, 48000));
    let n = 0;
    return () => {
      const parts = harmonics.map((h) => h.next(FRAME));
      const frame = new Int16Array(FRAME);
      for (let i = 0; i < FRAME; i++, n++) {
        const syllable = 0.6 + 0.4 * Math.sin((2 * Math.PI * 4 * n) / 48000);
        frame[i] = Math.round(syllable * (parts[0][i] + parts[1][i] + parts[2][i]) * 0.6);
      }
      return frame;
    };
  },
};

/** The tone's amplitude at `freq` in what app member `id` heard this tick. */
function heard(output: MediaTickOutput, id: number, freq: number): number {
  return goertzelAmplitude(framesByMember(output).get(id)!, freq, RATE);
}

describe('quiet Opus members', () => {
  it.each(['tone', 'speech'] as const)('decode onsets, every other voiced payload and probes while under the gate, and lose at most one frame of a %s onset', (kind) => {
    // Two rooms get the same payloads: one skips (the default), one decodes everything.
    const rooms = [true, false].map((skipUnvoiced) => new NativeMediaConference({ rate: RATE, interval: INTERVAL, skipUnvoiced }));
    for (const room of rooms) {
      room.addMember(1, {}, { receive: opus });
      room.addMember(2, {}, { app: true });
    }
    const stream = opusStream(1);
    const encoder = new CodecEncoder({ codec: 'opus' });
    const noise = swellingNoise(7);
    const freq = 440;
    const voice = onsets[kind](freq);
    const noiseTicks = 150;
    const outputs = rooms.map(() => [] as MediaTickOutput[]);
    const payloads: Uint8Array[] = [];
    for (let t = 0; t < noiseTicks + 30; t++) {
      const signal = noise(t);
      if (t >= noiseTicks) {
        const v = voice();
        for (let i = 0; i < FRAME; i++) signal[i] += v[i];
      }
      payloads.push(encoder.encode(signal));
      const packet = stream.packet({ payload: payloads[t] }).bytes;
      rooms.forEach((room, r) => {
        room.pushRtp(1, packet, t * INTERVAL);
        outputs[r].push(room.tick());
      });
    }
    // The noise was not all unvoiced: skipping unvoiced payloads alone would decode its swells.
    const decoder = new CodecDecoder({ codec: 'opus' });
    expect(payloads.slice(0, noiseTicks).filter((p) => decoder.voiceActivity(p) === 'active').length).toBeGreaterThan(20);
    const [quiet, full] = outputs;
    const decodes = (o: MediaTickOutput[], from: number, to: number) => o.slice(from, to).reduce((n, x) => n + x.decodes, 0);
    // The last second of noise: everything decoded on one path, a fraction on the other, and
    // voiced payloads among those skipped.
    const window = [noiseTicks - 50, noiseTicks] as const;
    expect(decodes(full, ...window)).toBe(50);
    expect(decodes(quiet, ...window)).toBeLessThan(25);
    expect(quiet.slice(...window).reduce((n, x) => n + x.quietSkips, 0)).toBeGreaterThan(0);
    // The onset: heard on the skipping path at most one frame after the path that decodes all.
    const first = (o: MediaTickOutput[]) => o.findIndex((x) => heard(x, 2, freq) > TONE_PEAK / 8);
    const onFull = first(full);
    const onQuiet = first(quiet);
    expect(onFull).toBeGreaterThanOrEqual(noiseTicks);
    expect(onQuiet - onFull).toBeGreaterThanOrEqual(0);
    expect(onQuiet - onFull).toBeLessThanOrEqual(1);
    // The first mixed frame: the same when a cue decoded the onset with its pre-roll; when the
    // onset frame was the one lost, the decoder resumes without it and is a few dB low for a
    // frame or two (measured: -5.4, then -1.7 dB for the voiced sound), then the same.
    const diff = (t: number) => Math.abs(ratioDb(heard(quiet[t], 2, freq), heard(full[t], 2, freq)));
    if (onQuiet === onFull) expect(diff(onFull)).toBeLessThan(1);
    else expect(diff(onQuiet)).toBeLessThan(6);
    expect(diff(onQuiet + 1)).toBeLessThan(2);
    for (let t = onQuiet + 2; t < onFull + 20; t++) expect(diff(t)).toBeLessThan(1);
  });

  it('probes a quiet member\'s unvoiced noise once a second, after ten probes 200 ms apart found it quiet', () => {
    const conference = new NativeMediaConference({ rate: RATE, interval: INTERVAL });
    conference.addMember(1, {}, { receive: opus });
    conference.addMember(2, {}, { app: true }); // someone to hear it: a lone member is not mixed
    const stream = opusStream(1);
    const encoder = new CodecEncoder({ codec: 'opus' });
    const random = seededRandom(3);
    const decodes: number[] = [];
    for (let t = 0; t < 400; t++) {
      conference.pushRtp(1, stream.packet({ payload: encoder.encode(whiteNoise(FRAME, 50, random)) }).bytes, t * INTERVAL);
      decodes.push(conference.tick().decodes);
    }
    const at = decodes.flatMap((n, t) => (n > 0 ? [t] : []));
    // Every tenth frame while the member proves quiet, then every fiftieth.
    const gaps = at.slice(1).map((t, i) => t - at[i]);
    expect(gaps.slice(0, 9)).toEqual(Array(9).fill(10));
    expect(gaps.slice(10)).toEqual(Array(gaps.length - 10).fill(50));
    expect(gaps.length).toBeGreaterThan(12);
  });

  it('listening test through Opus, the gate off: with K = 4 and quiet members skipped, no talker frame is lost against the uncapped mix', () => {
    // The call of the mixer's listening test (test/unit/mixer-active-talkers.test.ts), each
    // member now an Opus stream: ten members whose noise passes the gate, one speaker holding
    // the floor, a second over them, twice two more at once. Compared frame by frame with the
    // uncapped mix that decodes everyone. Then the same call with five more voices, quieter
    // than the speaker, from 10 s to 16 s: the cap is full of voices, and the members far below
    // it are the ones not decoded.
    const talkers = LISTENING_TEST_TALKERS;
    const others: CallVoice[] = Array.from({ length: 5 }, (_, i) => ({ id: 5 + i, freq: 2100 + 150 * i, amp: 2500, spans: [[500, 800]] }));
    const members = 10;
    const listener = 11;
    const ticks = LISTENING_TEST_TICKS;
    const call = (voices: readonly CallVoice[]) => {
      const capped = new NativeMediaConference({ rate: RATE, interval: INTERVAL, energyLevel: 0, comfortNoiseDbfs: null, maxActiveTalkers: 4 });
      const full = new NativeMediaConference({ rate: RATE, interval: INTERVAL, energyLevel: 0, comfortNoiseDbfs: null, maxActiveTalkers: 0, skipUnvoiced: false });
      for (const room of [capped, full]) {
        for (let id = 1; id <= members; id++) room.addMember(id, {}, { receive: opus });
        room.addMember(listener, {}, { app: true });
      }
      const streams = Array.from({ length: members }, (_, i) => ({ rtp: opusStream(i + 1), encoder: new CodecEncoder({ codec: 'opus' }) }));
      const tones = new Map(voices.map((v) => [v.id, new ToneGenerator(v.freq, v.amp, 48000)]));
      const random = seededRandom(6464);
      const result = { lost: 0, cappedDecodes: 0, fullDecodes: 0, quietSkips: 0 };
      for (let t = 0; t < ticks; t++) {
        for (let id = 1; id <= members; id++) {
          const frame = whiteNoise(FRAME, 100, random);
          const voice = voices.find((v) => v.id === id);
          if (voice) {
            const tone = tones.get(id)!.next(FRAME);
            if (voice.spans.some(([from, to]) => t >= from && t < to)) for (let i = 0; i < FRAME; i++) frame[i] += tone[i];
          }
          const packet = streams[id - 1].rtp.packet({ payload: streams[id - 1].encoder.encode(frame) }).bytes;
          capped.pushRtp(id, packet, t * INTERVAL);
          full.pushRtp(id, packet, t * INTERVAL);
        }
        const a = capped.tick();
        const b = full.tick();
        result.cappedDecodes += a.decodes;
        result.fullDecodes += b.decodes;
        result.quietSkips += a.quietSkips + a.unvoicedSkips;
        for (const talker of talkers) {
          // As in the mixer's test: the first frames of a span are the attack.
          if (!talker.spans.some(([from, to]) => t >= from + 2 && t < to)) continue;
          const diff = ratioDb(heard(a, listener, talker.freq), heard(b, listener, talker.freq));
          if (Math.abs(diff) > 1) result.lost++;
        }
      }
      return result;
    };
    expect(call(talkers).lost).toBe(0);
    const crowded = call([...talkers, ...others]);
    expect(crowded.lost).toBe(0);
    // 300 ticks with a full cap: the members far below it were mostly not decoded.
    expect(crowded.quietSkips).toBeGreaterThan(300);
    expect(crowded.cappedDecodes).toBeLessThan(crowded.fullDecodes - 300);
  });
});
