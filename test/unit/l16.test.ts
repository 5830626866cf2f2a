// L16: big-endian int16 on the wire, mono in the mixer.
import { describe, expect, it } from 'vitest';
import { CodecDecoder, CodecEncoder } from '../../src/native/testing/codecs.ts';
import { rms, seededRandom, sine, whiteNoise } from '../helpers/audio.ts';

const invalid = expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' });

describe('L16', () => {
  it('writes samples in network byte order (most significant byte first)', () => {
    const encoder = new CodecEncoder({ codec: 'l16', clockRate: 16000 });
    const payload = encoder.encode(Int16Array.of(0x1234, -2, 0, -32768, 32767));
    expect(Array.from(payload)).toEqual([0x12, 0x34, 0xff, 0xfe, 0x00, 0x00, 0x80, 0x00, 0x7f, 0xff]);
  });

  it('reads big-endian bytes back to the same samples', () => {
    const decoder = new CodecDecoder({ codec: 'l16', clockRate: 8000 });
    expect(Array.from(decoder.decode(Uint8Array.of(0x12, 0x34, 0xff, 0xfe, 0x80, 0x00)))).toEqual([0x1234, -2, -32768]);
  });

  it.each([8000, 12000, 16000, 24000, 32000, 48000])('round-trips 20 ms of noise exactly at %i Hz', (rate) => {
    const pcm = whiteNoise(rate / 50, 32767, seededRandom(rate));
    const encoder = new CodecEncoder({ codec: 'l16', clockRate: rate });
    const decoder = new CodecDecoder({ codec: 'l16', clockRate: rate });
    const payload = encoder.encode(pcm);
    expect(payload.length).toBe(2 * pcm.length);
    expect(decoder.decode(payload)).toEqual(pcm);
    expect([encoder.rate, decoder.rate]).toEqual([rate, rate]);
  });

  it('downmixes a stereo payload to the mean of its channels', () => {
    const left = Int16Array.of(1000, -3, 32767, -32768);
    const right = Int16Array.of(3000, 0, 32767, -32767);
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < 4; i++) {
      view.setInt16(4 * i, left[i]); // DataView writes big-endian by default
      view.setInt16(4 * i + 2, right[i]);
    }
    const decoder = new CodecDecoder({ codec: 'l16', clockRate: 48000, channels: 2 });
    expect(Array.from(decoder.decode(bytes))).toEqual([2000, -1, 32767, -32767]);
  });

  it('sends the mono signal on both channels of a stereo payload', () => {
    const encoder = new CodecEncoder({ codec: 'l16', clockRate: 16000, channels: 2 });
    const payload = encoder.encode(Int16Array.of(0x0102, -1));
    expect(Array.from(payload)).toEqual([0x01, 0x02, 0x01, 0x02, 0xff, 0xff, 0xff, 0xff]);
  });

  it('conceals a loss from the last frame at its level', () => {
    const decoder = new CodecDecoder({ codec: 'l16', clockRate: 16000 });
    const encoder = new CodecEncoder({ codec: 'l16', clockRate: 16000 });
    const tone = sine(500, 8000, 16000, 640);
    decoder.decode(encoder.encode(tone.subarray(0, 320)));
    decoder.decode(encoder.encode(tone.subarray(320)));
    const concealed = decoder.conceal(160);
    expect(concealed.length).toBe(160);
    const levelDb = 20 * Math.log10(rms(concealed) / rms(tone));
    expect(levelDb).toBeGreaterThan(-3);
    expect(levelDb).toBeLessThan(0.5);
  });

  it('rejects malformed payloads and leaves the decoder working', () => {
    const decoder = new CodecDecoder({ codec: 'l16', clockRate: 16000, channels: 2 });
    expect(() => decoder.decode(Uint8Array.of(1, 2, 3))).toThrow(invalid);
    expect(() => decoder.decode(Uint8Array.of(1, 2))).toThrow(invalid); // half a stereo frame
    expect(Array.from(decoder.decode(Uint8Array.of(0, 2, 0, 4)))).toEqual([3]);
  });

  it('rejects unsupported rates and channel counts', () => {
    expect(() => new CodecEncoder({ codec: 'l16' })).toThrow(invalid); // clockRate required
    expect(() => new CodecEncoder({ codec: 'l16', clockRate: 44100 })).toThrow(invalid);
    expect(() => new CodecDecoder({ codec: 'l16', clockRate: 16000, channels: 9 })).toThrow(invalid);
    expect(() => new CodecDecoder({ codec: 'l16', clockRate: 16000, channels: 0 })).toThrow(invalid);
    expect(() => new CodecEncoder({ codec: 'l16', clockRate: 16000.5 })).toThrow(invalid);
    expect(() => new CodecEncoder({ codec: 'l16', clockRate: '16000' as unknown as number })).toThrow(invalid);
  });
});
