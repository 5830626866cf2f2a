// Opus quality per bitrate at each conference rate: a tone's level and a speech signal's
// distance from the original after one encode and decode at the conference rate (as the engine
// codes a member's stream). The engine's default bitrates (DefaultOpusBitrate) were chosen from
// this table: the lowest bitrate whose figures are at the top bitrates' level.
import { CodecDecoder, CodecEncoder } from '../../src/native/testing/codecs.ts';
import { synthesizeSpeech } from '../../src/audio/speech.ts';
import { bestLag, db, sine, speechDistance, toneAmplitude } from './signal.ts';

/** The Opus rates a conference runs its encoders at (32 kHz conferences code at 48 kHz). */
export const OPUS_CONFERENCE_RATES = [8000, 16000, 24000, 48000] as const;
/** Bitrates measured, bits/s; 0 is the engine's default for the rate. */
export const MEASURED_BITRATES = [12000, 16000, 20000, 24000, 32000, 40000, 48000, 64000] as const;
/** Tones whose levels are checked: low, middle and high speech frequencies (below 8 kHz's Nyquist). */
const TONES_HZ = [300, 1000, 3000];
/** -20 dBFS peak, a talker's level in the load rooms. */
const TONE_AMPLITUDE = 3277;
/** Said at each rate; long enough for a steady figure, short enough to code in a second. */
const SENTENCE = 'The quick brown fox jumps over the lazy dog, while seven bright voices count one two three four five.';

/** One rate, channel count and bitrate. */
export interface BitrateQuality {
  rate: number;
  channels: number;
  /** Bits/s asked of the encoder. */
  bitrate: number;
  /** Whether this is the engine's default at this rate and channel count. */
  isDefault: boolean;
  /** Largest level error of the test tones, dB (negative: arrives quieter). */
  toneLevelErrorDb: number;
  /** Speech: log-spectral distance (dB, lower is better) and segmental SNR (dB). */
  speechLsdDb: number;
  speechSegmentalSnrDb: number;
  /** Payload bits/s actually sent over the speech. */
  measuredBitrate: number;
}

/** Encodes `pcm` in 20 ms frames and decodes it again at `rate`; returns the decoded signal and the bits sent. */
function roundTrip(pcm: Int16Array, rate: number, channels: number, bitrate: number): { out: Int16Array; bits: number } {
  const options = { codec: 'opus' as const, pcmRate: rate, channels, ...(bitrate > 0 ? { bitrate } : {}) };
  const encoder = new CodecEncoder(options);
  const decoder = new CodecDecoder({ codec: 'opus', pcmRate: rate });
  const frame = rate / 50;
  const out = new Int16Array(Math.floor(pcm.length / frame) * frame);
  let bits = 0;
  for (let at = 0; at + frame <= pcm.length; at += frame) {
    const payload = encoder.encode(pcm.subarray(at, at + frame));
    bits += payload.length * 8;
    out.set(decoder.decode(payload), at);
  }
  return { out, bits };
}

/** The worst tone level error over TONES_HZ, dB, measured over 0.5 s after 0.2 s. */
function toneLevelError(rate: number, channels: number, bitrate: number): number {
  let worst = 0;
  for (const freq of TONES_HZ.filter((f) => f < rate * 0.45)) {
    const { out } = roundTrip(sine(freq, TONE_AMPLITUDE, rate, rate), rate, channels, bitrate);
    const window = out.subarray(rate / 5, rate / 5 + rate / 2);
    const errorDb = db(toneAmplitude(window, freq, rate) / TONE_AMPLITUDE);
    if (Math.abs(errorDb) > Math.abs(worst)) worst = errorDb;
  }
  return worst;
}

/** The rule the engine's defaults follow: within this much of the top bitrate's segmental SNR ... */
export const SNR_TOLERANCE_DB = 1;
/** ... with every tone's level within this much. */
export const LEVEL_TOLERANCE_DB = 0.25;
/** The bitrate the rule compares with. */
export const TOP_BITRATE = 64000;

/** The lowest measured bitrate that meets the rule at `rate` and `channels` (null if none was measured). */
export function ruleBitrate(results: BitrateQuality[], rate: number, channels: number): number | null {
  const rows = results.filter((r) => r.rate === rate && r.channels === channels).sort((a, b) => a.bitrate - b.bitrate);
  const top = rows.find((r) => r.bitrate === TOP_BITRATE);
  if (!top) return null;
  const pick = rows.find((r) => top.speechSegmentalSnrDb - r.speechSegmentalSnrDb <= SNR_TOLERANCE_DB && Math.abs(r.toneLevelErrorDb) <= LEVEL_TOLERANCE_DB);
  return pick ? pick.bitrate : null;
}

/** What to measure: the engine's default bitrate is always added. */
export interface BitrateSweep {
  defaults: (rate: number, channels: 1 | 2) => number;
  bitrates?: readonly number[];
  rates?: readonly number[];
  channels?: ReadonlyArray<1 | 2>;
}

/** Measures the bitrates (and the default) at each rate and channel count. */
export async function measureBitrates(sweep: BitrateSweep): Promise<BitrateQuality[]> {
  const { defaults, bitrates = MEASURED_BITRATES, rates = OPUS_CONFERENCE_RATES, channels: channelCounts = [1, 2] } = sweep;
  const results: BitrateQuality[] = [];
  for (const rate of rates) {
    const speech = await synthesizeSpeech({ sentence: SENTENCE }, rate);
    for (const channels of channelCounts) {
      const chosen = defaults(rate, channels);
      for (const bitrate of [...new Set<number>([...bitrates, chosen])].sort((a, b) => a - b)) {
        const { out, bits } = roundTrip(speech, rate, channels, bitrate);
        // The codec's delay (a few ms), found on the first two seconds.
        const lag = bestLag(speech.subarray(0, 2 * rate), out.subarray(0, 2 * rate + rate / 100), rate / 100);
        const distance = speechDistance(speech, out, lag, rate, Math.min(7000, rate * 0.45));
        results.push({
          rate,
          channels,
          bitrate,
          isDefault: bitrate === chosen,
          toneLevelErrorDb: toneLevelError(rate, channels, bitrate),
          speechLsdDb: distance.lsdDb,
          speechSegmentalSnrDb: distance.segmentalSnrDb,
          measuredBitrate: bits / (out.length / rate),
        });
      }
    }
  }
  return results;
}
