// G.711 against the standard's own numbers. The expected decision intervals and reconstruction
// values are derived here from G.711's segment tables, not from the implementation:
// - μ-law works on 14-bit magnitudes: eight segments of 16 steps, step 2, 4, ..., 256, whose
//   decision values start at -1 (the first step only holds 0), 31, 95, 223, 479, 991, 2015,
//   4063 and end at 8159; the code sends the polarity bit (1 = positive) and the segment and
//   step inverted.
// - A-law works on 13-bit magnitudes: segments start at 0, 32, 64, ..., 2048 with steps 2, 2,
//   4, 8, ..., 128; the code word (polarity 1 = positive) has its even bits inverted (^ 0x55).
// - The reconstruction value of a step is the middle of its decision interval.
// - An int16 sample carries the 14-bit (μ) or 13-bit (A) value in its top bits; negative samples
//   are mirrored about -1/2 (one's complement), as in the ITU-T G.191 reference tools.
import { describe, expect, it } from 'vitest';
import { CodecDecoder, CodecEncoder, g711Decode, g711Encode, type G711Law } from '../../src/native/testing/codecs.ts';
import { rms, sine } from '../helpers/audio.ts';

interface CodeSpec {
  code: number;
  /** Smallest and largest int16 sample that must encode to this code. */
  min: number;
  max: number;
  /** int16 value the code decodes to. */
  value: number;
}

const MU_SEGMENT_START = [-1, 31, 95, 223, 479, 991, 2015, 4063];
const MU_TOP = 8159;
const A_SEGMENT_START = [0, 32, 64, 128, 256, 512, 1024, 2048];
const A_TOP = 4096;

function muSpecs(): CodeSpec[] {
  const specs: CodeSpec[] = [];
  for (let code = 0; code < 256; code++) {
    const positive = (code & 0x80) !== 0;
    const segment = 7 - ((code >> 4) & 7);
    const step = 15 - (code & 15);
    const size = 2 << segment;
    const lo = MU_SEGMENT_START[segment] + step * size;
    const hi = lo + size;
    const top = segment === 7 && step === 15; // everything louder clips to the last step
    const reconstruction = (lo + size / 2) * 4;
    const magMin = Math.max(0, lo) * 4;
    const magMax = top ? 32767 : hi * 4 - 1;
    specs.push(
      positive
        ? { code, min: magMin, max: magMax, value: reconstruction }
        : { code, min: top ? -32768 : -magMax - 1, max: -magMin - 1, value: reconstruction === 0 ? 0 : -reconstruction },
    );
  }
  return specs;
}

function aSpecs(): CodeSpec[] {
  const specs: CodeSpec[] = [];
  for (let code = 0; code < 256; code++) {
    const word = code ^ 0x55;
    const positive = (word & 0x80) !== 0;
    const segment = (word >> 4) & 7;
    const step = word & 15;
    const size = segment === 0 ? 2 : 1 << segment;
    const lo = A_SEGMENT_START[segment] + step * size;
    const hi = lo + size;
    const reconstruction = (lo + size / 2) * 8;
    const magMin = lo * 8;
    const magMax = hi * 8 - 1;
    specs.push(
      positive
        ? { code, min: magMin, max: magMax, value: reconstruction }
        : { code, min: -magMax - 1, max: -magMin - 1, value: -reconstruction },
    );
  }
  return specs;
}

const LAWS: Array<{ law: G711Law; specs: CodeSpec[]; silence: number }> = [
  { law: 'pcmu', specs: muSpecs(), silence: 0xff },
  { law: 'pcma', specs: aSpecs(), silence: 0xd5 },
];

describe('G.711 segment tables (test-side derivation)', () => {
  it('μ-law segments tile 0..8159 and A-law segments tile 0..4096', () => {
    for (let s = 0; s < 8; s++) {
      const end = MU_SEGMENT_START[s] + 16 * (2 << s);
      expect(end).toBe(s < 7 ? MU_SEGMENT_START[s + 1] : MU_TOP);
      const aEnd = A_SEGMENT_START[s] + 16 * (s === 0 ? 2 : 1 << s);
      expect(aEnd).toBe(s < 7 ? A_SEGMENT_START[s + 1] : A_TOP);
    }
  });

  it('the 256 intervals of each law cover int16 exactly once', () => {
    for (const { specs } of LAWS) {
      const covered = specs.reduce((n, s) => n + (s.max - s.min + 1), 0);
      expect(covered).toBe(65536);
    }
  });
});

describe.each(LAWS)('$law', ({ law, specs, silence }) => {
  it('decodes each of the 256 codes to its reconstruction value', () => {
    const codes = Uint8Array.from(specs, (s) => s.code);
    const decoded = g711Decode(law, codes);
    expect(Array.from(decoded)).toEqual(specs.map((s) => s.value));
  });

  it("encodes each code's decision interval boundaries to that code, and the next samples out to its neighbours", () => {
    for (const spec of specs) {
      const edges = g711Encode(law, Int16Array.of(spec.min, spec.max));
      expect([spec.code, edges[0], edges[1]]).toEqual([spec.code, spec.code, spec.code]);
      if (spec.min > -32768) expect(g711Encode(law, Int16Array.of(spec.min - 1))[0]).not.toBe(spec.code);
      if (spec.max < 32767) expect(g711Encode(law, Int16Array.of(spec.max + 1))[0]).not.toBe(spec.code);
    }
  });

  it('encodes every int16 sample to the code whose decision interval contains it', () => {
    const all = new Int16Array(65536);
    for (let i = 0; i < 65536; i++) all[i] = i - 32768;
    const codes = g711Encode(law, all);
    const expected = new Uint8Array(65536);
    for (const spec of specs) expected.fill(spec.code, spec.min + 32768, spec.max + 32769);
    let mismatches = 0;
    for (let i = 0; i < 65536; i++) if (codes[i] !== expected[i]) mismatches++;
    expect(mismatches).toBe(0);
  });

  it('encodes digital silence to the standard idle code', () => {
    expect(g711Encode(law, new Int16Array(4))).toEqual(new Uint8Array(4).fill(silence));
  });

  it('the CodecEncoder/CodecDecoder pair matches g711Encode/g711Decode', () => {
    const pcm = sine(1000, 12000, 8000, 160);
    const encoder = new CodecEncoder({ codec: law });
    const decoder = new CodecDecoder({ codec: law });
    const payload = encoder.encode(pcm);
    expect(payload).toEqual(g711Encode(law, pcm));
    expect(decoder.decode(payload)).toEqual(g711Decode(law, payload));
    expect([encoder.rate, decoder.rate]).toEqual([8000, 8000]);
    expect(decoder.decodeFec(payload, 160)).toBeNull();
  });

  it('conceals a loss at the signal level, then fades to silence after 40 ms', () => {
    const decoder = new CodecDecoder({ codec: law });
    const tone = sine(400, 10000, 8000, 160 * 3);
    for (let f = 0; f < 3; f++) decoder.decode(g711Encode(law, tone.subarray(f * 160, f * 160 + 160)));
    const first = decoder.conceal(80); // first 10 ms of the loss
    const rest = decoder.conceal(320); // 10..50 ms
    expect(first.length).toBe(80);
    expect(rest.length).toBe(320);
    const levelDb = 20 * Math.log10(rms(first) / rms(tone));
    expect(levelDb).toBeGreaterThan(-3);
    expect(levelDb).toBeLessThan(0.5);
    expect(Array.from(rest.subarray(240)).every((v) => v === 0)).toBe(true); // 40..50 ms
  });
});

describe('G.711 argument checks', () => {
  it('rejects an unknown law or a wrong array type with ERR_INVALID_ARGUMENT', () => {
    expect(() => g711Encode('g722' as G711Law, new Int16Array(2))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => g711Encode('pcmu', new Uint8Array(2) as unknown as Int16Array)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
    expect(() => g711Decode('pcma', new Int16Array(2) as unknown as Uint8Array)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });

  it('rejects G.711 at another rate or with two channels', () => {
    expect(() => new CodecEncoder({ codec: 'pcmu', clockRate: 16000 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => new CodecDecoder({ codec: 'pcma', channels: 2 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });

  it('rejects an empty payload and leaves the decoder working', () => {
    const decoder = new CodecDecoder({ codec: 'pcmu' });
    expect(() => decoder.decode(new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(Array.from(decoder.decode(Uint8Array.of(0xff, 0x80)))).toEqual([0, 32124]);
  });
});
