// Shared measuring tools and WAV builders for the player tests.

/** Amplitude of the component at `freq` in samples[start, start + length), by the Goertzel algorithm. */
export function goertzelAmplitude(samples: ArrayLike<number>, freq: number, rate: number, start = 0, length = samples.length - start): number {
  const coeff = 2 * Math.cos((2 * Math.PI * freq) / rate);
  let s1 = 0;
  let s2 = 0;
  for (let i = start; i < start + length; i++) {
    const s0 = samples[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * Math.sqrt(Math.max(power, 0))) / length;
}

/** 20·log10(a / b). */
export function db(a: number, b: number): number {
  return 20 * Math.log10(a / b);
}

/** RMS of samples[start, start + length). */
export function rms(samples: ArrayLike<number>, start = 0, length = samples.length - start): number {
  let sum = 0;
  for (let i = start; i < start + length; i++) sum += samples[i] * samples[i];
  return Math.sqrt(sum / length);
}

/** A sine of `amplitude` at `freq` Hz, `seconds` long, at `rate`, as int16. */
export function sine(freq: number, rate: number, seconds: number, amplitude: number): Int16Array {
  const out = new Int16Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / rate));
  return out;
}

/** One RIFF chunk to build a test file from. */
export interface TestChunk {
  /** Four-character id. */
  id: string;
  /** Chunk body. */
  body: Uint8Array;
  /** Size to write in the header instead of body.length (for truncated or lying files). */
  declaredSize?: number;
}

/** A fmt chunk body. */
export function fmtBody(opts: {
  formatTag?: number;
  channels?: number;
  rate?: number;
  bits?: number;
  blockAlign?: number;
  extensibleSubFormat?: number;
}): Uint8Array {
  const channels = opts.channels ?? 1;
  const rate = opts.rate ?? 16000;
  const bits = opts.bits ?? 16;
  const blockAlign = opts.blockAlign ?? channels * Math.ceil(bits / 8);
  const extensible = opts.extensibleSubFormat !== undefined;
  const body = new Uint8Array(extensible ? 40 : 16);
  const view = new DataView(body.buffer);
  view.setUint16(0, extensible ? 0xfffe : (opts.formatTag ?? 1), true);
  view.setUint16(2, channels, true);
  view.setUint32(4, rate, true);
  view.setUint32(8, rate * blockAlign, true);
  view.setUint16(12, blockAlign, true);
  view.setUint16(14, bits, true);
  if (extensible) {
    view.setUint16(16, 22, true); // cbSize
    view.setUint16(18, bits, true); // valid bits
    view.setUint32(20, channels === 2 ? 3 : 4, true); // channel mask
    view.setUint16(24, opts.extensibleSubFormat ?? 1, true);
    body.set([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], 26);
  }
  return body;
}

/** Little-endian bytes of int16 samples. */
export function pcm16Bytes(samples: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(samples.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) view.setInt16(2 * i, samples[i], true);
  return out;
}

/** A RIFF/WAVE file of the given chunks, each padded to an even length. */
export function riffWave(chunks: TestChunk[], head = 'RIFF'): Uint8Array {
  let total = 12;
  for (const c of chunks) total += 8 + c.body.length + (c.body.length & 1);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  const ascii = (s: string, at: number): void => {
    for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i);
  };
  ascii(head, 0);
  view.setUint32(4, total - 8, true);
  ascii('WAVE', 8);
  let at = 12;
  for (const c of chunks) {
    ascii(c.id, at);
    view.setUint32(at + 4, c.declaredSize ?? c.body.length, true);
    out.set(c.body, at + 8);
    at += 8 + c.body.length + (c.body.length & 1);
  }
  return out;
}

/** A plain 16-bit PCM WAV of mono `samples` at `rate`. */
export function wav16(samples: ArrayLike<number>, rate: number): Uint8Array {
  return riffWave([
    { id: 'fmt ', body: fmtBody({ rate }) },
    { id: 'data', body: pcm16Bytes(samples) },
  ]);
}
