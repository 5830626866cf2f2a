// The complexity governor's policy, driven through the test-driven MediaConference with an
// explicit media-thread load per tick: shed one step per hold period above 0.85, restore one
// below 0.60, hold between, stop at the highest configured complexity, never move when off.
import { describe, expect, it } from 'vitest';
import { NativeMediaConference, type NativeMediaConferenceOptions } from '../../src/native/testing/mediaConference.ts';
import { ConfmixError } from '../../src/errors.ts';

/** The hold after each change, in ms of ticks (one ~1 s load window plus a margin). */
const HOLD_MS = 1200;

function opusConference(options: Partial<NativeMediaConferenceOptions> = {}, complexities: number[] = [5]): NativeMediaConference {
  const conference = new NativeMediaConference({ rate: 16000, interval: 20, ...options });
  complexities.forEach((complexity, i) => conference.addMember(i + 1, {}, { send: { codec: 'opus', payloadType: 111, complexity } }));
  return conference;
}

/** The shed level after each of `ticks` ticks at `threadLoad`. */
function trace(conference: NativeMediaConference, threadLoad: number, ticks: number): number[] {
  return Array.from({ length: ticks }, () => conference.tick({ threadLoad }).complexityShed);
}

/** The tick indexes at which the level changed (the first tick compared against `start`). */
function changes(levels: number[], start: number): number[] {
  return levels.flatMap((level, i) => (level !== (i === 0 ? start : levels[i - 1]) ? [i] : []));
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof ConfmixError ? error.code : 'not a ConfmixError';
  }
  return undefined;
}

describe('complexity governor', () => {
  it('sheds one step per hold period under load, up to the configured complexity, and no further', () => {
    const conference = opusConference();
    const levels = trace(conference, 0.9, 6 * 60 + 100);
    // First step at once, then one per 60 ticks of 20 ms.
    expect(changes(levels, 0)).toEqual([0, 60, 120, 180, 240]);
    expect([levels[0], levels[60], levels[120], levels[180], levels[240]]).toEqual([1, 2, 3, 4, 5]);
    expect(levels[59]).toBe(1);
    expect(levels.at(-1)).toBe(5);
  });

  it.each([10, 20, 40, 60] as const)('holds for the same time at a %i ms interval', (interval) => {
    const conference = opusConference({ interval });
    const ticksPerHold = HOLD_MS / interval;
    const levels = trace(conference, 0.9, 3 * ticksPerHold + 1);
    expect(changes(levels, 0)).toEqual([0, ticksPerHold, 2 * ticksPerHold, 3 * ticksPerHold]);
  });

  it('holds its level between the thresholds, edges included, and restores one step per hold below 0.60', () => {
    const conference = opusConference();
    trace(conference, 0.9, 121); // levels 1, 2, 3
    expect(conference.tick({ threadLoad: 0.9 }).complexityShed).toBe(3);
    for (const load of [0.6, 0.7, 0.8, 0.85]) {
      expect(new Set(trace(conference, load, 200))).toEqual(new Set([3]));
    }
    const levels = trace(conference, 0.3, 200);
    // The last change is long past, so the first restore is immediate.
    expect(changes(levels, 3)).toEqual([0, 60, 120]);
    expect([levels[0], levels[60], levels[120], levels.at(-1)]).toEqual([2, 1, 0, 0]);
  });

  it('waits a full hold after a change before reversing it', () => {
    const conference = opusConference();
    expect(conference.tick({ threadLoad: 0.9 }).complexityShed).toBe(1);
    const levels = trace(conference, 0.1, 80);
    expect(changes(levels, 1)).toEqual([59]); // 60 ticks after the shed
    expect(levels.at(-1)).toBe(0);
  });

  it('never moves with adaptiveComplexity off', () => {
    const conference = opusConference({ adaptiveComplexity: false });
    expect(new Set(trace(conference, 1, 400))).toEqual(new Set([0]));
    expect(conference.memberStats(1).send?.complexity).toBe(5);
  });

  it('stops at the highest configured Opus complexity, and comes down when that member leaves', () => {
    const conference = opusConference({}, [3, 10]);
    conference.addMember(3, {}, { send: { codec: 'pcmu' } });
    expect(trace(conference, 0.9, 12 * 60).at(-1)).toBe(10);
    conference.removeMember(2);
    expect(conference.tick({ threadLoad: 0.9 }).complexityShed).toBe(3);
    // From the lower floor, one restore already gives the remaining member a step back.
    expect(conference.tick({ threadLoad: 0.3 }).complexityShed).toBe(2);
    expect(conference.memberStats(1).send?.complexity).toBe(1);
  });

  it('has nothing to shed without Opus encoders, or with all of them at complexity 0', () => {
    const g711 = new NativeMediaConference({ rate: 16000, interval: 20 });
    g711.addMember(1, {}, { send: { codec: 'pcmu' } });
    expect(new Set(trace(g711, 1, 200))).toEqual(new Set([0]));
    expect(new Set(trace(opusConference({}, [0, 0]), 1, 200))).toEqual(new Set([0]));
  });

  it('refuses a bad load or option and changes nothing', () => {
    const conference = opusConference();
    expect(conference.tick({ threadLoad: 0.9 }).complexityShed).toBe(1);
    for (const threadLoad of [1.5, -0.1, Number.NaN, '0.9' as unknown as number]) {
      expect(codeOf(() => conference.tick({ threadLoad }))).toBe('ERR_INVALID_ARGUMENT');
    }
    expect(codeOf(() => conference.tick(7 as unknown as { threadLoad: number }))).toBe('ERR_INVALID_ARGUMENT');
    // No tick ran: the hold still counts from the first one (59 more ticks to the next step).
    const levels = trace(conference, 0.9, 60);
    expect(changes(levels, 1)).toEqual([59]);
    expect(codeOf(() => new NativeMediaConference({ rate: 16000, interval: 20, adaptiveComplexity: 'no' as unknown as boolean }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
  });
});
