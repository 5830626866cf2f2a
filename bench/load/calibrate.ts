// What one decode, encode and resample of a 20 ms frame costs on this machine, so a room's
// decodes and encodes per tick can be turned into an estimate of where its tick CPU goes.
import { CodecDecoder, CodecEncoder, Resampler, g711Decode, g711Encode, type ResamplerRate } from '../../src/native/testing/codecs.ts';
import type { LoadCodec } from './options.ts';
import { encodeToneLoops, FORMATS, toneFrames } from './payloads.ts';
import type { CodecCosts } from './protocol.ts';

/** Frames per G.711 and resampler measurement: one native call over many frames, so the
 *  per-call cost of crossing into the addon does not swamp a sub-microsecond operation. */
const BATCH_FRAMES = 5000;
/** Opus calls per measurement (each call is tens of microseconds: the crossing is noise). */
const OPUS_FRAMES = 500;

// CPU time rather than wall time: a busy machine preempts the loop, which would count against
// the codec. The process's other threads are idle here (the room's pool is closed).
function microsecondsPer(frames: number, run: () => void): number {
  run(); // warm caches and lazy tables
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / frames;
}

function resampleUs(from: number, to: number): number {
  if (from === to) return 0;
  const resampler = new Resampler(from as ResamplerRate, to as ResamplerRate);
  const input = new Int16Array((from / 50) * BATCH_FRAMES).map((_, i) => Math.round(3000 * Math.sin(i / 7)));
  return microsecondsPer(BATCH_FRAMES, () => resampler.process(input));
}

/** Measures one codec's costs at a conference rate. */
export function measureCodecCosts(codec: LoadCodec, conferenceRate: number): CodecCosts {
  const format = FORMATS[codec];
  const resampleInUs = resampleUs(format.clockRate, conferenceRate);
  const resampleOutUs = resampleUs(conferenceRate, format.clockRate);
  if (codec === 'pcmu') {
    const pcm = new Int16Array(format.frameSamples * BATCH_FRAMES).map((_, i) => Math.round(3000 * Math.sin(i / 5)));
    const codes = g711Encode('pcmu', pcm);
    return {
      decodeUs: microsecondsPer(BATCH_FRAMES, () => g711Decode('pcmu', codes)),
      encodeUs: microsecondsPer(BATCH_FRAMES, () => g711Encode('pcmu', pcm)),
      resampleInUs,
      resampleOutUs,
    };
  }
  // The same payloads the talkers send, and a frame of several tones like a mix.
  const payloads = encodeToneLoops('opus').flat();
  const decoder = new CodecDecoder({ codec: 'opus', clockRate: 48000, channels: 1 });
  const decodeUs = microsecondsPer(OPUS_FRAMES, () => {
    for (let i = 0; i < OPUS_FRAMES; i++) decoder.decode(payloads[i % payloads.length]);
  });
  const mix = toneFrames(425, 48000).map((frame, f) => {
    const other = toneFrames(1000, 48000)[f];
    return frame.map((sample, i) => sample + other[i]);
  });
  // The engine's send encoder: mono, in-band FEC, complexity 5, libopus's default bitrate.
  const encoder = new CodecEncoder({ codec: 'opus', clockRate: 48000, channels: 1 });
  const encodeUs = microsecondsPer(OPUS_FRAMES, () => {
    for (let i = 0; i < OPUS_FRAMES; i++) encoder.encode(mix[i % mix.length]);
  });
  return { decodeUs, encodeUs, resampleInUs, resampleOutUs };
}
