// Opus through libopus: the wrapper's quality against libopus called directly, loss recovery
// (PLC and in-band FEC), DTX, stereo payloads and frame durations.
import { describe, expect, it } from 'vitest';
import { CodecDecoder, CodecEncoder, defaultOpusBitrate, OPUS_FRAME_MS, opusReferenceRoundTrip } from '../../src/native/testing/codecs.ts';
import { goertzelAmplitude, rms } from '../helpers/audio.ts';

const RATE = 48000;
const FRAME = 960;
const invalid = expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' });

/**
 * A speech-like signal: harmonics of a 140 Hz voice shaped by three formants, optionally with a
 * 4 Hz syllable envelope.
 */
function speechLike(samples: number, syllables: boolean): Int16Array {
  const formants = [
    [500, 80],
    [1500, 120],
    [2500, 160],
  ];
  const harmonics: Array<{ freq: number; gain: number; phase: number }> = [];
  for (let h = 1; h * 140 < 4000; h++) {
    const freq = h * 140;
    let gain = 0;
    for (const [centre, width] of formants) gain += 1 / (1 + ((freq - centre) / width) ** 2);
    harmonics.push({ freq, gain, phase: h * 0.7 });
  }
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) {
    const t = i / RATE;
    let s = 0;
    for (const { freq, gain, phase } of harmonics) s += gain * Math.sin(2 * Math.PI * freq * t + phase);
    const envelope = syllables ? 0.6 + 0.4 * Math.sin(2 * Math.PI * 4 * t) : 1;
    out[i] = Math.round(4000 * envelope * s);
  }
  return out;
}

/** Codec delay in samples: the lag (0..1200) that best lines `decoded` up with `source`. */
function codecDelay(source: Int16Array, decoded: Int16Array): number {
  let best = 0;
  let bestScore = -Infinity;
  const from = 9600;
  const to = Math.min(source.length, decoded.length - 1200, from + 24000);
  for (let lag = 0; lag <= 1200; lag++) {
    let dot = 0;
    let energy = 0;
    for (let i = from; i < to; i++) {
      dot += source[i] * decoded[i + lag];
      energy += decoded[i + lag] * decoded[i + lag];
    }
    const score = dot / Math.sqrt(energy || 1);
    if (score > bestScore) {
      bestScore = score;
      best = lag;
    }
  }
  return best;
}

/** SNR in dB of `decoded` against `source` once delay-aligned, skipping the first 100 ms. */
function alignedSnrDb(source: Int16Array, decoded: Int16Array): number {
  const lag = codecDelay(source, decoded);
  let signal = 0;
  let noise = 0;
  for (let i = 4800; i < source.length && i + lag < decoded.length; i++) {
    signal += source[i] * source[i];
    noise += (source[i] - decoded[i + lag]) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}

/** Encodes `pcm` frame by frame with the wrapper and decodes each payload. */
function wrapperRoundTrip(pcm: Int16Array, frameMs: number, options: { bitrate: number; complexity: number }): Int16Array {
  const encoder = new CodecEncoder({ codec: 'opus', fec: false, ...options });
  const decoder = new CodecDecoder({ codec: 'opus' });
  const frame = 48 * frameMs;
  const frames = Math.floor(pcm.length / frame);
  const out = new Int16Array(frames * frame);
  for (let f = 0; f < frames; f++) {
    const decoded = decoder.decode(encoder.encode(pcm.subarray(f * frame, (f + 1) * frame)));
    expect(decoded.length).toBe(frame);
    out.set(decoded, f * frame);
  }
  return out;
}

function levelDb(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return 20 * Math.log10(rms(a) / rms(b));
}

describe('Opus round trip against libopus used directly', () => {
  const speech = speechLike(2 * RATE, true);

  it.each(OPUS_FRAME_MS)('%i ms frames: wrapper SNR within 1 dB of raw libopus', (frameMs) => {
    const options = { bitrate: 32000, complexity: 5 };
    const reference = alignedSnrDb(speech, opusReferenceRoundTrip(speech, { ...options, frameMs }));
    const wrapper = alignedSnrDb(speech, wrapperRoundTrip(speech, frameMs, options));
    expect(reference).toBeGreaterThan(8); // the yardstick itself carries the signal
    expect(Math.abs(wrapper - reference)).toBeLessThanOrEqual(1);
  });

  it('decodes each frame duration to its own sample count', () => {
    for (const frameMs of OPUS_FRAME_MS) {
      const encoder = new CodecEncoder({ codec: 'opus' });
      const decoder = new CodecDecoder({ codec: 'opus' });
      const payload = encoder.encode(speech.subarray(0, 48 * frameMs));
      expect(payload.length).toBeGreaterThan(2);
      expect(decoder.decode(payload).length).toBe(48 * frameMs);
    }
  });
});

describe('Opus loss recovery', () => {
  it('conceals a lost frame with 20 ms of audio near the signal level', () => {
    const steady = speechLike(RATE, false);
    const encoder = new CodecEncoder({ codec: 'opus', bitrate: 32000 });
    const payloads = Array.from({ length: 45 }, (_, f) => encoder.encode(steady.subarray(f * FRAME, (f + 1) * FRAME)));
    for (let lost = 10; lost < 45; lost += 7) {
      const concealing = new CodecDecoder({ codec: 'opus' });
      const receiving = new CodecDecoder({ codec: 'opus' });
      for (let f = 0; f < lost; f++) {
        concealing.decode(payloads[f]);
        receiving.decode(payloads[f]);
      }
      const concealed = concealing.conceal(FRAME);
      const actual = receiving.decode(payloads[lost]);
      expect(concealed.length).toBe(FRAME);
      expect(Math.abs(levelDb(concealed, actual))).toBeLessThan(6);
    }
  });

  it('recovers lost frames from the next packet\'s FEC, closer to the real frame than PLC', () => {
    const speech = speechLike(2 * RATE, true);
    const encoder = new CodecEncoder({ codec: 'opus', bitrate: 32000, fec: true });
    const payloads = Array.from({ length: 100 }, (_, f) => encoder.encode(speech.subarray(f * FRAME, (f + 1) * FRAME)));
    let recovered = 0;
    for (let lost = 10; lost < 98; lost += 7) {
      const withFec = new CodecDecoder({ codec: 'opus' });
      const withPlc = new CodecDecoder({ codec: 'opus' });
      const receiving = new CodecDecoder({ codec: 'opus' });
      for (let f = 0; f < lost; f++) {
        withFec.decode(payloads[f]);
        withPlc.decode(payloads[f]);
        receiving.decode(payloads[f]);
      }
      const fec = withFec.decodeFec(payloads[lost + 1], FRAME);
      const plc = withPlc.conceal(FRAME);
      const actual = receiving.decode(payloads[lost]);
      expect(fec).not.toBeNull();
      expect(fec!.length).toBe(FRAME);
      const fecError = rms(fec!.map((v, i) => v - actual[i]));
      const plcError = rms(plc.map((v, i) => v - actual[i]));
      if (fecError === plcError) continue; // this packet carried no FEC: libopus concealed
      recovered++;
      expect(fecError).toBeLessThan(plcError);
      expect(Math.abs(levelDb(fec!, actual))).toBeLessThan(3);
      // The decoder carries on with the packet that brought the FEC.
      expect(withFec.decode(payloads[lost + 1]).length).toBe(FRAME);
    }
    expect(recovered).toBeGreaterThanOrEqual(5);
  });

  it('rejects FEC lengths that are not whole 2.5 ms and changes nothing', () => {
    const encoder = new CodecEncoder({ codec: 'opus' });
    const decoder = new CodecDecoder({ codec: 'opus' });
    const payload = encoder.encode(speechLike(FRAME, false));
    expect(() => decoder.decodeFec(payload, 100)).toThrow(invalid);
    expect(() => decoder.decodeFec(new Uint8Array(0), FRAME)).toThrow(invalid);
    expect(decoder.decode(payload).length).toBe(FRAME);
  });
});

describe('Opus DTX', () => {
  it('sends payloads of 2 bytes or less during silence when DTX is on, and only then', () => {
    const silence = new Int16Array(FRAME);
    const counts = [true, false].map((dtx) => {
      const encoder = new CodecEncoder({ codec: 'opus', dtx });
      const decoder = new CodecDecoder({ codec: 'opus' });
      let tiny = 0;
      for (let f = 0; f < 60; f++) {
        const payload = encoder.encode(silence);
        expect(decoder.isDtx(payload)).toBe(payload.length <= 2);
        if (payload.length <= 2) {
          tiny++;
          expect(decoder.decode(payload).length).toBe(FRAME); // still decodable (comfort noise)
        }
      }
      return tiny;
    });
    expect(counts[0]).toBeGreaterThanOrEqual(40);
    expect(counts[1]).toBe(0);
  });

  it('sends full payloads for speech even with DTX on', () => {
    const encoder = new CodecEncoder({ codec: 'opus', dtx: true });
    const speech = speechLike(RATE / 2, true);
    for (let f = 0; f < 25; f++) expect(encoder.encode(speech.subarray(f * FRAME, (f + 1) * FRAME)).length).toBeGreaterThan(2);
  });
});

describe('Opus stereo payloads', () => {
  it('encodes mono on both channels (stereo TOC bit) and decodes it back to mono at the same level', () => {
    const tone = new Int16Array(10 * FRAME);
    for (let i = 0; i < tone.length; i++) tone[i] = Math.round(8000 * Math.sin((2 * Math.PI * 600 * i) / RATE));
    const stereo = new CodecEncoder({ codec: 'opus', channels: 2, bitrate: 64000 });
    const mono = new CodecEncoder({ codec: 'opus', channels: 1, bitrate: 64000 });
    for (const decoderChannels of [1, 2]) {
      const decoder = new CodecDecoder({ codec: 'opus', channels: decoderChannels });
      let last: Int16Array = new Int16Array(0);
      for (let f = 0; f < 10; f++) {
        const payload = stereo.encode(tone.subarray(f * FRAME, (f + 1) * FRAME));
        expect(payload[0] & 0x04).toBe(0x04);
        last = decoder.decode(payload);
        expect(last.length).toBe(FRAME);
      }
      const amplitudeDb = 20 * Math.log10(goertzelAmplitude(last, 600, RATE) / 8000);
      expect(Math.abs(amplitudeDb)).toBeLessThan(1);
    }
    expect(mono.encode(tone.subarray(0, FRAME))[0] & 0x04).toBe(0);
  });
});

describe('Opus default bitrate', () => {
  /** Payload bits per second over two seconds of loud noise (which takes every bit it is given), after the first half second. */
  function sentBitrate(options: { pcmRate: number; maxBitrate?: number; channels?: number }): number {
    const encoder = new CodecEncoder({ codec: 'opus', ...options });
    const frame = options.pcmRate / 50;
    let seed = 7;
    let bits = 0;
    for (let f = 0; f < 100; f++) {
      const pcm = Int16Array.from({ length: frame }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) % 20000) - 10000);
      const bytes = encoder.encode(pcm).length;
      if (f >= 25) bits += bytes * 8;
    }
    return bits / 1.5;
  }

  it('is 32 kbit/s at 8 and 12 kHz (40 stereo) and 40 kbit/s above, and the encoder sends it', () => {
    expect([8000, 12000, 16000, 24000, 48000].map((rate) => defaultOpusBitrate(rate, 1))).toEqual([32000, 32000, 40000, 40000, 40000]);
    expect([8000, 16000, 48000].map((rate) => defaultOpusBitrate(rate, 2))).toEqual([40000, 40000, 40000]);
    for (const pcmRate of [8000, 16000, 48000]) {
      const sent = sentBitrate({ pcmRate });
      expect(Math.abs(sent / defaultOpusBitrate(pcmRate, 1) - 1), `${pcmRate} Hz: ${sent} bits/s`).toBeLessThan(0.1);
    }
  });

  it("is capped by the peer's maxaveragebitrate", () => {
    const capped = sentBitrate({ pcmRate: 16000, maxBitrate: 20000 });
    expect(Math.abs(capped / 20000 - 1)).toBeLessThan(0.1);
    // A cap above the default leaves the default.
    expect(Math.abs(sentBitrate({ pcmRate: 16000, maxBitrate: 128000 }) / 40000 - 1)).toBeLessThan(0.1);
    expect(() => new CodecEncoder({ codec: 'opus', maxBitrate: 100 })).toThrow(invalid);
    expect(() => defaultOpusBitrate(44100, 1)).toThrow(invalid);
  });
});

describe('Opus argument checks', () => {
  it('rejects unsupported parameters', () => {
    expect(() => new CodecEncoder({ codec: 'opus', clockRate: 16000 })).toThrow(invalid);
    expect(() => new CodecEncoder({ codec: 'opus', channels: 3 })).toThrow(invalid);
    expect(() => new CodecEncoder({ codec: 'opus', bitrate: 1000 })).toThrow(invalid);
    expect(() => new CodecEncoder({ codec: 'opus', complexity: 11 })).toThrow(invalid);
    expect(() => new CodecEncoder({ codec: 'opus', fec: 1 as unknown as boolean })).toThrow(invalid);
    expect(() => new CodecDecoder({ codec: 'speex' as 'opus' })).toThrow(invalid);
    expect(() => new CodecDecoder(undefined as unknown as { codec: 'opus' })).toThrow(invalid);
    expect(() => opusReferenceRoundTrip(new Int16Array(960), { bitrate: 32000, complexity: 5, frameMs: 25 as 20 })).toThrow(invalid);
  });

  it('a rejected frame leaves the encoder exactly as it was', () => {
    const speech = speechLike(3 * FRAME, true);
    const fresh = new CodecEncoder({ codec: 'opus' });
    const probed = new CodecEncoder({ codec: 'opus' });
    expect(() => probed.encode(new Int16Array(1000))).toThrow(invalid);
    expect(() => probed.encode(new Float32Array(960) as unknown as Int16Array)).toThrow(invalid);
    for (let f = 0; f < 3; f++) {
      const frame = speech.subarray(f * FRAME, (f + 1) * FRAME);
      expect(probed.encode(frame)).toEqual(fresh.encode(frame));
    }
  });

  it('rejects a malformed payload and keeps decoding', () => {
    const encoder = new CodecEncoder({ codec: 'opus' });
    const decoder = new CodecDecoder({ codec: 'opus' });
    expect(() => decoder.decode(new Uint8Array(0))).toThrow(invalid);
    expect(() => decoder.decode(Uint8Array.of(0x03))).toThrow(invalid); // code 3 needs a frame-count byte
    expect(decoder.decode(encoder.encode(speechLike(FRAME, true))).length).toBe(FRAME);
  });
});
