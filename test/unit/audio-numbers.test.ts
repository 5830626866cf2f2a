// The audio numbers the engine validates against (src/audio/numbers.ts, plain TypeScript so that
// importing confmix loads no native code) agree with the C++ core's: its formula, its accepted
// rates, intervals and ranges, its defaults and its sensitivity steps.
import { describe, expect, it } from 'vitest';
import {
  COMFORT_NOISE_MAX_DBFS,
  COMFORT_NOISE_MIN_DBFS,
  DEFAULT_COMFORT_NOISE_DBFS,
  DEFAULT_ENERGY_LEVEL,
  DEFAULT_HANGOVER_MS,
  DTMF_KEYS,
  ENERGY_LEVEL_MAX,
  ENERGY_LEVEL_STEPS,
  FREESWITCH_DEFAULT_COMFORT_NOISE,
  HANGOVER_MAX_MS,
  LEVEL_MAX,
  LEVEL_MIN,
  MIXER_INTERVALS_MS,
  MIXER_RATES,
  comfortNoiseDbfsFromDivisor,
  comfortNoiseDbfsFromFreeswitch,
} from '../../src/audio/numbers.ts';
import { NativeConference, nativeComfortNoiseDbfsFromDivisor, type NativeConferenceOptions } from '../../src/native/testing/mixer.ts';
import { codeOf } from '../helpers/errors.ts';

const options = (extra: Partial<NativeConferenceOptions> = {}): NativeConferenceOptions => ({ rate: 16000, interval: 20, ...extra });

describe('audio numbers: TypeScript and C++ agree', () => {
  it('converts every FreeSWITCH comfort-noise divisor to the same level', () => {
    for (const divisor of [1, 2, 3, 7, 100, 256, 1000, FREESWITCH_DEFAULT_COMFORT_NOISE, 5000, 32767, 32768, 40000]) {
      const native = nativeComfortNoiseDbfsFromDivisor(divisor);
      const typescript = comfortNoiseDbfsFromDivisor(divisor);
      if (native === null) expect(typescript).toBeNull();
      else expect(typescript).toBeCloseTo(native, 9);
    }
    expect(comfortNoiseDbfsFromFreeswitch(true)).toBeCloseTo(nativeComfortNoiseDbfsFromDivisor(FREESWITCH_DEFAULT_COMFORT_NOISE)!, 9);
    expect(comfortNoiseDbfsFromFreeswitch(0)).toBeNull();
  });

  it('accepts exactly the conference rates and intervals', () => {
    for (const rate of MIXER_RATES) expect(codeOf(() => new NativeConference(options({ rate })))).toBeUndefined();
    for (const rate of [11025, 12000, 22050, 44100, 96000]) expect(codeOf(() => new NativeConference(options({ rate: rate as 16000 })))).toBe('ERR_INVALID_ARGUMENT');
    for (const interval of MIXER_INTERVALS_MS) expect(codeOf(() => new NativeConference(options({ interval })))).toBeUndefined();
    for (const interval of [5, 15, 30, 80]) expect(codeOf(() => new NativeConference(options({ interval: interval as 20 })))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('has the same defaults', () => {
    const state = new NativeConference(options()).getConference();
    expect([state.energyLevel, state.hangoverMs, state.comfortNoiseDbfs]).toEqual([DEFAULT_ENERGY_LEVEL, DEFAULT_HANGOVER_MS, DEFAULT_COMFORT_NOISE_DBFS]);
  });

  it('has the same ranges: hangover, comfort noise, levels and energy level', () => {
    expect(codeOf(() => new NativeConference(options({ hangoverMs: HANGOVER_MAX_MS })))).toBeUndefined();
    expect(codeOf(() => new NativeConference(options({ hangoverMs: HANGOVER_MAX_MS + 1 })))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => new NativeConference(options({ comfortNoiseDbfs: COMFORT_NOISE_MIN_DBFS })))).toBeUndefined();
    expect(codeOf(() => new NativeConference(options({ comfortNoiseDbfs: COMFORT_NOISE_MAX_DBFS })))).toBeUndefined();
    expect(codeOf(() => new NativeConference(options({ comfortNoiseDbfs: COMFORT_NOISE_MIN_DBFS - 0.5 })))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => new NativeConference(options({ comfortNoiseDbfs: COMFORT_NOISE_MAX_DBFS + 0.5 })))).toBe('ERR_INVALID_ARGUMENT');
    const conference = new NativeConference(options());
    conference.addMember(1);
    for (const field of ['talkLevel', 'listenLevel'] as const) {
      expect(codeOf(() => conference.setMember(1, { [field]: LEVEL_MIN }))).toBeUndefined();
      expect(codeOf(() => conference.setMember(1, { [field]: LEVEL_MAX }))).toBeUndefined();
      expect(codeOf(() => conference.setMember(1, { [field]: LEVEL_MIN - 1 }))).toBe('ERR_INVALID_ARGUMENT');
      expect(codeOf(() => conference.setMember(1, { [field]: LEVEL_MAX + 1 }))).toBe('ERR_INVALID_ARGUMENT');
    }
    expect(codeOf(() => conference.setMember(1, { energyLevel: ENERGY_LEVEL_MAX }))).toBeUndefined();
    expect(codeOf(() => conference.setMember(1, { energyLevel: ENERGY_LEVEL_MAX + 1 }))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('walks the same sensitivity steps with keys 9 and 7, and knows the same keys', () => {
    const conference = new NativeConference(options({ energyLevel: 0 }));
    conference.addMember(1);
    const walk = (key: '7' | '9'): number[] =>
      ENERGY_LEVEL_STEPS.map(() => {
        conference.pressKey(1, key);
        return conference.getMember(1).energyLevel;
      });
    expect(walk('9')).toEqual([...ENERGY_LEVEL_STEPS.slice(1), ENERGY_LEVEL_STEPS.at(-1)]);
    expect(walk('7')).toEqual([...ENERGY_LEVEL_STEPS.slice(0, -1).reverse(), ENERGY_LEVEL_STEPS[0]]);
    for (const key of DTMF_KEYS) expect(codeOf(() => conference.pressKey(1, key))).toBeUndefined();
    expect(codeOf(() => conference.pressKey(1, 'A' as '1'))).toBe('ERR_INVALID_ARGUMENT');
  });
});
