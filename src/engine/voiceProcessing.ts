// A member's voice processing options: noise suppression and AGC (speexdsp, on the shard).
import { InvalidArgumentError } from '../errors.ts';

/** How a member's voice is processed; each part is on unless set false. */
export interface VoiceProcessingOptions {
  /** Suppress stationary noise (default true). */
  noiseSuppression?: boolean;
  /** Most attenuation of noise, -60..-1 dB (default -15). */
  noiseSuppressionDb?: number;
  /** Steer the speech level toward agcTargetDbfs (default true). */
  agc?: boolean;
  /** RMS level the AGC steers speech toward, -40..-3 dBFS (default -18). */
  agcTargetDbfs?: number;
}

const KEYS = new Set(['noiseSuppression', 'noiseSuppressionDb', 'agc', 'agcTargetDbfs']);

function integerIn(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw new InvalidArgumentError(`${name} must be an integer in ${min}..${max}`);
  return value;
}

/** Checks setVoiceProcessing()'s argument: true (defaults), false (off, null) or options. */
export function checkVoiceOptions(options: unknown): VoiceProcessingOptions | null {
  if (options === false) return null;
  if (options === true) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new InvalidArgumentError('voice processing must be true, false or an options object');
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!KEYS.has(key)) throw new InvalidArgumentError(`unknown voice processing option '${key}'; known: ${[...KEYS].join(', ')}`);
  const out: VoiceProcessingOptions = {};
  for (const flag of ['noiseSuppression', 'agc'] as const) {
    if (o[flag] === undefined) continue;
    if (typeof o[flag] !== 'boolean') throw new InvalidArgumentError(`${flag} must be a boolean`);
    out[flag] = o[flag] as boolean;
  }
  if (o.noiseSuppressionDb !== undefined) out.noiseSuppressionDb = integerIn(o.noiseSuppressionDb, 'noiseSuppressionDb', -60, -1);
  if (o.agcTargetDbfs !== undefined) out.agcTargetDbfs = integerIn(o.agcTargetDbfs, 'agcTargetDbfs', -40, -3);
  if (out.noiseSuppression === false && out.agc === false) throw new InvalidArgumentError('voice processing needs noise suppression or agc; pass false to turn it off');
  return out;
}
