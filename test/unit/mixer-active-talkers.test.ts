// maxActiveTalkers: at most K members contribute to a tick's mix, the loudest whose gate passes,
// with hysteresis; everyone else hears the shared mix. The last test is the listening test the
// default of 4 comes from.
import { describe, expect, it } from 'vitest';
import { NativeConference, PRIVATE_OUTPUT_GROUP, type NativeConferenceOptions } from '../../src/native/testing/mixer.ts';
import { ToneGenerator, goertzelAmplitude, ratioDb, seededRandom, whiteNoise } from '../helpers/audio.ts';
import { codeOf } from '../helpers/errors.ts';
import { LISTENING_TEST_TALKERS, LISTENING_TEST_TICKS } from '../helpers/listeningTest.ts';

const RATE = 16000;
const N = 320; // 20 ms at 16 kHz

function conference(options: Partial<NativeConferenceOptions> = {}): NativeConference {
  // Gate off: every member's frame passes, so only the cap decides who is mixed.
  return new NativeConference({ rate: RATE, interval: 20, energyLevel: 0, comfortNoiseDbfs: null, ...options });
}

/** One tick: pushes each member's frame, mixes, returns what `listener` heard. */
function tick(conf: NativeConference, frames: Map<number, Int16Array>, listener: number): Int16Array {
  for (const [id, frame] of frames) conf.pushFrame(id, frame);
  conf.tick();
  return conf.readFrame(listener);
}

describe('maxActiveTalkers', () => {
  it('defaults to 4 and refuses values outside 0..64 with ERR_INVALID_ARGUMENT', () => {
    expect(conference().getConference().maxActiveTalkers).toBe(4);
    expect(conference({ maxActiveTalkers: 0 }).getConference().maxActiveTalkers).toBe(0);
    for (const bad of [-1, 65, 2.5]) expect(codeOf(() => conference({ maxActiveTalkers: bad }))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('mixes the K loudest; the others, though their gate passes, hear the shared listener mix', () => {
    const conf = conference({ maxActiveTalkers: 2 });
    // Members 1..5 send tones at rising levels; member 6 only listens.
    const tones = [1, 2, 3, 4, 5].map((id) => new ToneGenerator(300 + 200 * id, 1000 * id, RATE));
    for (let id = 1; id <= 6; id++) conf.addMember(id);
    let heard: Int16Array = new Int16Array(0);
    for (let t = 0; t < 10; t++) heard = tick(conf, new Map(tones.map((tone, i) => [i + 1, tone.next(N)])), 6);
    // The listener hears the two loudest (members 4 and 5), and nothing of the other three.
    for (let id = 1; id <= 5; id++) {
      const level = ratioDb(goertzelAmplitude(heard, 300 + 200 * id, RATE), 1000 * id);
      if (id >= 4) expect(Math.abs(level)).toBeLessThan(0.1);
      else expect(level).toBeLessThan(-80);
    }
    // Members 4 and 5 hear each other (a private N-1); 1..3 share the listeners' frame.
    expect(conf.getMember(4).outputGroup).toBe(PRIVATE_OUTPUT_GROUP);
    expect(conf.getMember(5).outputGroup).toBe(PRIVATE_OUTPUT_GROUP);
    for (const id of [1, 2, 3, 6]) expect(conf.getMember(id).outputGroup).toBe(conf.getMember(6).outputGroup);
    expect(conf.getMember(1).contributed).toBe(false);
  });

  it('keeps an active talker until a challenger is twice as loud (no flapping between equals)', () => {
    const conf = conference({ maxActiveTalkers: 1 });
    for (let id = 1; id <= 3; id++) conf.addMember(id);
    const a = new ToneGenerator(500, 2000, RATE);
    const b = new ToneGenerator(900, 3000, RATE);
    const bLoud = new ToneGenerator(900, 5000, RATE);
    tick(conf, new Map([[1, a.next(N)]]), 3);
    expect(conf.getMember(1).contributed).toBe(true);
    // 1.5x louder (+3.5 dB): the incumbent stays, tick after tick.
    for (let t = 0; t < 20; t++) {
      tick(conf, new Map([[1, a.next(N)], [2, b.next(N)]]), 3);
      expect(conf.getMember(1).contributed).toBe(true);
      expect(conf.getMember(2).contributed).toBe(false);
    }
    // 2.5x louder: it takes the place at once.
    tick(conf, new Map([[1, a.next(N)], [2, bLoud.next(N)]]), 3);
    expect(conf.getMember(2).contributed).toBe(true);
    expect(conf.getMember(1).contributed).toBe(false);
    // Silence frees the place for whoever passes next.
    tick(conf, new Map([[1, a.next(N)]]), 3);
    expect(conf.getMember(1).contributed).toBe(true);
  });

  it('listening test: a typical call with everyone noise passing the gate sounds the same from K = 4 on', () => {
    // Ten members, the gate off, so everyone's background noise (-50 dBFS) passes, as with cheap
    // headsets or in cars. Over 30 s: one speaker holds the floor, a second talks over them, and
    // twice two more backchannel at once ("mm-hm", a laugh), so at most 4 talk together, which a
    // call of people rarely exceeds. For each K the listener's every 20 ms frame is compared
    // with the uncapped mix at each talker's frequency: the call "sounds the same" when no
    // talker's tone is ever more than 1 dB off in any frame where they talk.
    const talkers = LISTENING_TEST_TALKERS;
    const members = 10;
    const listener = 10;
    const ticks = LISTENING_TEST_TICKS;
    const lostFrames = (cap: number): number => {
      const capped = conference({ maxActiveTalkers: cap });
      const full = conference({ maxActiveTalkers: 0 });
      for (let id = 1; id <= members; id++) {
        capped.addMember(id);
        full.addMember(id);
      }
      const tones = new Map(talkers.map((t) => [t.id, new ToneGenerator(t.freq, t.amp, RATE)]));
      const random = seededRandom(6464);
      let lost = 0;
      for (let t = 0; t < ticks; t++) {
        const frames = new Map<number, Int16Array>();
        for (let id = 1; id <= members; id++) frames.set(id, whiteNoise(N, 100, random));
        for (const talker of talkers) {
          const tone = tones.get(talker.id)!.next(N);
          if (!talker.spans.some(([from, to]) => t >= from && t < to)) continue;
          const frame = frames.get(talker.id)!;
          for (let i = 0; i < N; i++) frame[i] += tone[i];
        }
        const a = tick(capped, frames, listener);
        const b = tick(full, frames, listener);
        for (const talker of talkers) {
          // The first frames of a span are the attack: the smoothed level decides from the next.
          if (!talker.spans.some(([from, to]) => t >= from + 2 && t < to)) continue;
          const diff = ratioDb(goertzelAmplitude(a, talker.freq, RATE), goertzelAmplitude(b, talker.freq, RATE));
          if (Math.abs(diff) > 1) lost++;
        }
      }
      return lost;
    };
    expect(lostFrames(3)).toBeGreaterThan(0);
    expect(lostFrames(4)).toBe(0);
    expect(lostFrames(6)).toBe(0);
  });
});
