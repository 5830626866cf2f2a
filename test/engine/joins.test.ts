// Joins over a fake shard: lock, max-members, wait_for_moderator, alone and hold music, tones.
import { once } from 'node:events';
import { beforeAll, describe, expect, it } from 'vitest';
import { JoinRefusedError } from '../../src/engine/JoinRefusedError.ts';
import { InvalidStateError } from '../../src/errors.ts';
import { builtInTone } from '../../src/audio/tones.ts';
import { makeEngine } from './setup.ts';
import type { FakeShard } from './fakeShard.ts';
import { tempDir, writeToneWav } from './wavFiles.ts';

let sounds: Record<'locked' | 'full' | 'moh' | 'alone' | 'muted' | 'unmuted' | 'enter', string>;

beforeAll(() => {
  const dir = tempDir();
  sounds = {
    locked: writeToneWav(dir, 'locked.wav', { freqHz: 500, seconds: 0.2 }),
    full: writeToneWav(dir, 'full.wav', { freqHz: 600, seconds: 0.3 }),
    moh: writeToneWav(dir, 'moh.wav', { freqHz: 700, seconds: 0.4 }),
    alone: writeToneWav(dir, 'alone.wav', { freqHz: 800, seconds: 0.5 }),
    muted: writeToneWav(dir, 'muted.wav', { freqHz: 900, seconds: 0.1 }),
    unmuted: writeToneWav(dir, 'unmuted.wav', { freqHz: 1000, seconds: 0.15 }),
    enter: writeToneWav(dir, 'enter.wav', { freqHz: 1100, seconds: 0.25, rate: 8000 }),
  };
});

/** Playbacks the shard plays now, as [member, samples, loop]. */
function playing(shard: FakeShard, conferenceId: string): Array<[number | undefined, number, boolean]> {
  const conference = shard.conferences.get(conferenceId);
  if (!conference) return [];
  return [...conference.playbacks.values()].map((p) => [p.member, p.pcm.length, p.loop]);
}

/** Resolves once what the shard plays passes `test`, checking after each request it handles. */
async function untilPlaying(shard: FakeShard, conferenceId: string, test: (list: Array<[number | undefined, number, boolean]>) => boolean): Promise<void> {
  for (let i = 0; i < 100 && !test(playing(shard, conferenceId)); i++) await once(shard, 'handled');
  expect(test(playing(shard, conferenceId))).toBe(true);
}

describe('lock', () => {
  it('refuses joins while locked, plays locked-sound on the refused leg, then closes it', async () => {
    const { engine, shard, eventsOf } = makeEngine();
    const conference = await engine.createConference({ 'locked-sound': sounds.locked });
    await conference.addMember();
    await conference.lock();
    expect(conference.locked).toBe(true);
    const leg = await engine.createAppLeg({ rate: 8000 });
    const closed = once(leg, 'close');
    const error = await conference.addMember({ leg }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JoinRefusedError);
    expect(error).toBeInstanceOf(InvalidStateError);
    expect((error as JoinRefusedError).reason).toBe('locked');
    expect((error as JoinRefusedError).code).toBe('ERR_INVALID_STATE');
    expect(conference.activeMembers).toBe(1);
    expect(eventsOf('conference-member')).toHaveLength(1);
    // The refused leg joins hidden and held, hears the sound (0.2 s at 16 kHz) and is removed.
    await untilPlaying(shard, conference.id, (list) => list.length === 1);
    expect(playing(shard, conference.id)).toEqual([[2, 3200, false]]);
    expect(shard.callsOf('addMember')[1]).toMatchObject({ member: 2, settings: { hold: true, mute: true }, leg: { kind: 'app', rate: 8000 } });
    shard.finishPlayback(conference.id, [...shard.conferences.get(conference.id)!.playbacks.keys()][0]);
    await closed;
    expect(shard.callsOf('removeMember').map((p) => p.member)).toEqual([2]);
    expect(conference.members).toHaveLength(1);
    await conference.unlock();
    const joined = await conference.addMember();
    expect(joined.state).toBe('active');
  });

  it('refuses without a sound when the profile names none, leaving the leg usable', async () => {
    const { engine, shard } = makeEngine();
    const conference = await engine.createConference();
    await conference.update({ locked: true });
    const leg = await engine.createAppLeg({ rate: 16000 });
    await expect(conference.addMember({ leg })).rejects.toThrow(/is locked/);
    expect(leg.state).toBe('new');
    expect(shard.callsOf('addMember')).toEqual([]);
  });
});

describe('max-members', () => {
  it('refuses a join beyond the limit with a clear error, playing max-members-sound to that leg', async () => {
    const { engine, shard } = makeEngine();
    const conference = await engine.createConference({ 'max-members': 5, max_participants: 2, 'max-members-sound': sounds.full });
    await conference.addMember();
    await conference.addMember();
    const error = (await conference.addMember({ leg: { kind: 'app', rate: 16000 } }).catch((e: unknown) => e)) as JoinRefusedError;
    expect(error).toBeInstanceOf(JoinRefusedError);
    expect(error.reason).toBe('full');
    expect(error.message).toMatch(/is full: it holds its maximum of 2 members/);
    expect(error.leg?.rate).toBe(16000);
    await untilPlaying(shard, conference.id, (list) => list.length === 1);
    expect(playing(shard, conference.id)).toEqual([[3, 4800, false]]);
    expect(conference.activeMembers).toBe(2);
  });

  it('counts joins still in flight, so two at once cannot overfill', async () => {
    const { engine } = makeEngine();
    const conference = await engine.createConference({ 'max-members': 1 });
    const results = await Promise.allSettled([conference.addMember(), conference.addMember()]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(conference.activeMembers).toBe(1);
  });
});

describe('wait_for_moderator', () => {
  it('holds members who join before a moderator, with moh-sound, and releases them when one joins', async () => {
    const { engine, shard } = makeEngine();
    const conference = await engine.createConference({ wait_for_moderator: true, 'moh-sound': sounds.moh });
    const a = await conference.addMember();
    const b = await conference.addMember({ hold: false });
    expect(shard.callsOf('addMember').map((p) => (p.settings as { hold: boolean }).hold)).toEqual([true, true]);
    expect([a.waitingForModerator, a.hold]).toEqual([true, false]);
    await untilPlaying(shard, conference.id, (list) => list.length === 2);
    expect(playing(shard, conference.id)).toEqual([[1, 6400, true], [2, 6400, true]]);
    const moderator = await conference.addMember({ role: 'moderator' });
    expect(shard.callsOf('addMember')[2].settings).toMatchObject({ hold: false });
    expect(shard.callsOf('updateMember')).toEqual([
      { conferenceId: conference.id, member: 1, settings: { hold: false } },
      { conferenceId: conference.id, member: 2, settings: { hold: false } },
    ]);
    expect([a.waitingForModerator, b.waitingForModerator, moderator.waitingForModerator]).toEqual([false, false, false]);
    await untilPlaying(shard, conference.id, (list) => list.length === 0);
    // A member joining once a moderator is in is mixed at once.
    await conference.addMember();
    expect(shard.callsOf('addMember')[3].settings).toMatchObject({ hold: false });
  });

  it('keeps a member held by its own hold when released', async () => {
    const { engine, shard } = makeEngine();
    const conference = await engine.createConference({ waitForModerator: true });
    const a = await conference.addMember({ hold: true });
    await conference.addMember({ role: 'moderator' });
    expect(shard.callsOf('updateMember')).toEqual([{ conferenceId: conference.id, member: 1, settings: { hold: true } }]);
    expect(a.hold).toBe(true);
  });
});

describe('alone and hold music', () => {
  it('loops alone-sound to a member alone, and stops it when someone joins', async () => {
    const { engine, shard } = makeEngine();
    const conference = await engine.createConference({ 'alone-sound': sounds.alone, 'moh-sound': sounds.moh });
    await conference.addMember();
    await untilPlaying(shard, conference.id, (list) => list.length === 1);
    expect(playing(shard, conference.id)).toEqual([[1, 8000, true]]);
    const b = await conference.addMember();
    await untilPlaying(shard, conference.id, (list) => list.length === 0);
    await b.update({ state: 'completed' });
    await untilPlaying(shard, conference.id, (list) => list.length === 1);
    expect(playing(shard, conference.id)).toEqual([[1, 8000, true]]);
  });

  it('plays moh-sound to a member alone when there is no alone-sound, and to held members', async () => {
    const { engine, shard } = makeEngine();
    const conference = await engine.createConference({ 'moh-sound': sounds.moh });
    await conference.addMember();
    await untilPlaying(shard, conference.id, (list) => list.length === 1);
    const b = await conference.addMember();
    await untilPlaying(shard, conference.id, (list) => list.length === 0);
    await b.update({ hold: true });
    await untilPlaying(shard, conference.id, (list) => list.length === 1);
    expect(playing(shard, conference.id)).toEqual([[2, 6400, true]]);
    await conference.update({ hold: true });
    await untilPlaying(shard, conference.id, (list) => list.length === 2);
    await conference.update({ hold: false });
    await b.update({ hold: false });
    await untilPlaying(shard, conference.id, (list) => list.length === 0);
  });
});

describe('tones and sounds', () => {
  it('plays the entry tone to the conference for joinTone, and the exit tone for leavingTone', async () => {
    const { engine, shard } = makeEngine();
    const conference = await engine.createConference();
    const stay = await conference.addMember();
    expect(playing(shard, conference.id)).toEqual([]);
    const joiner = await conference.addMember({ joinTone: true, leavingTone: 'true' });
    await untilPlaying(shard, conference.id, (list) => list.length === 1);
    expect(playing(shard, conference.id)).toEqual([[undefined, builtInTone('entry', 16000).length, false]]);
    const entryNumber = [...shard.conferences.get(conference.id)!.playbacks.keys()][0];
    shard.finishPlayback(conference.id, entryNumber);
    await joiner.update({ state: 'completed' });
    await untilPlaying(shard, conference.id, (list) => list.length === 1);
    expect(playing(shard, conference.id)).toEqual([[undefined, builtInTone('exit', 16000).length, false]]);
    expect(stay.state).toBe('active');
  });

  it('defaults joinTone from play_entry_tone, and plays enter-sound as the entry tone', async () => {
    const { engine, shard } = makeEngine();
    const conference = await engine.createConference({ play_entry_tone: true, 'enter-sound': sounds.enter });
    const member = await conference.addMember();
    expect(member.joinTone).toBe(true);
    await untilPlaying(shard, conference.id, (list) => list.length === 1);
    // 0.25 s of an 8 kHz file, resampled to the conference's 16 kHz.
    expect(playing(shard, conference.id)).toEqual([[undefined, 4000, false]]);
  });

  it('plays muted-sound and unmuted-sound to the member whose mute changes', async () => {
    const { engine, shard } = makeEngine();
    const conference = await engine.createConference({ 'muted-sound': sounds.muted, 'unmuted-sound': sounds.unmuted });
    const a = await conference.addMember();
    await conference.addMember();
    await a.update({ mute: true });
    await untilPlaying(shard, conference.id, (list) => list.length === 1);
    expect(playing(shard, conference.id)).toEqual([[1, 1600, false]]);
    await a.update({ mute: false });
    await untilPlaying(shard, conference.id, (list) => list.length === 2);
    expect(playing(shard, conference.id)[1]).toEqual([1, 2400, false]);
  });
});
