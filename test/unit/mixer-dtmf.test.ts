// DTMF caller controls: every key's effect, the events they raise, and passthru mode.
import { describe, expect, it } from 'vitest';
import { DTMF_KEYS, type DtmfKey } from '../../src/audio/numbers.ts';
import {
  NativeConference,
  type NativeConferenceOptions,
  type NativeMixerEvent,
} from '../../src/native/testing/mixer.ts';
import { ToneGenerator, concat, goertzelAmplitude, isSilent, ratioDb } from '../helpers/audio.ts';

const M = 7;

function conference(options: Partial<NativeConferenceOptions> = {}): NativeConference {
  const conf = new NativeConference({ rate: 16000, interval: 20, ...options });
  conf.addMember(M);
  return conf;
}

function press(conf: NativeConference, keys: string): NativeMixerEvent[] {
  for (const key of keys) conf.pressKey(M, key as DtmfKey);
  return conf.drainEvents();
}

/** Presses `key` `times` times and returns the member field after each press. */
function walk(conf: NativeConference, key: DtmfKey, times: number, field: 'talkLevel' | 'listenLevel' | 'energyLevel'): number[] {
  return Array.from({ length: times }, () => {
    conf.pressKey(M, key);
    return conf.getMember(M)[field];
  });
}

describe('volume keys', () => {
  it('1 / 2 / 3: talk down (to -4), reset, up (to +4)', () => {
    const conf = conference();
    expect(walk(conf, '1', 6, 'talkLevel')).toEqual([-1, -2, -3, -4, -4, -4]);
    expect(walk(conf, '2', 1, 'talkLevel')).toEqual([0]);
    expect(walk(conf, '3', 6, 'talkLevel')).toEqual([1, 2, 3, 4, 4, 4]);
    expect(walk(conf, '2', 2, 'talkLevel')).toEqual([0, 0]);
  });

  it('4 / 5 / 6: listen down (to -4), reset, up (to +4)', () => {
    const conf = conference();
    expect(walk(conf, '4', 6, 'listenLevel')).toEqual([-1, -2, -3, -4, -4, -4]);
    expect(walk(conf, '5', 1, 'listenLevel')).toEqual([0]);
    expect(walk(conf, '6', 6, 'listenLevel')).toEqual([1, 2, 3, 4, 4, 4]);
    expect(walk(conf, '5', 1, 'listenLevel')).toEqual([0]);
    expect(conf.getMember(M).talkLevel).toBe(0);
  });

  it('raise a dtmf event per press and a changed event only when the level moves', () => {
    const conf = conference();
    conf.setMember(M, { talkLevel: -3 });
    conf.drainEvents();
    expect(press(conf, '11')).toEqual([
      { type: 'dtmf', member: M, key: '1', action: 'talk-down', tick: 0 },
      { type: 'changed', member: M, what: 'talkLevel', value: -4, tick: 0 },
      { type: 'dtmf', member: M, key: '1', action: 'talk-down', tick: 0 },
    ]);
    expect(press(conf, '6').map((e) => e.type === 'changed' && [e.what, e.value])).toEqual([false, ['listenLevel', 1]]);
  });

  it('a talk level set by key changes what the others hear', () => {
    const conf = conference();
    conf.addMember(8);
    press(conf, '333');
    const tone = new ToneGenerator(1000, 3000, 16000);
    const heard: Int16Array[] = [];
    for (let t = 0; t < 50; t++) {
      conf.pushFrame(M, tone.next(320));
      conf.tick();
      heard.push(conf.readFrame(8));
    }
    expect(Math.abs(ratioDb(goertzelAmplitude(concat(heard), 1000, 16000), 3000) - 9)).toBeLessThan(0.05);
  });
});

describe('sensitivity keys', () => {
  it('7 walks down the step table to 0 and stays there', () => {
    const conf = conference();
    expect(walk(conf, '7', 5, 'energyLevel')).toEqual([50, 25, 0, 0, 0]);
  });

  it('9 walks up the step table to 1600 and stays there', () => {
    const conf = conference();
    expect(walk(conf, '9', 6, 'energyLevel')).toEqual([200, 400, 800, 1600, 1600, 1600]);
  });

  it('from a value between steps, 7 goes to the next lower step and 9 to the next higher', () => {
    const conf = conference();
    conf.setMember(M, { energyLevel: 150 });
    expect(walk(conf, '7', 1, 'energyLevel')).toEqual([100]);
    conf.setMember(M, { energyLevel: 150 });
    expect(walk(conf, '9', 1, 'energyLevel')).toEqual([200]);
    conf.setMember(M, { energyLevel: 10 });
    expect(walk(conf, '7', 1, 'energyLevel')).toEqual([0]);
  });

  it('above the table, 9 leaves the value and 7 goes to 1600', () => {
    const conf = conference();
    conf.setMember(M, { energyLevel: 3000 });
    expect(walk(conf, '9', 1, 'energyLevel')).toEqual([3000]);
    expect(walk(conf, '7', 1, 'energyLevel')).toEqual([1600]);
  });

  it('8 returns to the conference threshold', () => {
    const conf = conference({ energyLevel: 300 });
    expect(conf.getMember(M).energyLevel).toBe(300);
    expect(walk(conf, '7', 2, 'energyLevel')).toEqual([200, 100]);
    conf.drainEvents();
    expect(walk(conf, '8', 2, 'energyLevel')).toEqual([300, 300]);
    expect(conf.drainEvents().filter((e) => e.type === 'changed')).toEqual([
      { type: 'changed', member: M, what: 'energyLevel', value: 300, tick: 0 },
    ]);
  });
});

describe('mute, deaf and leave keys', () => {
  it('0 toggles mute', () => {
    const conf = conference();
    expect(press(conf, '0')).toEqual([
      { type: 'dtmf', member: M, key: '0', action: 'toggle-mute', tick: 0 },
      { type: 'changed', member: M, what: 'mute', value: true, tick: 0 },
    ]);
    expect(conf.getMember(M).mute).toBe(true);
    press(conf, '0');
    expect(conf.getMember(M).mute).toBe(false);
  });

  it('0 really stops the member being heard', () => {
    const conf = conference({ comfortNoiseDbfs: null });
    conf.addMember(8);
    press(conf, '0');
    conf.pushFrame(M, new ToneGenerator(1000, 3000, 16000).next(320));
    conf.tick();
    expect(isSilent(conf.readFrame(8))).toBe(true);
  });

  it('* sets deaf and mute together, and clears both when deaf', () => {
    const conf = conference();
    const flags = (): [boolean, boolean] => [conf.getMember(M).deaf, conf.getMember(M).mute];
    press(conf, '*');
    expect(flags()).toEqual([true, true]);
    press(conf, '*');
    expect(flags()).toEqual([false, false]);
    conf.setMember(M, { mute: true }); // muted, not deaf: * sets both
    press(conf, '*');
    expect(flags()).toEqual([true, true]);
    conf.setMember(M, { mute: false }); // deaf, not muted: * clears both
    conf.drainEvents();
    expect(press(conf, '*')).toEqual([
      { type: 'dtmf', member: M, key: '*', action: 'toggle-deaf-mute', tick: 0 },
      { type: 'changed', member: M, what: 'deaf', value: false, tick: 0 },
    ]);
    expect(flags()).toEqual([false, false]);
  });

  it('# raises a leave event and changes nothing', () => {
    const conf = conference();
    const before = conf.getMember(M);
    expect(press(conf, '#')).toEqual([
      { type: 'dtmf', member: M, key: '#', action: 'leave', tick: 0 },
      { type: 'leave', member: M, tick: 0 },
    ]);
    expect(conf.getMember(M)).toEqual(before);
    expect(conf.getConference().members).toBe(1);
  });
});

describe('event ring', () => {
  it('keeps events up to its capacity and counts the ones it had to drop', () => {
    const conf = conference(); // one member: room for 256 + 4 events
    for (let i = 0; i < 300; i++) conf.pressKey(M, '5');
    expect(conf.getConference().droppedEvents).toBe(40);
    const events = conf.drainEvents();
    expect(events).toHaveLength(260);
    expect(events.every((e) => e.type === 'dtmf' && e.key === '5')).toBe(true);
    conf.pressKey(M, '5');
    expect(conf.drainEvents()).toHaveLength(1);
  });
});

describe('passthru digits', () => {
  it('reports every key and acts on none', () => {
    const conf = conference({ digits: 'passthru' });
    const before = conf.getMember(M);
    const events = press(conf, DTMF_KEYS.join('') + '*0#9');
    expect(events).toEqual([...DTMF_KEYS, '*', '0', '#', '9'].map((key) => ({ type: 'dtmf', member: M, key, action: 'none', tick: 0 })));
    expect(conf.getMember(M)).toEqual(before);
    expect(conf.getConference().digits).toBe('passthru');
  });
});
