// Playback sources (conference-wide and private), their done events, and idle conferences.
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, InvalidStateError, NotFoundError } from '../../src/errors.ts';
import {
  NativeConference,
  PRIVATE_OUTPUT_GROUP,
  SILENCE_OUTPUT_GROUP,
  type NativeConferenceOptions,
  type NativeMixerEvent,
  type PlaybackDoneEvent,
} from '../../src/native/testing/mixer.ts';
import { ToneGenerator, concat, constantEnergyFrame, goertzelAmplitude, isSilent, ratioDb, rmsDbfs, sine } from '../helpers/audio.ts';

const RATE = 16000;
const N = 320; // 20 ms at 16 kHz
const SECOND = 50; // ticks in one second: every tone below has whole cycles in it
const PLAY_HZ = 700;
const TALK_HZ = 1000;

function conference(options: Partial<NativeConferenceOptions> = {}): NativeConference {
  return new NativeConference({ rate: RATE, interval: 20, comfortNoiseDbfs: null, ...options });
}

/** Runs `ticks` ticks, pushing `talk` frames for the talkers, and returns what each member heard. */
function run(
  conf: NativeConference,
  ids: number[],
  ticks: number,
  talk: Map<number, ToneGenerator> = new Map(),
): Map<number, Int16Array[]> {
  const heard = new Map<number, Int16Array[]>(ids.map((id) => [id, []]));
  for (let t = 0; t < ticks; t++) {
    for (const [id, tone] of talk) conf.pushFrame(id, tone.next(N));
    conf.tick();
    for (const id of ids) heard.get(id)!.push(conf.readFrame(id));
  }
  return heard;
}

/** Level of `freq` in `frames` relative to `amplitude`, dB. */
function levelDb(frames: Int16Array[], freq: number, amplitude: number): number {
  return ratioDb(goertzelAmplitude(concat(frames), freq, RATE), amplitude);
}

function doneEvents(conf: NativeConference): PlaybackDoneEvent[] {
  return conf.drainEvents().filter((e: NativeMixerEvent): e is PlaybackDoneEvent => e.type === 'playback-done');
}

/** Samples [start, start + count) of `pcm` played in a loop. */
function looped(pcm: Int16Array, start: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => pcm[(start + i) % pcm.length]);
}

describe('conference-wide playback', () => {
  it('is heard by every hearing member at its own level (±0.1 dB), not by deaf or held members', () => {
    const conf = conference();
    conf.addMember(1); // talker
    conf.addMember(2);
    conf.addMember(3, { mute: true });
    conf.addMember(4, { deaf: true });
    conf.addMember(5, { hold: true });
    conf.startPlayback(10, sine(PLAY_HZ, 8000, RATE, SECOND * N));
    const heard = run(conf, [1, 2, 3, 4, 5], SECOND, new Map([[1, new ToneGenerator(TALK_HZ, 6000, RATE)]]));
    for (const id of [1, 2, 3]) expect(Math.abs(levelDb(heard.get(id)!, PLAY_HZ, 8000))).toBeLessThan(0.1);
    // The talker hears the playback, not itself; the listeners hear both.
    expect(levelDb(heard.get(1)!, TALK_HZ, 6000)).toBeLessThan(-90);
    expect(Math.abs(levelDb(heard.get(2)!, TALK_HZ, 6000))).toBeLessThan(0.1);
    for (const id of [4, 5]) for (const frame of heard.get(id)!) expect(isSilent(frame)).toBe(true);
  });

  it('counts as a contributor: no comfort noise on top, and listeners share one frame per listen group', () => {
    const conf = conference({ comfortNoiseDbfs: -40 });
    for (const id of [1, 2, 3]) conf.addMember(id);
    conf.addMember(4, { listenLevel: -2 });
    const pcm = sine(PLAY_HZ, 5000, RATE, 10 * N);
    conf.startPlayback(1, pcm);
    const heard = run(conf, [1, 2, 3, 4], 10);
    for (let t = 0; t < 10; t++) {
      // Exactly the PCM: nothing (no noise) added.
      for (const id of [1, 2, 3]) expect(Array.from(heard.get(id)![t])).toEqual(Array.from(pcm.subarray(t * N, (t + 1) * N)));
    }
    expect(conf.getMember(1).outputGroup).toBe(4);
    expect(conf.getMember(4).outputGroup).toBe(2);
    // Two listen groups (levels 0 and -2): two output frames computed for four members.
    expect(conf.getConference().renderedOutputs).toBe(2);
    expect(conf.getConference().mixedMembers).toBe(4);
  });

  it('is not heard while the conference is held', () => {
    const conf = conference();
    conf.addMember(1);
    conf.addMember(2);
    conf.setConference({ hold: true });
    conf.startPlayback(1, sine(PLAY_HZ, 8000, RATE, 5 * N));
    const heard = run(conf, [1, 2], 5);
    for (const id of [1, 2]) for (const frame of heard.get(id)!) expect(isSilent(frame)).toBe(true);
  });

  it.each([-4, -2, -1, 0, 1, 3, 4])('is scaled by listen level %i: 3·L dB (±0.05)', (level) => {
    const conf = conference();
    conf.addMember(1);
    conf.addMember(2, { listenLevel: level });
    conf.startPlayback(1, sine(PLAY_HZ, 4000, RATE, SECOND * N));
    const heard = run(conf, [2], SECOND);
    expect(Math.abs(levelDb(heard.get(2)!, PLAY_HZ, 4000) - 3 * level)).toBeLessThan(0.05);
  });
});

describe('private playback', () => {
  it('is heard only by its target, on top of the mix, in a private output', () => {
    const conf = conference();
    for (const id of [1, 2, 3]) conf.addMember(id);
    conf.startPlayback(5, sine(PLAY_HZ, 8000, RATE, SECOND * N), { member: 2, loop: true });
    const heard = run(conf, [1, 2, 3], SECOND, new Map([[1, new ToneGenerator(TALK_HZ, 6000, RATE)]]));
    expect(Math.abs(levelDb(heard.get(2)!, PLAY_HZ, 8000))).toBeLessThan(0.1);
    expect(Math.abs(levelDb(heard.get(2)!, TALK_HZ, 6000))).toBeLessThan(0.1);
    expect(conf.getMember(2).outputGroup).toBe(PRIVATE_OUTPUT_GROUP);
    expect(conf.getMember(2).playbacks).toBe(1);
    for (const id of [1, 3]) expect(levelDb(heard.get(id)!, PLAY_HZ, 8000)).toBeLessThan(-90);
    expect(conf.getMember(3).outputGroup).toBe(4);
  });

  it.each([
    ['held', { hold: true }],
    ['deaf', { deaf: true }],
  ])('is heard by its target when it is %s, and nothing else is', (_, flags) => {
    const conf = conference({ comfortNoiseDbfs: -50 });
    conf.addMember(1);
    conf.addMember(2, flags);
    conf.addMember(3);
    const pcm = sine(PLAY_HZ, 8000, RATE, SECOND * N);
    conf.startPlayback(5, pcm, { member: 2 });
    const heard = run(conf, [1, 2, 3], SECOND, new Map([[1, new ToneGenerator(TALK_HZ, 6000, RATE)]]));
    // Exactly the PCM: no conference audio, no comfort noise.
    heard.get(2)!.forEach((frame, t) => expect(Array.from(frame)).toEqual(Array.from(pcm.subarray(t * N, (t + 1) * N))));
    expect(Math.abs(levelDb(heard.get(2)!, PLAY_HZ, 8000))).toBeLessThan(0.1);
    expect(levelDb(heard.get(3)!, PLAY_HZ, 8000)).toBeLessThan(-90);
    expect(Math.abs(levelDb(heard.get(3)!, TALK_HZ, 6000))).toBeLessThan(0.1);
    expect(conf.getMember(2).outputGroup).toBe(PRIVATE_OUTPUT_GROUP);
    // Once it ends, the held or deaf member hears exact zeros again.
    expect(doneEvents(conf)).toHaveLength(1);
    conf.pushFrame(1, sine(TALK_HZ, 6000, RATE, N));
    conf.tick();
    expect(isSilent(conf.readFrame(2))).toBe(true);
    expect(conf.getMember(2).outputGroup).toBe(SILENCE_OUTPUT_GROUP);
  });

  it('gets the listen level applied: +6 dB at level 2 (±0.05)', () => {
    const conf = conference();
    conf.addMember(1, { hold: true, listenLevel: 2 });
    conf.startPlayback(5, sine(PLAY_HZ, 4000, RATE, SECOND * N), { member: 1 });
    const heard = run(conf, [1], SECOND);
    expect(Math.abs(levelDb(heard.get(1)!, PLAY_HZ, 4000) - 6)).toBeLessThan(0.05);
  });

  it('plays beside a conference announcement: each reaches whom it should', () => {
    const conf = conference();
    conf.addMember(1, { hold: true }); // hold music only
    conf.addMember(2); // the announcement only
    conf.addMember(3); // both
    conf.startPlayback(1, sine(PLAY_HZ, 5000, RATE, SECOND * N)); // announcement
    conf.startPlayback(2, sine(500, 3000, RATE, SECOND * N), { member: 1, loop: true }); // hold music
    conf.startPlayback(3, sine(500, 3000, RATE, SECOND * N), { member: 3 });
    expect(conf.getConference().playbacks).toBe(3);
    const heard = run(conf, [1, 2, 3], SECOND);
    expect(Math.abs(levelDb(heard.get(1)!, 500, 3000))).toBeLessThan(0.1);
    expect(levelDb(heard.get(1)!, PLAY_HZ, 5000)).toBeLessThan(-90);
    expect(Math.abs(levelDb(heard.get(2)!, PLAY_HZ, 5000))).toBeLessThan(0.1);
    expect(levelDb(heard.get(2)!, 500, 3000)).toBeLessThan(-90);
    expect(Math.abs(levelDb(heard.get(3)!, PLAY_HZ, 5000))).toBeLessThan(0.1);
    expect(Math.abs(levelDb(heard.get(3)!, 500, 3000))).toBeLessThan(0.1);
    // The two that ended did so on the same tick; the looping one plays on.
    expect(doneEvents(conf).map((e) => [e.playback, e.member, e.tick])).toEqual([
      [1, null, SECOND - 1],
      [3, 3, SECOND - 1],
    ]);
    expect(conf.getConference().playbacks).toBe(1);
  });

  it('several private playbacks to one member add up', () => {
    const conf = conference();
    conf.addMember(1, { deaf: true });
    const a = sine(PLAY_HZ, 3000, RATE, 3 * N);
    const b = sine(500, 2000, RATE, 3 * N);
    conf.startPlayback(1, a, { member: 1 });
    conf.startPlayback(2, b, { member: 1 });
    const heard = run(conf, [1], 3);
    heard.get(1)!.forEach((frame, t) =>
      expect(Array.from(frame)).toEqual(Array.from({ length: N }, (_, i) => a[t * N + i] + b[t * N + i])),
    );
  });
});

describe('looping', () => {
  it('a 100 ms loop plays seamlessly for as long as it is ticked (10 s)', () => {
    const conf = conference();
    conf.addMember(1);
    conf.addMember(2);
    const pcm = sine(PLAY_HZ, 6000, RATE, 1600); // 100 ms: 70 whole cycles
    conf.startPlayback(1, pcm, { loop: true });
    const ticks = 10 * SECOND;
    const heard = run(conf, [2], ticks);
    heard.get(2)!.forEach((frame, t) => expect(Array.from(frame)).toEqual(looped(pcm, t * N, N)));
    expect(Math.abs(levelDb(heard.get(2)!, PLAY_HZ, 6000))).toBeLessThan(0.1);
    expect(doneEvents(conf)).toEqual([]);
    expect(conf.getConference().playbacks).toBe(1);
  });

  it.each([1, 100, 333, 1000])('wraps a %i-sample PCM that does not fill whole frames without a gap', (samples) => {
    const conf = conference();
    conf.addMember(1, { hold: true });
    const pcm = Int16Array.from({ length: samples }, (_, i) => ((i * 37) % 2001) - 1000 || 1);
    conf.startPlayback(9, pcm, { loop: true, member: 1 });
    const heard = run(conf, [1], 20);
    heard.get(1)!.forEach((frame, t) => expect(Array.from(frame)).toEqual(looped(pcm, t * N, N)));
  });
});

describe('playback-done', () => {
  it.each([1, 319, 320, 321, 1000, 1280])(
    'a %i-sample playback ends on tick ceil(samples / 320), its last frame zero-padded',
    (samples) => {
      const conf = conference();
      conf.addMember(1);
      conf.addMember(2);
      for (let t = 0; t < 3; t++) conf.tick(); // start mid-conference
      const startTick = conf.getConference().tick;
      const pcm = Int16Array.from({ length: samples }, (_, i) => (i % 500) + 1);
      conf.startPlayback(42, pcm);
      const frames = Math.ceil(samples / N);
      for (let t = 0; t < frames - 1; t++) {
        conf.tick();
        expect(doneEvents(conf)).toEqual([]);
      }
      conf.tick();
      expect(doneEvents(conf)).toEqual([
        { type: 'playback-done', playback: 42, member: null, reason: 'finished', tick: startTick + frames - 1 },
      ]);
      const last = Array.from(conf.readFrame(2));
      const tail = samples - (frames - 1) * N;
      expect(last).toEqual([...pcm.subarray((frames - 1) * N), ...new Array<number>(N - tail).fill(0)]);
      expect(conf.getConference().playbacks).toBe(0);
      conf.tick();
      expect(isSilent(conf.readFrame(2))).toBe(true);
      expect(doneEvents(conf)).toEqual([]);
    },
  );

  it('stop raises done with reason stopped at once, and the playback is silent from the next tick', () => {
    const conf = conference();
    conf.addMember(1);
    conf.addMember(2);
    conf.startPlayback(7, sine(PLAY_HZ, 8000, RATE, SECOND * N), { loop: true });
    run(conf, [2], 5);
    expect(isSilent(conf.readFrame(2))).toBe(false);
    conf.stopPlayback(7);
    expect(doneEvents(conf)).toEqual([{ type: 'playback-done', playback: 7, member: null, reason: 'stopped', tick: 5 }]);
    conf.tick();
    expect(isSilent(conf.readFrame(2))).toBe(true);
    expect(() => conf.stopPlayback(7)).toThrow(NotFoundError);
    // The id is free again.
    conf.startPlayback(7, sine(PLAY_HZ, 8000, RATE, N));
    conf.tick();
    expect(doneEvents(conf).map((e) => e.reason)).toEqual(['finished']);
  });

  it('removing a member stops its private playbacks (member-left), not the others', () => {
    const conf = conference();
    for (const id of [1, 2, 3]) conf.addMember(id);
    conf.startPlayback(1, sine(500, 3000, RATE, N), { member: 2, loop: true });
    conf.startPlayback(2, sine(600, 3000, RATE, N), { member: 2 });
    conf.startPlayback(3, sine(PLAY_HZ, 3000, RATE, N), { member: 3, loop: true });
    conf.startPlayback(4, sine(PLAY_HZ, 3000, RATE, N), { loop: true });
    conf.tick();
    expect(doneEvents(conf)).toEqual([{ type: 'playback-done', playback: 2, member: 2, reason: 'finished', tick: 0 }]);
    conf.removeMember(2);
    expect(doneEvents(conf)).toEqual([{ type: 'playback-done', playback: 1, member: 2, reason: 'member-left', tick: 1 }]);
    expect(conf.getConference().playbacks).toBe(2);
    expect(conf.getMember(3).playbacks).toBe(1);
    conf.tick();
    expect(doneEvents(conf)).toEqual([]);
    expect(Math.abs(levelDb([conf.readFrame(1)], PLAY_HZ, 3000))).toBeLessThan(0.1);
    // A new member 2 hears only the conference playback.
    conf.addMember(2);
    conf.tick();
    expect(Array.from(conf.readFrame(2))).toEqual(Array.from(conf.readFrame(1)));
  });
});

describe('playback arguments', () => {
  function setup(): NativeConference {
    const conf = conference();
    conf.addMember(1);
    conf.addMember(2);
    conf.startPlayback(1, sine(PLAY_HZ, 3000, RATE, N), { loop: true });
    conf.drainEvents();
    return conf;
  }

  const pcm = sine(PLAY_HZ, 3000, RATE, N);
  it.each([
    ['a duplicate id', InvalidStateError, (c: NativeConference) => c.startPlayback(1, pcm)],
    ['an unknown member', NotFoundError, (c: NativeConference) => c.startPlayback(2, pcm, { member: 9 })],
    ['empty PCM', InvalidArgumentError, (c: NativeConference) => c.startPlayback(2, new Int16Array(0))],
    ['a Float32Array', InvalidArgumentError, (c: NativeConference) => c.startPlayback(2, new Float32Array(N) as unknown as Int16Array)],
    ['id -1', InvalidArgumentError, (c: NativeConference) => c.startPlayback(-1, pcm)],
    ['id 1.5', InvalidArgumentError, (c: NativeConference) => c.startPlayback(1.5, pcm)],
    ['loop as a number', InvalidArgumentError, (c: NativeConference) => c.startPlayback(2, pcm, { loop: 1 as unknown as boolean })],
    ['member as a string', InvalidArgumentError, (c: NativeConference) => c.startPlayback(2, pcm, { member: '1' as unknown as number })],
    ['options not an object', InvalidArgumentError, (c: NativeConference) => c.startPlayback(2, pcm, 5 as unknown as object)],
    ['stopping an unknown id', NotFoundError, (c: NativeConference) => c.stopPlayback(99)],
    ['stopping id 2^32', InvalidArgumentError, (c: NativeConference) => c.stopPlayback(2 ** 32)],
  ])('rejects %s and changes nothing', (_, type, bad) => {
    const conf = setup();
    const before = { conference: conf.getConference(), m1: conf.getMember(1), m2: conf.getMember(2) };
    expect(() => bad(conf)).toThrow(type);
    expect({ conference: conf.getConference(), m1: conf.getMember(1), m2: conf.getMember(2) }).toEqual(before);
    expect(conf.drainEvents()).toEqual([]);
    conf.tick(); // the first playback still plays alone
    expect(Array.from(conf.readFrame(2))).toEqual(Array.from(pcm));
  });

  it('caps conference-wide playbacks at 1024 at once (the int32 sum must not wrap)', () => {
    const conf = conference();
    conf.addMember(1);
    const one = new Int16Array([1]);
    for (let id = 0; id < 1024; id++) conf.startPlayback(id, one);
    expect(() => conf.startPlayback(1024, one)).toThrow(InvalidStateError);
    conf.startPlayback(1024, one, { member: 1 }); // a private one still fits
    expect(conf.getConference().playbacks).toBe(1025);
    conf.tick();
    expect(doneEvents(conf)).toHaveLength(1025);
    expect(conf.readFrame(1)[0]).toBe(1025);
  });

  it('copies the PCM: changing the array afterwards changes nothing heard', () => {
    const conf = conference();
    conf.addMember(1, { deaf: true });
    const source = sine(PLAY_HZ, 3000, RATE, 2 * N);
    const copy = source.slice();
    conf.startPlayback(1, source, { member: 1 });
    source.fill(0);
    const heard = run(conf, [1], 2);
    expect(Array.from(concat(heard.get(1)!))).toEqual(Array.from(copy));
  });
});

describe('idle conference', () => {
  it('with one member does no mixing work, yet the member hears comfort noise', () => {
    const conf = conference({ comfortNoiseDbfs: -60 });
    expect(conf.getConference().idle).toBe(true); // empty
    conf.addMember(1);
    expect(conf.getConference().idle).toBe(true);
    const frames: Int16Array[] = [];
    for (let t = 0; t < SECOND; t++) {
      conf.pushFrame(1, constantEnergyFrame(3000, N)); // loud, but nobody can hear it
      conf.tick();
      frames.push(conf.readFrame(1));
      const stats = conf.getConference();
      expect(stats.mixedMembers).toBe(0);
      expect(stats.renderedOutputs).toBe(1); // the one comfort noise frame
    }
    expect(Math.abs(rmsDbfs(concat(frames)) + 60)).toBeLessThan(1);
    expect(conf.getMember(1).energy).toBe(0);
    expect(conf.getMember(1).contributed).toBe(false);
    expect(conf.drainEvents()).toEqual([]); // not scored: no talking events
  });

  it('with comfort noise off, hearing members get exact zeros and nothing is rendered', () => {
    const conf = conference();
    conf.addMember(1);
    conf.addMember(2, { deaf: true, mute: true });
    conf.addMember(3, { hold: true });
    expect(conf.getConference().idle).toBe(true);
    conf.pushFrame(1, constantEnergyFrame(3000, N));
    conf.pushFrame(3, constantEnergyFrame(3000, N));
    conf.tick();
    for (const id of [1, 2, 3]) expect(isSilent(conf.readFrame(id))).toBe(true);
    expect(conf.getConference()).toMatchObject({ mixedMembers: 0, renderedOutputs: 0 });
    expect(conf.getMember(1).outputGroup).toBe(4);
    expect(conf.getMember(3).outputGroup).toBe(SILENCE_OUTPUT_GROUP);
  });

  it('stops being idle with a second member who hears or speaks, or with a playback', () => {
    const conf = conference();
    conf.addMember(1);
    conf.addMember(2, { deaf: true, mute: true });
    expect(conf.getConference().idle).toBe(true);
    conf.setMember(2, { mute: false }); // now speaks
    expect(conf.getConference().idle).toBe(false);
    conf.tick();
    expect(conf.getConference().mixedMembers).toBe(2);
    conf.setMember(2, { mute: true });
    expect(conf.getConference().idle).toBe(true);
    conf.startPlayback(1, sine(PLAY_HZ, 3000, RATE, 2 * N));
    expect(conf.getConference().idle).toBe(false);
    run(conf, [1], 2);
    expect(conf.getConference().mixedMembers).toBe(2);
    expect(conf.getConference().idle).toBe(true); // the playback finished
    conf.tick();
    expect(conf.getConference().mixedMembers).toBe(0);
    conf.addMember(3);
    conf.setConference({ hold: true });
    expect(conf.getConference().idle).toBe(true); // a held conference: nobody hears or speaks
    conf.setConference({ hold: false });
    expect(conf.getConference().idle).toBe(false);
    conf.removeMember(3);
    expect(conf.getConference().idle).toBe(true);
  });

  it('a member left talking alone gets talking-stop once the conference goes idle', () => {
    const conf = conference();
    conf.addMember(1);
    conf.addMember(2);
    conf.pushFrame(1, constantEnergyFrame(1000, N));
    conf.tick();
    expect(conf.drainEvents()).toEqual([{ type: 'talking-start', member: 1, energy: 1000, tick: 0 }]);
    conf.removeMember(2);
    conf.pushFrame(1, constantEnergyFrame(1000, N));
    conf.tick();
    expect(conf.drainEvents()).toEqual([{ type: 'talking-stop', member: 1, energy: 0, tick: 1 }]);
    expect(conf.getMember(1)).toMatchObject({ talking: false, gateOpen: false });
  });
});
