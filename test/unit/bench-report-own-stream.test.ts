// The report's latency scenario without sockets: its four onset talkers (the loops the generator
// sends) and two quiet members in a 16 kHz conference, tick by tick. What the report reads over the
// network (a talker's own tone against a listener's, in the same ticks, under a Hann window) is
// read here from the engine's packets directly, so a leak of a talker's own burst into its own
// stream is the engine's, not the network's or the measurement's.
import { describe, expect, it } from 'vitest';
import { ONSET_AMPLITUDE, ONSET_TALKERS, ONSET_TONES_HZ, onsetLoops } from '../../bench/report/latency.ts';
import { db, windowedToneAmplitude } from '../../bench/report/signal.ts';
import { CodecDecoder, g711Decode, g711Encode } from '../../src/native/testing/codecs.ts';
import { NativeMediaConference, packetsByMember } from '../../src/native/testing/mediaConference.ts';
import { parseRtp } from '../../src/native/testing/rtp.ts';
import { RtpStreamBuilder } from '../helpers/rtp.ts';

const TICKS = 200;

describe("a talker's own stream in the report's onset scenario", () => {
  it.each(['pcmu', 'opus'] as const)('through %s, carries its own burst at least 60 dB below what a listener gets in the same ticks', (codec) => {
    const conference = new NativeMediaConference({ rate: 16000, interval: 20 });
    const leg = codec === 'pcmu' ? { codec } : { codec, payloadType: 111 };
    const loops = onsetLoops(codec);
    const talkers = Array.from({ length: ONSET_TALKERS }, (_, k) => k + 1);
    const listener = ONSET_TALKERS + 1;
    const quiet = ONSET_TALKERS + 2;
    for (const id of [...talkers, listener, quiet]) conference.addMember(id, {}, { receive: leg, send: leg });
    const clock = codec === 'pcmu' ? 8000 : 48000;
    const rate = codec === 'pcmu' ? 8000 : 16000;
    const streams = [...talkers, listener, quiet].map((id) => new RtpStreamBuilder({ ssrc: id, payloadType: codec === 'pcmu' ? 0 : 111, samplesPerPacket: clock / 50 }, { sequence: 1, timestamp: 1 }));
    // The listeners send what a talker's loop sends between bursts.
    const silence = codec === 'pcmu' ? g711Encode('pcmu', new Int16Array(160)) : loops[0][loops[0].length - 1];
    const decoders = new Map([...talkers, listener].map((id) => [id, codec === 'opus' ? new CodecDecoder({ codec: 'opus', pcmRate: rate }) : null]));
    const heard = new Map<number, Int16Array[]>([...talkers, listener].map((id) => [id, []]));
    for (let t = 0; t < TICKS; t++) {
      talkers.forEach((id, k) => conference.pushRtp(id, streams[k].packet({ payload: loops[k][t % loops[k].length] }).bytes, t * 20));
      for (const id of [listener, quiet]) conference.pushRtp(id, streams[id - 1].packet({ payload: silence }).bytes, t * 20);
      const packets = packetsByMember(conference.tick());
      for (const [id, frames] of heard) {
        const parsed = parseRtp(packets.get(id)!);
        if (!parsed.ok) throw new Error(parsed.reason);
        frames.push(codec === 'pcmu' ? g711Decode('pcmu', parsed.payload) : decoders.get(id)!.decode(parsed.payload));
      }
    }
    const span = (frames: Int16Array[], first: number): Int16Array => {
      const out = new Int16Array(3 * frames[0].length);
      for (let j = 0; j < 3; j++) out.set(frames[first + j], j * frames[0].length);
      return out;
    };
    let bursts = 0;
    talkers.forEach((id, k) => {
      const freq = ONSET_TONES_HZ[k];
      const inListener = heard.get(listener)!.map((frame) => windowedToneAmplitude(frame, freq, rate));
      // Every burst after the first loop: the three ticks after the one its onset reached the listener in.
      for (let t = 60; t + 4 < TICKS; t++) {
        if (!(inListener[t] > ONSET_AMPLITUDE / 2 && inListener[t - 1] < ONSET_AMPLITUDE / 2)) continue;
        const reference = windowedToneAmplitude(span(heard.get(listener)!, t + 1), freq, rate);
        const own = windowedToneAmplitude(span(heard.get(id)!, t + 1), freq, rate);
        expect(db(reference / ONSET_AMPLITUDE)).toBeGreaterThan(-1);
        expect(db(reference / Math.max(own, 1e-9))).toBeGreaterThan(60);
        bursts++;
      }
    });
    expect(bursts).toBeGreaterThanOrEqual(ONSET_TALKERS * 3);
  });
});
