// Relate in the native mixer: each member's output leaves out exactly the members it must not
// hear, measured in the audio (exact samples and Goertzel), and members with the same exclusions
// share one output frame.
import { describe, expect, it } from 'vitest';
import { NativeConference, PRIVATE_OUTPUT_GROUP, RELATE_OUTPUT_GROUP } from '../../src/native/testing/mixer.ts';
import { ToneGenerator, concat, goertzelAmplitude } from '../helpers/audio.ts';

const RATE = 16000;
const SECOND = 50;
const AMPLITUDE = 4000;
const TONES: Record<number, number> = { 1: 400, 2: 650, 3: 900 };

function conference(): NativeConference {
  // Gate and comfort noise off: every frame counts from the first tick and silence stays exact.
  return new NativeConference({ rate: RATE, interval: 20, energyLevel: 0, comfortNoiseDbfs: null });
}

/** Runs a second; `talkers` push their tone; returns what each of `ids` heard, and the last tick's frames. */
function runSecond(conf: NativeConference, ids: number[], talkers: number[]): { heard: Map<number, Int16Array>; pushed: Map<number, Int16Array> } {
  const generators = new Map(talkers.map((id) => [id, new ToneGenerator(TONES[id], AMPLITUDE, RATE)]));
  const heard = new Map<number, Int16Array[]>(ids.map((id) => [id, []]));
  const pushed = new Map<number, Int16Array>();
  for (let t = 0; t < SECOND; t++) {
    for (const [id, generator] of generators) {
      const frame = generator.next(320);
      pushed.set(id, frame);
      conf.pushFrame(id, frame);
    }
    conf.tick();
    for (const id of ids) heard.get(id)!.push(conf.readFrame(id));
  }
  return { heard: new Map([...heard].map(([id, frames]) => [id, concat(frames)])), pushed };
}

/** Amplitude of each talker's tone in what a member heard. */
function tones(samples: Int16Array): Record<number, number> {
  return Object.fromEntries(Object.entries(TONES).map(([id, hz]) => [id, goertzelAmplitude(samples, hz, RATE)]));
}

const HEARD = AMPLITUDE * 0.9;
const ABSENT = 1;

describe('relate in the mixer', () => {
  it('three members: deaf removes the other from the member, mute removes the member from the other, clear restores both', () => {
    const conf = conference();
    for (const id of [1, 2, 3]) conf.addMember(id);

    conf.relate(1, 2, 'deaf');
    let { heard, pushed } = runSecond(conf, [1, 2, 3], [1, 2, 3]);
    expect(tones(heard.get(1)!)).toMatchObject({ 2: expect.any(Number) });
    expect(tones(heard.get(1)!)[2]).toBeLessThan(ABSENT);
    expect(tones(heard.get(1)!)[3]).toBeGreaterThan(HEARD);
    // Exactly the third member's samples: nothing of the second is left (the limiter passes them bit-exact).
    expect(Array.from(conf.readFrame(1))).toEqual(Array.from(pushed.get(3)!));
    expect(tones(heard.get(2)!)[1]).toBeGreaterThan(HEARD);
    expect(tones(heard.get(3)!)[1]).toBeGreaterThan(HEARD);
    expect(tones(heard.get(3)!)[2]).toBeGreaterThan(HEARD);

    conf.relate(1, 2, 'mute');
    ({ heard } = runSecond(conf, [1, 2, 3], [1, 2, 3]));
    expect(tones(heard.get(1)!)[2]).toBeLessThan(ABSENT);
    expect(tones(heard.get(2)!)[1]).toBeLessThan(ABSENT);
    expect(tones(heard.get(2)!)[3]).toBeGreaterThan(HEARD);
    expect(tones(heard.get(3)!)[1]).toBeGreaterThan(HEARD);
    expect(tones(heard.get(3)!)[2]).toBeGreaterThan(HEARD);

    conf.relate(1, 2, 'clear');
    ({ heard } = runSecond(conf, [1, 2, 3], [1, 2, 3]));
    expect(tones(heard.get(1)!)[2]).toBeGreaterThan(HEARD);
    expect(tones(heard.get(2)!)[1]).toBeGreaterThan(HEARD);
    expect(conf.getMember(1).outputGroup).toBe(PRIVATE_OUTPUT_GROUP);
  });

  it('a member related to two others hears only the rest; listeners with the same exclusions share one frame', () => {
    const conf = conference();
    for (const id of [1, 2, 3, 10, 11, 12]) conf.addMember(id);
    // 10 and 11 must not hear 1 and 2; 12 must not hear 1 only.
    for (const listener of [10, 11]) {
      conf.relate(listener, 1, 'deaf');
      conf.relate(listener, 2, 'deaf');
    }
    conf.relate(1, 12, 'mute');
    const { heard, pushed } = runSecond(conf, [10, 11, 12], [1, 2, 3]);
    for (const listener of [10, 11]) {
      const t = tones(heard.get(listener)!);
      expect(t[1]).toBeLessThan(ABSENT);
      expect(t[2]).toBeLessThan(ABSENT);
      expect(t[3]).toBeGreaterThan(HEARD);
      expect(Array.from(conf.readFrame(listener))).toEqual(Array.from(pushed.get(3)!));
    }
    const t12 = tones(heard.get(12)!);
    expect(t12[1]).toBeLessThan(ABSENT);
    expect(t12[2]).toBeGreaterThan(HEARD);
    expect(t12[3]).toBeGreaterThan(HEARD);
    // One of 10 and 11 renders the frame, the other points at it.
    const groups = [conf.getMember(10).outputGroup, conf.getMember(11).outputGroup].sort((a, b) => a - b);
    expect(groups).toEqual([RELATE_OUTPUT_GROUP, PRIVATE_OUTPUT_GROUP]);
    expect(conf.getMember(12).outputGroup).toBe(PRIVATE_OUTPUT_GROUP);
    // Outputs rendered: three N-1 mixes of the talkers, one shared for 10 and 11, one for 12.
    expect(conf.getConference().renderedOutputs).toBe(5);

    // When the members it must not hear are silent, the listener is back in its listen group.
    conf.tick();
    expect(conf.getMember(10).outputGroup).toBeGreaterThanOrEqual(0);
  });

  it('a member leaving drops its relationships; bad relations are refused and change nothing', () => {
    const conf = conference();
    for (const id of [1, 2, 3]) conf.addMember(id);
    conf.relate(1, 2, 'deaf');
    expect(() => conf.relate(1, 1, 'deaf')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => conf.relate(1, 9, 'deaf')).toThrow(expect.objectContaining({ code: 'ERR_NOT_FOUND' }));
    expect(() => conf.relate(1, 3, 'loud' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    let { heard } = runSecond(conf, [1], [2, 3]);
    expect(tones(heard.get(1)!)[2]).toBeLessThan(ABSENT);
    expect(tones(heard.get(1)!)[3]).toBeGreaterThan(HEARD);
    conf.removeMember(2);
    conf.addMember(2);
    ({ heard } = runSecond(conf, [1], [2, 3]));
    expect(tones(heard.get(1)!)[2]).toBeGreaterThan(HEARD);
  });
});
