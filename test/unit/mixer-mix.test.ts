// The mix itself: N-1, talk and listen gain, comfort noise, the limiter, mute/deaf/hold, listen groups.
import { describe, expect, it } from 'vitest';
import {
  NativeConference,
  PRIVATE_OUTPUT_GROUP,
  SILENCE_OUTPUT_GROUP,
  type NativeConferenceOptions,
} from '../../src/native/testing/mixer.ts';
import { comfortNoiseDbfsFromFreeswitch } from '../../src/audio/numbers.ts';
import {
  ToneGenerator,
  concat,
  goertzelAmplitude,
  isSilent,
  peak,
  ratioDb,
  rmsDbfs,
  seededRandom,
  toneDbfs,
  whiteNoise,
} from '../helpers/audio.ts';

const RATE = 16000;
const N = 320; // 20 ms at 16 kHz
const SECOND = 50; // ticks in one second: every test tone has whole cycles in it

function conference(options: Partial<NativeConferenceOptions> = {}): NativeConference {
  return new NativeConference({ rate: RATE, interval: 20, ...options });
}

/** Runs `ticks` ticks; `push` supplies each member's frame (or nothing); returns what each hears. */
function run(
  conf: NativeConference,
  ids: number[],
  ticks: number,
  push: (id: number, tick: number) => Int16Array | undefined,
): Map<number, Int16Array[]> {
  const heard = new Map<number, Int16Array[]>(ids.map((id) => [id, []]));
  for (let t = 0; t < ticks; t++) {
    for (const id of ids) {
      const frame = push(id, t);
      if (frame) conf.pushFrame(id, frame);
    }
    conf.tick();
    for (const id of ids) heard.get(id)!.push(conf.readFrame(id));
  }
  return heard;
}

function sumFrames(frames: Int16Array[]): Int32Array {
  const out = new Int32Array(frames[0].length);
  for (const f of frames) for (let i = 0; i < f.length; i++) out[i] += f[i];
  return out;
}

describe('N-1 mix', () => {
  it('each member hears the other two tones and not its own (>= 90 dB down)', () => {
    const conf = conference();
    const freqs = new Map([[1, 440], [2, 1000], [3, 1800]]);
    const tones = new Map([...freqs].map(([id, f]) => [id, new ToneGenerator(f, 8000, RATE)]));
    const pushed = new Map<number, Int16Array[]>([[1, []], [2, []], [3, []]]);
    for (const id of freqs.keys()) conf.addMember(id);
    const heard = run(conf, [1, 2, 3], SECOND, (id) => {
      const frame = tones.get(id)!.next(N);
      pushed.get(id)!.push(frame);
      return frame;
    });
    for (const [id, freq] of freqs) {
      const out = concat(heard.get(id)!);
      for (const [otherId, otherFreq] of freqs) {
        if (otherId === id) continue;
        expect(Math.abs(ratioDb(goertzelAmplitude(out, otherFreq, RATE), 8000))).toBeLessThan(0.01);
      }
      const ownDown = ratioDb(goertzelAmplitude(out, freq, RATE), 8000);
      expect(ownDown).toBeLessThan(-90);
      // Below the knee the N-1 sum is exact: every sample is the others' samples added.
      for (let t = 0; t < SECOND; t++) {
        const others = [...freqs.keys()].filter((o) => o !== id).map((o) => pushed.get(o)![t]);
        expect(Array.from(heard.get(id)![t])).toEqual(Array.from(sumFrames(others)));
      }
      expect(conf.getMember(id).outputGroup).toBe(PRIVATE_OUTPUT_GROUP);
    }
  });
});

describe('talk and listen levels', () => {
  const levels = [-4, -3, -2, -1, 0, 1, 2, 3, 4];

  it.each(levels)('talk level %i changes what others hear by 3·L dB (±0.05)', (level) => {
    const conf = conference();
    conf.addMember(1, { talkLevel: level });
    conf.addMember(2);
    const tone = new ToneGenerator(1000, 4000, RATE);
    const heard = run(conf, [1, 2], SECOND, (id) => (id === 1 ? tone.next(N) : undefined));
    const gainDb = ratioDb(goertzelAmplitude(concat(heard.get(2)!), 1000, RATE), 4000);
    expect(Math.abs(gainDb - 3 * level)).toBeLessThan(0.05);
  });

  it.each(levels)('listen level %i changes what the member hears by 3·L dB (±0.05)', (level) => {
    const conf = conference();
    conf.addMember(1);
    conf.addMember(2, { listenLevel: level });
    const tone = new ToneGenerator(1000, 4000, RATE);
    const heard = run(conf, [1, 2], SECOND, (id) => (id === 1 ? tone.next(N) : undefined));
    const gainDb = ratioDb(goertzelAmplitude(concat(heard.get(2)!), 1000, RATE), 4000);
    expect(Math.abs(gainDb - 3 * level)).toBeLessThan(0.05);
  });

  it('level 0 is bit-exact unity for talk and listen', () => {
    const conf = conference();
    conf.addMember(1, { talkLevel: 0 });
    conf.addMember(2, { listenLevel: 0 });
    const frames = Array.from({ length: 10 }, (_, t) => whiteNoise(N, 12000, seededRandom(t + 1)));
    const heard = run(conf, [1, 2], 10, (id, t) => (id === 1 ? frames[t] : undefined));
    for (let t = 0; t < 10; t++) expect(Array.from(heard.get(2)![t])).toEqual(Array.from(frames[t]));
  });
});

describe('comfort noise', () => {
  it.each([-60, -45, -70])('has an RMS within 1 dB of %i dBFS when nobody contributes', (dbfs) => {
    const conf = conference({ comfortNoiseDbfs: dbfs });
    conf.addMember(1);
    conf.addMember(2);
    const heard = run(conf, [1, 2], SECOND, () => undefined);
    expect(Math.abs(rmsDbfs(concat(heard.get(1)!)) - dbfs)).toBeLessThan(1);
    expect(conf.getMember(1).outputGroup).toBe(4);
  });

  it('is -60 dBFS by default', () => {
    const conf = conference();
    conf.addMember(1);
    const heard = run(conf, [1], SECOND, () => undefined);
    expect(Math.abs(rmsDbfs(concat(heard.get(1)!)) + 60)).toBeLessThan(1);
  });

  it('is added only when nobody else contributed to that member', () => {
    const conf = conference({ comfortNoiseDbfs: -70 });
    conf.addMember(1);
    conf.addMember(2);
    const tone = new ToneGenerator(1000, 5000, RATE);
    const pushed: Int16Array[] = [];
    const heard = run(conf, [1, 2], SECOND, (id) => {
      if (id !== 1) return undefined;
      const f = tone.next(N);
      pushed.push(f);
      return f;
    });
    // The only talker hears comfort noise (its own audio removed) ...
    const talkerHears = concat(heard.get(1)!);
    expect(Math.abs(rmsDbfs(talkerHears) + 70)).toBeLessThan(1);
    expect(toneDbfs(talkerHears, 1000, RATE)).toBeLessThan(-90);
    // ... and the listener hears the talker exactly, no noise on top.
    for (let t = 0; t < SECOND; t++) expect(Array.from(heard.get(2)![t])).toEqual(Array.from(pushed[t]));
  });

  it('is absent when off: silence is exact zeros', () => {
    const conf = conference({ comfortNoiseDbfs: null });
    conf.addMember(1);
    conf.addMember(2);
    const tone = new ToneGenerator(1000, 5000, RATE);
    const heard = run(conf, [1, 2], 10, (id) => (id === 1 ? tone.next(N) : undefined));
    for (const frame of heard.get(1)!) expect(isSilent(frame)).toBe(true);
  });

  it('converts FreeSWITCH comfort-noise divisors to the level they produce', () => {
    // Independent derivation: FreeSWITCH's noise before the divisor is uniform over int16.
    const expected = (divisor: number): number => {
      let acc = 0;
      for (let v = -32768; v <= 32767; v++) acc += Math.trunc(v / divisor) ** 2;
      return 20 * Math.log10(Math.sqrt(acc / 65536) / 32767);
    };
    for (const d of [1, 2, 100, 256, 1400, 5000]) {
      expect(comfortNoiseDbfsFromFreeswitch(d)).toBeCloseTo(expected(d), 6);
    }
    expect(comfortNoiseDbfsFromFreeswitch(true)).toBeCloseTo(expected(1400), 6);
    expect(comfortNoiseDbfsFromFreeswitch(true)).toBeCloseTo(-67.97, 2);
    expect(comfortNoiseDbfsFromFreeswitch(1)).toBeCloseTo(-4.77, 2);
    expect(comfortNoiseDbfsFromFreeswitch(0)).toBeNull();
    expect(comfortNoiseDbfsFromFreeswitch(false)).toBeNull();
    expect(comfortNoiseDbfsFromFreeswitch(40000)).toBeNull(); // every sample would be 0
    // A converted level used as the conference's level is produced within 1 dB.
    const dbfs = comfortNoiseDbfsFromFreeswitch(true)!;
    const conf = conference({ comfortNoiseDbfs: dbfs });
    conf.addMember(1);
    const heard = run(conf, [1], SECOND, () => undefined);
    expect(Math.abs(rmsDbfs(concat(heard.get(1)!)) - dbfs)).toBeLessThan(1);
  });
});

// The limiter sees the whole sum: no cap on active talkers.
describe('limiter', () => {
  it('passes random sums peaking below -6 dBFS bit-exact', () => {
    const conf = conference({ comfortNoiseDbfs: null, energyLevel: 0, maxActiveTalkers: 0 });
    const talkers = [1, 2, 3, 4, 5];
    for (const id of [...talkers, 9]) conf.addMember(id);
    const random = seededRandom(7);
    let maxPeak = 0;
    for (let t = 0; t < 40; t++) {
      const frames = talkers.map(() => whiteNoise(N, 3276, random));
      talkers.forEach((id, i) => conf.pushFrame(id, frames[i]));
      conf.tick();
      const sum = sumFrames(frames);
      maxPeak = Math.max(maxPeak, peak(sum));
      expect(Array.from(conf.readFrame(9))).toEqual(Array.from(sum));
    }
    expect(maxPeak).toBeGreaterThan(12000); // the sums did reach close to the knee
    expect(maxPeak).toBeLessThan(16384);
  });

  it('never wraps 10 full-scale members: same sign as the true sum, monotonic, within int16', () => {
    const conf = conference({ comfortNoiseDbfs: null, energyLevel: 0, maxActiveTalkers: 0 });
    const talkers = Array.from({ length: 10 }, (_, i) => i + 1);
    for (const id of [...talkers, 99]) conf.addMember(id);
    const random = seededRandom(11);
    const pairs: Array<[number, number]> = [];
    for (let t = 0; t < 10; t++) {
      const frames = talkers.map(() => whiteNoise(N, 32767, random));
      talkers.forEach((id, i) => conf.pushFrame(id, frames[i]));
      conf.tick();
      const sum = sumFrames(frames);
      const out = conf.readFrame(99);
      for (let i = 0; i < N; i++) {
        expect(Math.sign(out[i])).toBe(Math.sign(sum[i]));
        expect(Math.abs(out[i])).toBeLessThanOrEqual(32767);
        if (Math.abs(sum[i]) >= 16384) expect(Math.abs(out[i])).toBeGreaterThanOrEqual(16384);
        pairs.push([sum[i], out[i]]);
      }
    }
    expect(Math.max(...pairs.map(([s]) => Math.abs(s)))).toBeGreaterThan(60000);
    pairs.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < pairs.length; i++) expect(pairs[i][1]).toBeGreaterThanOrEqual(pairs[i - 1][1]);
  });

  it('does not overflow with 1000 full-scale members at +4 talk gain and +4 listen gain', () => {
    const conf = conference({ comfortNoiseDbfs: null, maxActiveTalkers: 0 });
    const talkers = Array.from({ length: 1000 }, (_, i) => i + 1);
    for (const id of talkers) conf.addMember(id, { talkLevel: 4 });
    conf.addMember(5000, { listenLevel: 4 });
    const frame = new Int16Array(N);
    for (let i = 0; i < N; i++) frame[i] = i % 2 === 0 ? 32767 : -32768;
    for (const id of talkers) conf.pushFrame(id, frame);
    conf.tick();
    // Saturated near full scale with the input's sign, never wrapped: the soft curve only approaches 32767.
    const saturated = (frame: Int16Array): void => {
      for (let i = 0; i < N; i++) {
        const magnitude = Math.abs(frame[i]);
        expect(Math.sign(frame[i])).toBe(i % 2 === 0 ? 1 : -1);
        expect(magnitude).toBeGreaterThan(32700);
        expect(magnitude).toBeLessThanOrEqual(32767);
      }
    };
    saturated(conf.readFrame(5000));
    saturated(conf.readFrame(1)); // a talker hears the other 999
  });
});

describe('mute, deaf, hold', () => {
  function twoTalkersAndListener(): { conf: NativeConference; push: (t: number) => void } {
    const conf = conference({ comfortNoiseDbfs: -70 });
    for (const id of [1, 2, 3]) conf.addMember(id);
    const a = new ToneGenerator(440, 6000, RATE);
    const b = new ToneGenerator(1000, 6000, RATE);
    const push = (): void => {
      conf.pushFrame(1, a.next(N));
      conf.pushFrame(2, b.next(N));
    };
    return { conf, push };
  }

  function hear(conf: NativeConference, push: (t: number) => void, id: number): Int16Array {
    const frames: Int16Array[] = [];
    for (let t = 0; t < SECOND; t++) {
      push(t);
      conf.tick();
      frames.push(conf.readFrame(id));
    }
    return concat(frames);
  }

  it('a deaf member hears exact zeros but is still heard', () => {
    const { conf, push } = twoTalkersAndListener();
    conf.setMember(3, { deaf: true });
    conf.setMember(1, { deaf: true });
    expect(isSilent(hear(conf, push, 3))).toBe(true);
    expect(conf.getMember(3).outputGroup).toBe(SILENCE_OUTPUT_GROUP);
    expect(isSilent(conf.readFrame(1))).toBe(true);
    expect(toneDbfs(hear(conf, push, 2), 440, RATE)).toBeGreaterThan(-15);
  });

  it('a muted member is not heard; the others still are', () => {
    const { conf, push } = twoTalkersAndListener();
    conf.setMember(1, { mute: true });
    const out = hear(conf, push, 3);
    expect(toneDbfs(out, 440, RATE)).toBeLessThan(-90);
    expect(toneDbfs(out, 1000, RATE)).toBeGreaterThan(-15);
    expect(conf.getMember(1).contributed).toBe(false);
  });

  it('a held member neither hears nor is heard', () => {
    const { conf, push } = twoTalkersAndListener();
    conf.setMember(1, { hold: true });
    expect(toneDbfs(hear(conf, push, 3), 440, RATE)).toBeLessThan(-90);
    expect(isSilent(conf.readFrame(1))).toBe(true);
    conf.setMember(1, { hold: false });
    expect(toneDbfs(hear(conf, push, 3), 440, RATE)).toBeGreaterThan(-15);
  });

  it('conference mute silences every talker; comfort noise fills in', () => {
    const { conf, push } = twoTalkersAndListener();
    conf.setConference({ mute: true });
    const out = hear(conf, push, 3);
    expect(toneDbfs(out, 440, RATE)).toBeLessThan(-90);
    expect(toneDbfs(out, 1000, RATE)).toBeLessThan(-90);
    expect(Math.abs(rmsDbfs(out) + 70)).toBeLessThan(1);
    expect(conf.getConference().mute).toBe(true);
    conf.setConference({ mute: false });
    expect(toneDbfs(hear(conf, push, 3), 1000, RATE)).toBeGreaterThan(-15);
  });

  it('conference hold gives everyone exact zeros', () => {
    const { conf, push } = twoTalkersAndListener();
    conf.setConference({ hold: true });
    push(0);
    conf.tick();
    for (const id of [1, 2, 3]) {
      expect(isSilent(conf.readFrame(id))).toBe(true);
      expect(conf.getMember(id).contributed).toBe(false);
    }
  });
});

describe('listen groups', () => {
  it('members who contributed nothing share one frame per listen level', () => {
    const conf = conference({ comfortNoiseDbfs: -50 });
    conf.addMember(1); // talker
    conf.addMember(2);
    conf.addMember(3);
    conf.addMember(4, { listenLevel: 2 });
    conf.addMember(5, { deaf: true });
    conf.addMember(6, { mute: true }); // pushes audio, but muted: it hears the group mix
    const tone = new ToneGenerator(1000, 5000, RATE);
    conf.pushFrame(1, tone.next(N));
    conf.pushFrame(6, tone.next(N));
    conf.tick();
    expect(conf.getMember(1).outputGroup).toBe(PRIVATE_OUTPUT_GROUP);
    expect(conf.getMember(2).outputGroup).toBe(4);
    expect(conf.getMember(3).outputGroup).toBe(4);
    expect(conf.getMember(6).outputGroup).toBe(4);
    expect(conf.getMember(4).outputGroup).toBe(6);
    expect(conf.getMember(5).outputGroup).toBe(SILENCE_OUTPUT_GROUP);
    expect(Array.from(conf.readFrame(3))).toEqual(Array.from(conf.readFrame(2)));
    expect(Array.from(conf.readFrame(6))).toEqual(Array.from(conf.readFrame(2)));
  });

  it('a group hears the same comfort noise', () => {
    const conf = conference({ comfortNoiseDbfs: -40 });
    for (const id of [1, 2, 3]) conf.addMember(id, { listenLevel: id === 3 ? -2 : 0 });
    conf.tick();
    const a = conf.readFrame(1);
    expect(Math.abs(rmsDbfs(a) + 40)).toBeLessThan(1.5);
    expect(Array.from(conf.readFrame(2))).toEqual(Array.from(a));
    expect(conf.getMember(3).outputGroup).toBe(2);
  });
});
