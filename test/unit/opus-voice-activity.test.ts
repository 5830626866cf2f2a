// The sender's own VAD in Opus payloads: read without decoding (CodecDecoder.voiceActivity), and
// used by media conferences to skip decoding unvoiced payloads of members whose gate is closed,
// with a probe every 200 ms and a pre-roll decode before a voiced onset.
import { describe, expect, it } from 'vitest';
import { CodecDecoder, CodecEncoder, type CodecOptions } from '../../src/native/testing/codecs.ts';
import { framesByMember, NativeMediaConference, packetsByMember, type MediaTickOutput } from '../../src/native/testing/mediaConference.ts';
import { parseRtp } from '../../src/native/testing/rtp.ts';
import { goertzelAmplitude, seededRandom, ToneGenerator, whiteNoise } from '../helpers/audio.ts';
import { RtpStreamBuilder } from '../helpers/rtp.ts';

const RATE = 48000;
const INTERVAL = 20;
const FRAME = 960; // 20 ms at 48 kHz
const TONE_PEAK = 3277; // -20 dBFS
const NOISE_PEAK = 57; // uniform noise of 57 / sqrt(3) = 32.9 RMS: -60 dBFS
const PROBE_TICKS = 10; // 200 ms of 20 ms frames

/** The TOC's configuration number (0..11 SILK-only, 12..15 hybrid, 16..31 CELT-only). */
const configOf = (payload: Uint8Array): number => payload[0] >> 3;
const isStereo = (payload: Uint8Array): boolean => (payload[0] & 0x04) !== 0;

/** `count` payloads of `frame` samples from a fresh encoder fed by `source`. */
function encodeStream(options: Omit<CodecOptions, 'codec'>, frame: number, count: number, source: (samples: number) => Int16Array): Uint8Array[] {
  const encoder = new CodecEncoder({ codec: 'opus', ...options });
  return Array.from({ length: count }, () => encoder.encode(source(frame)));
}

const noiseSource = (seed: number) => {
  const random = seededRandom(seed);
  return (samples: number) => whiteNoise(samples, NOISE_PEAK, random);
};
const toneSource = (freq: number) => {
  const tone = new ToneGenerator(freq, TONE_PEAK, RATE);
  return (samples: number) => tone.next(samples);
};

describe('Opus payload voice activity', () => {
  const decoder = new CodecDecoder({ codec: 'opus' });

  it('reads -60 dBFS noise as inactive and the first frames of a -20 dBFS tone as active (20 ms, mono)', () => {
    const noise = encodeStream({}, FRAME, 100, noiseSource(1));
    expect(noise.every((p) => configOf(p) === 15)).toBe(true); // hybrid fullband
    expect(noise.map((p) => decoder.voiceActivity(p))).toEqual(noise.map(() => 'inactive'));
    const tone = encodeStream({}, FRAME, 60, toneSource(440));
    // The encoder calls a steady tone speech until its noise estimate adapts to it.
    expect(tone.slice(0, 20).map((p) => decoder.voiceActivity(p))).toEqual(Array(20).fill('active'));
    expect(tone.slice(40).map((p) => decoder.voiceActivity(p))).toEqual(Array(20).fill('inactive'));
  });

  it.each([
    { label: '40 ms hybrid', frame: 1920, options: {} },
    { label: '60 ms hybrid', frame: 2880, options: {} },
    { label: '40 ms SILK-only', frame: 1920, options: { bitrate: 12000 } },
    { label: '60 ms SILK-only', frame: 2880, options: { bitrate: 12000 } },
    { label: '20 ms stereo', frame: FRAME, options: { channels: 2 } },
    { label: '40 ms stereo SILK-only', frame: 1920, options: { channels: 2, bitrate: 24000 } },
    { label: '60 ms stereo SILK-only', frame: 2880, options: { channels: 2, bitrate: 24000 } },
  ])('gives the same verdicts for $label packets', ({ frame, options }) => {
    const packets = Math.round((30 * FRAME) / frame);
    const noise = encodeStream(options, frame, packets, noiseSource(2));
    const tone = encodeStream(options, frame, Math.round((200 * 48) / frame), toneSource(440)); // the first 200 ms
    for (const p of [...noise, ...tone]) {
      expect(configOf(p)).toBeLessThan(16); // SILK-only or hybrid: flags present
      expect(isStereo(p)).toBe(options.channels === 2);
    }
    expect(noise.map((p) => decoder.voiceActivity(p))).toEqual(noise.map(() => 'inactive'));
    expect(tone.map((p) => decoder.voiceActivity(p))).toEqual(tone.map(() => 'active'));
  });

  it('reads the flag bits in the layout SILK writes them: per channel, one VAD bit per SILK frame, then LBRR', () => {
    const code0 = (config: number, stereo: boolean, firstByte: number) =>
      new Uint8Array([(config << 3) | (stereo ? 0x04 : 0), firstByte, 0x11, 0x22, 0x33]);
    // 20 ms SILK (config 1), mono: V L.
    expect(decoder.voiceActivity(code0(1, false, 0x80))).toBe('active');
    expect(decoder.voiceActivity(code0(1, false, 0x40))).toBe('inactive'); // LBRR only
    expect(decoder.voiceActivity(code0(1, false, 0x3f))).toBe('inactive'); // range-coded bits
    // 20 ms stereo: Vmid Lmid Vside Lside.
    expect(decoder.voiceActivity(code0(1, true, 0x20))).toBe('active');
    expect(decoder.voiceActivity(code0(1, true, 0x50))).toBe('inactive');
    // 60 ms SILK (config 3), mono: V V V L.
    expect(decoder.voiceActivity(code0(3, false, 0x20))).toBe('active');
    expect(decoder.voiceActivity(code0(3, false, 0x10))).toBe('inactive');
    // 40 ms SILK stereo (config 2): V V L per channel, the side channel's second VAD bit.
    expect(decoder.voiceActivity(code0(2, true, 0x08))).toBe('active');
    expect(decoder.voiceActivity(code0(2, true, 0x24))).toBe('inactive');
    // Hybrid (config 15): like 20 ms SILK.
    expect(decoder.voiceActivity(code0(15, false, 0x80))).toBe('active');
    // A code 1 packet (two equal frames): the second frame's flag counts too.
    expect(decoder.voiceActivity(new Uint8Array([(15 << 3) | 1, 0x00, 0x11, 0x80, 0x11]))).toBe('active');
    expect(decoder.voiceActivity(new Uint8Array([(15 << 3) | 1, 0x00, 0x11, 0x40, 0x11]))).toBe('inactive');
  });

  it('answers unknown for CELT-only, G.711, truncated and garbage payloads, without a crash', () => {
    // CELT-only fullband 20 ms whose first byte would read as voiced SILK.
    expect(decoder.voiceActivity(new Uint8Array([31 << 3, 0xff, 0xff, 0xff]))).toBe('unknown');
    expect(decoder.voiceActivity(new Uint8Array([16 << 3, 0x80, 0x00]))).toBe('unknown');
    expect(new CodecDecoder({ codec: 'pcmu' }).voiceActivity(new Uint8Array(160).fill(0xff))).toBe('unknown');
    expect(decoder.voiceActivity(new Uint8Array(0))).toBe('unknown');
    expect(decoder.voiceActivity(new Uint8Array([15 << 3]))).toBe('unknown'); // a TOC alone
    // A 60 ms hybrid packet (code 3, three frames) cut short: its frame lengths no longer fit.
    const long = encodeStream({}, 2880, 3, toneSource(440))[2];
    expect(long[0] & 0x03).toBe(3);
    expect(decoder.voiceActivity(long)).toBe('active');
    expect(decoder.voiceActivity(long.subarray(0, 3))).toBe('unknown');
    expect(decoder.voiceActivity(new Uint8Array([(15 << 3) | 3]))).toBe('unknown'); // code 3 without its count byte
    expect(decoder.voiceActivity(new Uint8Array([(15 << 3) | 2, 0xfb, 0x80]))).toBe('unknown'); // code 2, first length past the end
    const random = seededRandom(6716);
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const bytes = new Uint8Array(Math.floor(random() * 40));
      for (let k = 0; k < bytes.length; k++) bytes[k] = Math.floor(random() * 256);
      const verdict = decoder.voiceActivity(bytes);
      seen.add(verdict);
      if (bytes.length > 0 && configOf(bytes) >= 16) expect(verdict).toBe('unknown');
    }
    expect([...seen].sort()).toEqual(['active', 'inactive', 'unknown']);
    expect(() => decoder.voiceActivity('x' as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });
});

/** Decoded payloads and skips of one member in each tick, from its counters. */
class MemberCounts {
  decodes: number[] = [];
  skips: number[] = [];
  #decodes = 0;
  #skips = 0;
  constructor(
    readonly conference: NativeMediaConference,
    readonly id: number,
  ) {}
  /** Records the tick that just ran. */
  record(): void {
    const receive = this.conference.memberStats(this.id).receive!;
    this.decodes.push(receive.decodes - this.#decodes);
    this.skips.push(receive.unvoicedSkips - this.#skips);
    this.#decodes = receive.decodes;
    this.#skips = receive.unvoicedSkips;
  }
}

const opus = { codec: 'opus', payloadType: 111 } as const;

function opusStream(ssrc: number): RtpStreamBuilder {
  return new RtpStreamBuilder({ ssrc, payloadType: 111, samplesPerPacket: FRAME }, { sequence: 1000 + ssrc, timestamp: 90000 * ssrc });
}

function payloadOf(packet: Uint8Array): Uint8Array {
  const parsed = parseRtp(packet);
  if (!parsed.ok) throw new Error(`bad packet out: ${parsed.reason}`);
  return parsed.payload;
}

/** Amplitude of `freq` in an app member's frame of this tick. */
function heard(output: MediaTickOutput, id: number, freq: number): number {
  return goertzelAmplitude(framesByMember(output).get(id)!, freq, RATE);
}

describe('media conference skipping unvoiced Opus payloads', () => {
  it('gives every member the same bytes with skipUnvoiced on and off, decoding only talkers and one probe per listener per 200 ms', () => {
    const rooms = [true, false].map((skipUnvoiced) => new NativeMediaConference({ rate: RATE, interval: INTERVAL, skipUnvoiced }));
    const talkers = [1, 2, 3];
    const listeners = Array.from({ length: 20 }, (_, i) => 100 + i);
    for (const room of rooms) for (const id of [...talkers, ...listeners]) room.addMember(id, {}, { receive: opus, send: opus });
    const sources = new Map<number, { stream: RtpStreamBuilder; encoder: CodecEncoder; signal: (n: number) => Int16Array }>();
    talkers.forEach((id, i) => sources.set(id, { stream: opusStream(id), encoder: new CodecEncoder({ codec: 'opus' }), signal: toneSource(300 + 250 * i) }));
    for (const id of listeners) sources.set(id, { stream: opusStream(id), encoder: new CodecEncoder({ codec: 'opus' }), signal: noiseSource(id) });
    const ticks = 80;
    const outputs = rooms.map(() => [] as MediaTickOutput[]);
    for (let t = 0; t < ticks; t++) {
      for (const [id, source] of sources) {
        const packet = source.stream.packet({ payload: source.encoder.encode(source.signal(FRAME)) }).bytes;
        for (const room of rooms) room.pushRtp(id, packet, t * INTERVAL);
      }
      rooms.forEach((room, r) => outputs[r].push(room.tick()));
    }
    const [on, off] = outputs;
    for (let t = 0; t < ticks; t++) {
      const a = packetsByMember(on[t]);
      const b = packetsByMember(off[t]);
      expect(a.size).toBe(23);
      // Payloads to the byte (each room draws its own SSRCs).
      for (const [id, packet] of a) expect(payloadOf(packet)).toEqual(payloadOf(b.get(id)!));
    }
    // The first tick the jitter buffers play from: every member's first packet.
    const first = off.findIndex((o) => o.decodes > 0);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThan(ticks - 4 * PROBE_TICKS);
    for (let t = first; t < ticks; t++) {
      expect(off[t].decodes).toBe(23);
      expect(off[t].unvoicedSkips).toBe(0);
      // Listeners skip nine frames and probe the tenth, all in step as they joined together.
      const probe = (t - first) % PROBE_TICKS === PROBE_TICKS - 1;
      expect(on[t].decodes).toBe(talkers.length + (probe ? listeners.length : 0));
      expect(on[t].unvoicedSkips).toBe(probe ? 0 : listeners.length);
    }
    const played = ticks - first;
    const probes = Math.floor(played / PROBE_TICKS);
    for (const id of listeners) {
      expect(rooms[0].memberStats(id).receive!).toMatchObject({ decodes: probes, unvoicedSkips: played - probes, skippedDecodes: 0 });
    }
    for (const id of talkers) expect(rooms[0].memberStats(id).receive!).toMatchObject({ decodes: played, unvoicedSkips: 0 });
  });

  it('probes a muted member\'s unvoiced tone once unmuted: heard within 10 ticks, then every frame decoded', () => {
    const conference = new NativeMediaConference({ rate: RATE, interval: INTERVAL });
    conference.addMember(1, { mute: true }, { receive: opus });
    conference.addMember(2, {}, { app: true });
    const stream = opusStream(1);
    const encoder = new CodecEncoder({ codec: 'opus' });
    const tone = toneSource(440);
    const payloads: Uint8Array[] = [];
    const counts = new MemberCounts(conference, 1);
    const outputs: MediaTickOutput[] = [];
    const mutedTicks = 100; // 2 s
    for (let t = 0; t < mutedTicks + 40; t++) {
      if (t === mutedTicks) conference.setMember(1, { mute: false });
      payloads.push(encoder.encode(tone(FRAME)));
      conference.pushRtp(1, stream.packet({ payload: payloads[t] }).bytes, t * INTERVAL);
      outputs.push(conference.tick());
      counts.record();
    }
    // By then the sender's encoder calls its steady tone unvoiced.
    const decoder = new CodecDecoder({ codec: 'opus' });
    expect(payloads.slice(60).every((p) => decoder.voiceActivity(p) === 'inactive')).toBe(true);
    expect(counts.decodes.slice(0, mutedTicks).every((n) => n === 0)).toBe(true);
    const opened = outputs.findIndex((o, t) => t >= mutedTicks && heard(o, 2, 440) > TONE_PEAK / 4);
    expect(opened).toBeGreaterThanOrEqual(mutedTicks);
    expect(opened - mutedTicks).toBeLessThan(PROBE_TICKS);
    // Skipped until the probe, which opened the gate; from then on every frame is decoded.
    expect(counts.skips.slice(mutedTicks, opened)).toEqual(Array(opened - mutedTicks).fill(1));
    expect(counts.decodes.slice(mutedTicks, opened)).toEqual(Array(opened - mutedTicks).fill(0));
    expect(counts.decodes.slice(opened)).toEqual(Array(outputs.length - opened).fill(1));
    expect(counts.skips.slice(opened)).toEqual(Array(outputs.length - opened).fill(0));
    for (const output of outputs.slice(opened)) expect(heard(output, 2, 440)).toBeGreaterThan(TONE_PEAK / 2);
  });

  it('pre-rolls the last skipped payload at a voiced onset: two decodes that tick, the tone heard from it', () => {
    const conference = new NativeMediaConference({ rate: RATE, interval: INTERVAL });
    conference.addMember(1, {}, { receive: opus });
    conference.addMember(2, {}, { app: true });
    const stream = opusStream(1);
    const encoder = new CodecEncoder({ codec: 'opus' });
    const noise = noiseSource(9);
    const tone = toneSource(440);
    const noiseFrames = 34;
    const payloads: Uint8Array[] = [];
    const counts = new MemberCounts(conference, 1);
    const outputs: MediaTickOutput[] = [];
    for (let t = 0; t < noiseFrames + 30; t++) {
      payloads.push(encoder.encode(t < noiseFrames ? noise(FRAME) : tone(FRAME)));
      conference.pushRtp(1, stream.packet({ payload: payloads[t] }).bytes, t * INTERVAL);
      outputs.push(conference.tick());
      counts.record();
    }
    const decoder = new CodecDecoder({ codec: 'opus' });
    const voiced = payloads.findIndex((p) => decoder.voiceActivity(p) === 'active');
    expect(voiced).toBeGreaterThanOrEqual(noiseFrames);
    expect(voiced).toBeLessThan(noiseFrames + 3);
    // Payload k plays at tick first + k; the one before the onset was skipped, not probed.
    const first = counts.decodes.findIndex((n, t) => n + counts.skips[t] > 0);
    const onset = first + voiced;
    expect((voiced - 1) % PROBE_TICKS).not.toBe(PROBE_TICKS - 1);
    expect(counts.skips[onset - 1]).toBe(1);
    expect(counts.decodes[onset]).toBe(2);
    expect(counts.skips[onset]).toBe(0);
    expect(counts.decodes.slice(onset + 1, onset + 20)).toEqual(Array(19).fill(1));
    expect(heard(outputs[onset - 1], 2, 440)).toBeLessThan(TONE_PEAK / 100);
    for (const output of outputs.slice(onset, onset + 20)) expect(heard(output, 2, 440)).toBeGreaterThan(TONE_PEAK / 2);
    // Probes every tenth noise frame, one pre-roll, then every frame of the tone.
    const probes = Math.floor(voiced / PROBE_TICKS);
    expect(conference.memberStats(1).receive!).toMatchObject({ unvoicedSkips: voiced - probes, decodes: probes + 1 + (outputs.length - onset) });
  });

  it('fills a loss right after an unvoiced skip with silence, not concealment', () => {
    const concealedWith = (skipUnvoiced: boolean) => {
      const conference = new NativeMediaConference({ rate: RATE, interval: INTERVAL, skipUnvoiced });
      conference.addMember(1, {}, { receive: opus });
      const stream = opusStream(1);
      const encoder = new CodecEncoder({ codec: 'opus' });
      const noise = noiseSource(11);
      for (let t = 0; t < 40; t++) {
        const packet = stream.packet({ payload: encoder.encode(noise(FRAME)) }).bytes;
        if (t !== 22) conference.pushRtp(1, packet, t * INTERVAL); // a gap after a skipped frame
        conference.tick();
      }
      return conference.memberStats(1).receive!;
    };
    const on = concealedWith(true);
    const off = concealedWith(false);
    expect(on.jitter.lost).toBe(1);
    expect(off.jitter.lost).toBe(1);
    expect(off.concealed + off.fecRecovered).toBe(1);
    expect(on.concealed + on.fecRecovered).toBe(0);
  });

  it('refuses a skipUnvoiced that is not a boolean, making no conference', () => {
    let made: NativeMediaConference | undefined;
    expect(() => {
      made = new NativeMediaConference({ rate: RATE, interval: INTERVAL, skipUnvoiced: 'yes' as unknown as boolean });
    }).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: expect.stringContaining('skipUnvoiced') }));
    expect(made).toBeUndefined();
  });
});
