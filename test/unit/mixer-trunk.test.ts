// A cascade trunk member: never gated, never capped by maxActiveTalkers, no comfort noise on its
// output, set only when the member is added.
import { describe, expect, it } from 'vitest';
import { NativeConference } from '../../src/native/testing/mixer.ts';
import { ToneGenerator, concat, goertzelAmplitude, isSilent } from '../helpers/audio.ts';

const RATE = 16000;
const N = 320;

// What member 3 hears over one second while 1 speaks a loud 440 Hz and 2 a quiet 1000 Hz.
function listen(trunk: boolean, quiet: number): { loud: number; quietTone: number } {
  const conf = new NativeConference({ rate: RATE, interval: 20, maxActiveTalkers: 1, comfortNoiseDbfs: null });
  conf.addMember(1);
  conf.addMember(2, { trunk });
  conf.addMember(3);
  const a = new ToneGenerator(440, 8000, RATE);
  const b = new ToneGenerator(1000, quiet, RATE);
  const frames: Int16Array[] = [];
  for (let t = 0; t < 50; t++) {
    conf.pushFrame(1, a.next(N));
    conf.pushFrame(2, b.next(N));
    conf.tick();
    frames.push(Int16Array.from(conf.readFrame(3)));
  }
  const heard = concat(frames.slice(10));
  return { loud: goertzelAmplitude(heard, 440, RATE), quietTone: goertzelAmplitude(heard, 1000, RATE) };
}

describe('trunk member', () => {
  it('contributes beside the active talkers, where a plain member is capped', () => {
    const plain = listen(false, 2000);
    const trunk = listen(true, 2000);
    expect(plain.loud).toBeGreaterThan(7000);
    expect(plain.quietTone).toBeLessThan(20);
    expect(trunk.loud).toBeGreaterThan(7000);
    expect(trunk.quietTone).toBeGreaterThan(1900);
  });

  it('is never gated: a sum below the energy threshold still goes through', () => {
    // Amplitude 60: an energy score near 38, under the default threshold of 100.
    expect(listen(false, 60).quietTone).toBeLessThan(5);
    expect(listen(true, 60).quietTone).toBeGreaterThan(50);
  });

  it('gets no comfort noise (the far side adds its own), while a plain listener does', () => {
    const conf = new NativeConference({ rate: RATE, interval: 20, comfortNoiseDbfs: -50 });
    conf.addMember(1, { trunk: true });
    conf.addMember(2);
    conf.addMember(3);
    for (let t = 0; t < 5; t++) {
      conf.pushFrame(1, new Int16Array(N));
      conf.tick();
      expect(isSilent(conf.readFrame(1))).toBe(true);
    }
    expect(isSilent(conf.readFrame(2))).toBe(false);
  });

  it('is set when the member is added; an update cannot make a member a trunk', () => {
    const conf = new NativeConference({ rate: RATE, interval: 20 });
    conf.addMember(1);
    expect(() => conf.setMember(1, { trunk: true })).toThrow(/trunk is set when a member is added/);
    conf.setMember(1, { mute: true });
    expect(conf.getMember(1).mute).toBe(true);
  });
});
