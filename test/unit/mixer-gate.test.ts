// The energy gate, its hangover, and the talking events riding on it.
import { describe, expect, it } from 'vitest';
import { NativeConference, type NativeConferenceOptions, type NativeMixerEvent } from '../../src/native/testing/mixer.ts';
import { constantEnergyFrame, isSilent } from '../helpers/audio.ts';

const N = 320; // 20 ms at 16 kHz
const TALKER = 1;
const LISTENER = 2;

function conference(options: Partial<NativeConferenceOptions> = {}): NativeConference {
  const conf = new NativeConference({ rate: 16000, interval: 20, comfortNoiseDbfs: null, ...options });
  conf.addMember(TALKER);
  conf.addMember(LISTENER);
  return conf;
}

/** Pushes one frame per entry (score -> a frame of exactly that energy, null -> no frame) and
 *  returns, per tick, whether the listener heard the talker's exact frame. */
function mixedPerTick(conf: NativeConference, scores: Array<number | null>, samples = N): boolean[] {
  return scores.map((score) => {
    const frame = score === null ? null : constantEnergyFrame(score, samples);
    if (frame) conf.pushFrame(TALKER, frame);
    conf.tick();
    const heard = conf.readFrame(LISTENER);
    if (frame === null || score === 0) {
      expect(isSilent(heard)).toBe(true);
      return false;
    }
    if (isSilent(heard)) return false;
    expect(Array.from(heard)).toEqual(Array.from(frame));
    return true;
  });
}

const repeat = <T>(value: T, count: number): T[] => Array.from({ length: count }, () => value);

function talkingEvents(conf: NativeConference): NativeMixerEvent[] {
  return conf.drainEvents().filter((e) => e.type === 'talking-start' || e.type === 'talking-stop');
}

describe('gate', () => {
  it('never mixes a frame scoring at or just below the threshold', () => {
    const conf = conference();
    expect(mixedPerTick(conf, [...repeat(99, 20), ...repeat(100, 20)])).toEqual(repeat(false, 40));
    expect(conf.getMember(TALKER).energy).toBe(100);
    expect(conf.getMember(TALKER).gateOpen).toBe(false);
  });

  it('mixes a frame just above the threshold from the first frame', () => {
    const conf = conference();
    expect(mixedPerTick(conf, repeat(101, 5))).toEqual(repeat(true, 5));
  });

  it('closes exactly after the 500 ms hangover: 25 frames below still mixed, the 26th not', () => {
    const conf = conference();
    const mixed = mixedPerTick(conf, [...repeat(2000, 3), ...repeat(50, 30)]);
    expect(mixed.slice(0, 3 + 25)).toEqual(repeat(true, 28));
    expect(mixed.slice(28)).toEqual(repeat(false, 5));
    expect(conf.getConference().hangoverFrames).toBe(25);
  });

  it('restarts the hangover on every frame above', () => {
    const conf = conference({ hangoverMs: 100 }); // 5 frames
    const mixed = mixedPerTick(conf, [500, ...repeat(50, 4), 500, ...repeat(50, 6)]);
    expect(mixed).toEqual([...repeat(true, 1 + 4 + 1 + 5), false]);
  });

  it('rounds a hangover that is not a multiple of the interval up to whole frames', () => {
    const conf = conference({ hangoverMs: 30 }); // 1.5 frames -> 2
    expect(conf.getConference().hangoverFrames).toBe(2);
    expect(mixedPerTick(conf, [500, 50, 50, 50, 50])).toEqual([true, true, true, false, false]);
  });

  it('counts the hangover in frames of the conference interval (10 ms: 50 frames)', () => {
    const conf = conference({ interval: 10 });
    const mixed = mixedPerTick(conf, [500, ...repeat(50, 52)], 160);
    expect(mixed.filter(Boolean).length).toBe(51);
    expect(mixed[50]).toBe(true);
    expect(mixed[51]).toBe(false);
  });

  it('closes on the first frame below with a 0 ms hangover', () => {
    const conf = conference({ hangoverMs: 0 });
    expect(mixedPerTick(conf, [500, 50, 500])).toEqual([true, false, true]);
  });

  it('counts a missing frame as a frame below', () => {
    const conf = conference({ hangoverMs: 40 }); // 2 frames
    expect(mixedPerTick(conf, [500, null, null, 50])).toEqual([true, false, false, false]);
    expect(conf.getMember(TALKER).gateOpen).toBe(false);
  });

  it('with threshold 0 mixes every frame, however quiet', () => {
    const conf = conference({ energyLevel: 0 });
    expect(mixedPerTick(conf, [1, 2, 0, 1, 0, 0, 0, 0, 3])).toEqual([true, true, false, true, false, false, false, false, true]);
  });

  it('uses the member threshold when it differs from the conference default', () => {
    const conf = conference();
    conf.setMember(TALKER, { energyLevel: 1000 });
    expect(mixedPerTick(conf, [999, 1000, 1001])).toEqual([false, false, true]);
  });

  it('scores energy before talk gain', () => {
    const conf = conference();
    conf.setMember(TALKER, { talkLevel: -4 });
    conf.pushFrame(TALKER, constantEnergyFrame(120, N));
    conf.tick();
    expect(conf.getMember(TALKER).energy).toBe(120);
    expect(conf.getMember(TALKER).contributed).toBe(true);
    expect(conf.readFrame(LISTENER)[0]).toBe(Math.round(120 * 10 ** (-12 / 20)));
  });
});

describe('talking events', () => {
  function feed(conf: NativeConference, scores: Array<number | null>): void {
    for (const score of scores) {
      if (score !== null) conf.pushFrame(TALKER, constantEnergyFrame(score, N));
      conf.tick();
    }
  }

  it('start on the 3rd open frame and stop on the frame the gate closes, with that frame\'s score', () => {
    const conf = conference();
    feed(conf, [150, 160, 170, ...repeat(50, 24), 40, 30, 20]);
    expect(talkingEvents(conf)).toEqual([
      { type: 'talking-start', member: TALKER, energy: 170, tick: 2 },
      { type: 'talking-stop', member: TALKER, energy: 30, tick: 28 },
    ]);
  });

  it('start at once on a frame scoring more than threshold + 400', () => {
    const conf = conference();
    feed(conf, [501, 600]);
    expect(talkingEvents(conf)).toEqual([{ type: 'talking-start', member: TALKER, energy: 501, tick: 0 }]);
  });

  it('do not start at once on exactly threshold + 400', () => {
    const conf = conference();
    feed(conf, [500, 500]);
    expect(talkingEvents(conf)).toEqual([]);
    feed(conf, [500]);
    expect(talkingEvents(conf)).toEqual([{ type: 'talking-start', member: TALKER, energy: 500, tick: 2 }]);
  });

  it('start when a later frame of an open gate scores over threshold + 400', () => {
    const conf = conference();
    feed(conf, [150, 700]);
    expect(talkingEvents(conf)).toEqual([{ type: 'talking-start', member: TALKER, energy: 700, tick: 1 }]);
  });

  it('never start when the gate closes before its 3rd frame', () => {
    const conf = conference({ hangoverMs: 20 }); // 1 frame
    feed(conf, [150, 50, 50, 150, 50, 50]);
    expect(talkingEvents(conf)).toEqual([]);
  });

  it('with the gate off, digital silence is not talking but any sound is', () => {
    const conf = conference({ energyLevel: 0 });
    feed(conf, repeat(0, 40));
    expect(talkingEvents(conf)).toEqual([]);
    feed(conf, [1, 1, 1]);
    expect(talkingEvents(conf)).toEqual([{ type: 'talking-start', member: TALKER, energy: 1, tick: 42 }]);
    feed(conf, repeat(0, 26));
    expect(talkingEvents(conf)).toEqual([{ type: 'talking-stop', member: TALKER, energy: 0, tick: 68 }]);
  });

  it('are reported for a muted member whose audio is not mixed', () => {
    const conf = conference();
    conf.setMember(TALKER, { mute: true });
    conf.drainEvents();
    feed(conf, [900]);
    expect(talkingEvents(conf)).toEqual([{ type: 'talking-start', member: TALKER, energy: 900, tick: 0 }]);
    expect(isSilent(conf.readFrame(LISTENER))).toBe(true);
    expect(conf.getMember(TALKER).talking).toBe(true);
  });
});
