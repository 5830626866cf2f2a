// Conference and member lifecycle over a fake shard: state transitions, requests sent, and every
// callback payload with the seed's field names.
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, InvalidStateError, NotFoundError } from '../../src/errors.ts';
import type { Member } from '../../src/engine/Member.ts';
import type { MemberChange } from '../../src/engine/MemberTypes.ts';
import { comfortNoiseDbfsFromFreeswitch } from '../../src/audio/numbers.ts';
import { makeEngine, next, nextMatching } from './setup.ts';
import { expectSeedShaped } from './seedFields.ts';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('conference lifecycle', () => {
  it('creates a conference on the shard with the profile mapped, and reports it created', async () => {
    const { engine, shard, events } = makeEngine();
    const conference = await engine.createConference({
      from: '+15551234567',
      profile: 'passthru_digits',
      tag: 'room-1',
      rate: 8000,
      interval: 40,
      'energy-level': 250,
      'comfort-noise': 1400,
      callbackUrl: 'http://cb.example.test/x',
      appData: { owner: 'me' },
    });
    expect(shard.callsOf('createConference')).toEqual([
      {
        conferenceId: conference.id,
        settings: {
          rate: 8000,
          interval: 40,
          energyLevel: 250,
          hangoverMs: 500,
          comfortNoiseDbfs: comfortNoiseDbfsFromFreeswitch(1400),
          digits: 'passthru',
          media: { adaptiveComplexity: true, parallelCodecs: true, skipUnvoiced: true, maxActiveTalkers: 4 },
        },
      },
    ]);
    expect(shard.conferenceIds.has(conference.id)).toBe(true);
    expect(conference.appData).toEqual({ owner: 'me' });
    expect(conference.toJSON()).toEqual({
      id: conference.id,
      state: 'created',
      from: '+15551234567',
      createdTime: conference.createdTime,
      activeMembers: 0,
      hold: false,
      mute: false,
      locked: false,
      profile: 'passthru_digits',
      callbackUrl: 'http://cb.example.test/x',
      callbackHttpMethod: 'POST',
      tag: 'room-1',
    });
    expect(conference.createdTime).toMatch(ISO);
    expect(events).toEqual([
      { eventType: 'conference', conferenceId: conference.id, status: 'created', createdTime: conference.createdTime, tag: 'room-1' },
    ]);
    expect(engine.getConference(conference.id)).toBe(conference);
    expect(engine.conferences).toEqual([conference]);
  });

  it('completes on update({state: "completed"}): members leave, then the conference, each reported once', async () => {
    const { engine, shard, eventsOf } = makeEngine();
    const conference = await engine.createConference({ tag: 't' });
    const a = await conference.addMember({ callId: 'c-a' });
    const b = await conference.addMember();
    const closes: string[] = [];
    conference.on('close', (reason) => closes.push(`conference:${reason}`));
    a.on('close', (reason) => closes.push(`a:${reason}`));
    b.on('close', (reason) => closes.push(`b:${reason}`));
    await conference.update({ state: 'completed' });
    expect(closes).toEqual(['a:conference-completed', 'b:conference-completed', 'conference:api']);
    const members = eventsOf('conference-member');
    expect(members.map((e) => [e.memberId, e.state, e.activeMembers])).toEqual([
      [a.id, 'active', 1],
      [b.id, 'active', 2],
      [a.id, 'completed', 1],
      [b.id, 'completed', 0],
    ]);
    for (const payload of members) expectSeedShaped({ ...payload });
    const [created, completed] = eventsOf('conference');
    expect(created.status).toBe('created');
    expect(completed).toEqual({
      eventType: 'conference',
      conferenceId: conference.id,
      status: 'completed',
      createdTime: conference.createdTime,
      completedTime: conference.completedTime,
      tag: 't',
    });
    expect(conference.state).toBe('completed');
    expect(conference.completedReason).toBe('api');
    expect(shard.callsOf('destroyConference')).toEqual([{ conferenceId: conference.id }]);
    expect(shard.callsOf('removeMember')).toEqual([]);
    expect(shard.conferenceIds.has(conference.id)).toBe(false);
    expect(a.state).toBe('completed');
    expect(a.removedTime).toMatch(ISO);
    expect(a.leg.closed).toBe(true);
    // A completed conference stays retrievable, and refuses every change.
    expect(engine.getConference(conference.id)).toBe(conference);
    expect(engine.conferences).toEqual([]);
    await expect(conference.addMember()).rejects.toThrow(InvalidStateError);
    await expect(conference.update({ mute: true })).rejects.toThrow(/is completed/);
    await expect(conference.play({ fileUrl: '/x.wav' })).rejects.toThrow(InvalidStateError);
    await expect(a.update({ mute: true })).rejects.toThrow(InvalidStateError);
    conference.close();
    expect(closes.length).toBe(3);
  });

  it('completes by itself when its last member leaves, but not before anyone joined', async () => {
    const { engine } = makeEngine();
    const conference = await engine.createConference();
    expect(conference.state).toBe('created');
    const a = await conference.addMember();
    const b = await conference.addMember();
    await a.update({ state: 'completed' });
    expect(conference.state).toBe('created');
    expect(conference.activeMembers).toBe(1);
    const closed = next(conference, 'close');
    b.close();
    expect(await closed).toBe('last-member-left');
    expect(conference.state).toBe('completed');
    expect(b.removedReason).toBe('api');
  });

  it('lists members, active first, completed ones kept, and finds one by id', async () => {
    const { engine } = makeEngine();
    const conference = await engine.createConference();
    const a = await conference.addMember();
    const b = await conference.addMember();
    const c = await conference.addMember();
    await a.update({ state: 'completed' });
    expect(conference.listMembers()).toEqual([b, c, a]);
    expect(conference.getMember(a.id)).toBe(a);
    expect(() => conference.getMember('member-nope')).toThrow(NotFoundError);
    expect(() => engine.getConference('conf-nope')).toThrow(NotFoundError);
    expect(a.toJSON()).toMatchObject({ id: a.id, state: 'completed', mute: false, hold: false, removedReason: 'api', leg: { kind: 'none' } });
  });

  it('applies conference mute and hold on the shard, and keeps callback settings and tag', async () => {
    const { engine, shard } = makeEngine();
    const conference = await engine.createConference();
    await conference.addMember();
    await conference.update({ mute: 'true', hold: true, callbackUrl: 'https://x.test/cb', callbackTimeout: 3000, tag: 'new' });
    expect(shard.callsOf('updateConference')).toEqual([{ conferenceId: conference.id, mute: true, hold: true }]);
    expect([conference.mute, conference.hold, conference.tag]).toEqual([true, true, 'new']);
    expect(conference.callbackSettings).toEqual({ callbackUrl: 'https://x.test/cb', callbackTimeout: 3000, callbackHttpMethod: 'POST' });
    await conference.update({ mute: true, callbackUrl: null, tag: null });
    expect(shard.callsOf('updateConference')).toHaveLength(1);
    expect(conference.callbackSettings).toEqual({ callbackTimeout: 3000, callbackHttpMethod: 'POST' });
    expect(conference.tag).toBeUndefined();
  });

  it('keeps only the latest completedHistory completed members listed, so churn does not grow memory', async () => {
    const { engine } = makeEngine({ completedHistory: 3 });
    const conference = await engine.createConference();
    const stays = await conference.addMember();
    const gone: Member[] = [];
    for (let i = 0; i < 50; i++) {
      const member = await conference.addMember();
      await member.update({ state: 'completed' });
      gone.push(member);
    }
    expect(conference.listMembers()).toEqual([stays, ...gone.slice(-3)]);
    expect(conference.getMember(gone[49].id)).toBe(gone[49]);
    expect(() => conference.getMember(gone[0].id)).toThrow(NotFoundError);
    // The active member is never forgotten, however many leave after it.
    expect(conference.getMember(stays.id)).toBe(stays);
  });

  it('reports a conference-wide mute or hold once, as a conference event with status updated', async () => {
    const { engine, eventsOf } = makeEngine();
    const conference = await engine.createConference({ tag: 't' });
    const member = await conference.addMember();
    const memberEvents = eventsOf('conference-member').length;
    const heard: unknown[] = [];
    conference.on('conference', (payload) => heard.push(payload));
    await conference.update({ mute: true });
    await conference.update({ mute: true }); // no change, no event
    await conference.update({ hold: true, mute: false });
    const updates = eventsOf('conference').filter((e) => e.status === 'updated');
    expect(updates).toEqual([
      { eventType: 'conference', conferenceId: conference.id, status: 'updated', createdTime: conference.createdTime, mute: true, hold: false, tag: 't' },
      { eventType: 'conference', conferenceId: conference.id, status: 'updated', createdTime: conference.createdTime, mute: false, hold: true, tag: 't' },
    ]);
    expect(heard).toEqual(updates);
    // Members' own flags did not change: no conference-member event for them.
    expect(eventsOf('conference-member')).toHaveLength(memberEvents);
    expect([member.mute, member.hold]).toEqual([false, false]);
  });

  it('changes nothing when an update is bad or the shard refuses it', async () => {
    const { engine, shard } = makeEngine();
    const conference = await engine.createConference({ tag: 'keep' });
    await expect(conference.update({ mute: 'yes' } as never)).rejects.toThrow(InvalidArgumentError);
    await expect(conference.update({ hold: true, tag: 3 } as never)).rejects.toThrow(/tag must be a string/);
    shard.failures.set('updateConference', new InvalidStateError('shard says no'));
    await expect(conference.update({ mute: true, tag: 'changed' })).rejects.toThrow('shard says no');
    expect([conference.mute, conference.hold, conference.tag]).toEqual([false, false, 'keep']);
    expect(shard.callsOf('updateConference')).toHaveLength(1);
  });
});

describe('members', () => {
  it('adds a member with its flags, levels and the role defaults, and reports it active', async () => {
    const { engine, shard, eventsOf } = makeEngine();
    const conference = await engine.createConference({ member: { join_muted: true }, moderator: { join_deaf: true }, 'energy-level': 300 });
    const member = await conference.addMember({ callId: 'c-1', talkLevel: 2, appData: { n: 1 } });
    const moderator = await conference.addMember({ role: 'moderator', listenLevel: -3, energyLevel: 0, mute: false });
    const [first, second] = shard.callsOf('addMember');
    expect(first).toEqual({
      conferenceId: conference.id,
      member: 1,
      settings: { mute: true, deaf: false, hold: false, talkLevel: 2, listenLevel: 0, energyLevel: 300 },
      leg: { kind: 'none' },
    });
    expect(second.settings).toEqual({ mute: false, deaf: true, hold: false, talkLevel: 0, listenLevel: -3, energyLevel: 0 });
    expect([member.mute, member.deaf, member.talkLevel, member.energyLevel, member.role]).toEqual([true, false, 2, 300, 'member']);
    expect([moderator.mute, moderator.deaf, moderator.role]).toEqual([false, true, 'moderator']);
    expect(member.addedTime).toMatch(ISO);
    expect(member.appData).toEqual({ n: 1 });
    const [payload] = eventsOf('conference-member');
    expect(payload).toMatchObject({
      eventType: 'conference-member',
      activeMembers: 1,
      callId: 'c-1',
      conferenceId: conference.id,
      hold: false,
      memberId: member.id,
      mute: true,
      state: 'active',
    });
    expectSeedShaped({ ...payload });
  });

  it('updates mute, hold, deaf and levels on the shard, reporting mute and hold changes once each', async () => {
    const { engine, shard, eventsOf } = makeEngine();
    const conference = await engine.createConference();
    const member = await conference.addMember();
    const changes: MemberChange[] = [];
    member.on('change', (change) => changes.push(change));
    await member.update({ mute: true, deaf: 'true', talkLevel: -2, listenLevel: 3, energyLevel: 800 });
    await member.update({ hold: true });
    await member.update({ mute: true });
    expect(shard.callsOf('updateMember').map((p) => p.settings)).toEqual([
      { mute: true, deaf: true, talkLevel: -2, listenLevel: 3, energyLevel: 800 },
      { hold: true },
    ]);
    expect(changes).toEqual([
      { mute: true, deaf: true, talkLevel: -2, listenLevel: 3, energyLevel: 800, cause: 'api' },
      { hold: true, cause: 'api' },
    ]);
    // The shard echoes each change; a key pressed after shows the echoes were not reported again.
    const toggled = nextMatching<MemberChange>(member, 'change', (c) => c.cause === 'dtmf');
    await member.pressKey('0');
    expect(await toggled).toEqual({ mute: false, cause: 'dtmf' });
    expect(eventsOf('conference-member').map((e) => [e.state, e.mute, e.hold])).toEqual([
      ['active', false, false],
      ['active', true, false],
      ['active', true, true],
      ['active', false, true],
    ]);
    expect([member.mute, member.hold, member.deaf, member.talkLevel, member.listenLevel, member.energyLevel]).toEqual([false, true, true, -2, 3, 800]);
  });

  it('refuses a level out of range or a wrong type, changing nothing', async () => {
    const { engine, shard } = makeEngine();
    const conference = await engine.createConference();
    const member = await conference.addMember();
    await expect(member.update({ talkLevel: 5 })).rejects.toThrow(/talkLevel must be an integer from -4 to 4/);
    await expect(member.update({ mute: true, listenLevel: -9 })).rejects.toThrow(InvalidArgumentError);
    await expect(member.update({ hold: 'sure' } as never)).rejects.toThrow(/hold must be a boolean/);
    await expect(member.pressKey('A')).rejects.toThrow(/key must be one of/);
    await expect(conference.addMember({ talkLevel: 7 })).rejects.toThrow(InvalidArgumentError);
    expect(shard.callsOf('updateMember')).toEqual([]);
    expect(shard.callsOf('addMember')).toHaveLength(1);
    expect(member.mute).toBe(false);
    expect(conference.activeMembers).toBe(1);
  });

  it('applies each key as the mixer reports it, and leaves on #', async () => {
    const { engine, eventsOf } = makeEngine();
    const conference = await engine.createConference({ 'energy-level': 100, tag: 'k' });
    const member = await conference.addMember({ callId: 'c-9' });
    const press = async (key: string, field: keyof MemberChange): Promise<void> => {
      const changed = nextMatching<MemberChange>(member, 'change', (c) => c[field] !== undefined);
      await member.pressKey(key);
      await changed;
    };
    await press('3', 'talkLevel');
    await press('3', 'talkLevel');
    await press('1', 'talkLevel');
    expect(member.talkLevel).toBe(1);
    await press('2', 'talkLevel');
    expect(member.talkLevel).toBe(0);
    await press('4', 'listenLevel');
    expect(member.listenLevel).toBe(-1);
    await press('6', 'listenLevel');
    await press('6', 'listenLevel');
    expect(member.listenLevel).toBe(1);
    await press('5', 'listenLevel');
    expect(member.listenLevel).toBe(0);
    await press('7', 'energyLevel');
    expect(member.energyLevel).toBe(50);
    await press('9', 'energyLevel');
    await press('9', 'energyLevel');
    expect(member.energyLevel).toBe(200);
    await press('8', 'energyLevel');
    expect(member.energyLevel).toBe(100);
    await press('0', 'mute');
    expect(member.mute).toBe(true);
    await press('0', 'mute');
    await press('*', 'deaf');
    expect([member.deaf, member.mute]).toEqual([true, true]);
    const closed = next(member, 'close');
    await member.pressKey('#');
    expect(await closed).toBe('dtmf-leave');
    expect(member.removedReason).toBe('dtmf-leave');
    const dtmf = eventsOf('dtmf');
    expect(dtmf.map((e) => `${e.dtmfDigit}:${e.action}`)).toEqual([
      '3:talk-up', '3:talk-up', '1:talk-down', '2:talk-reset', '4:listen-down', '6:listen-up', '6:listen-up', '5:listen-reset',
      '7:energy-down', '9:energy-up', '9:energy-up', '8:energy-reset', '0:toggle-mute', '0:toggle-mute', '*:toggle-deaf-mute', '#:leave',
    ]);
    expect(dtmf[0]).toMatchObject({ eventType: 'dtmf', conferenceId: conference.id, memberId: member.id, callId: 'c-9', tag: 'k' });
    for (const payload of dtmf) expectSeedShaped({ ...payload });
    expect(conference.state).toBe('completed');
  });

  it('only reports keys with passthru_digits', async () => {
    const { engine } = makeEngine();
    const conference = await engine.createConference({ profile: 'passthru_digits' });
    const member = await conference.addMember();
    const changes: MemberChange[] = [];
    member.on('change', (c) => changes.push(c));
    const keys: string[] = [];
    member.on('dtmf', (e) => keys.push(`${e.dtmfDigit}:${e.action}`));
    for (const key of ['0', '3', '#']) {
      const seen = next(member, 'dtmf');
      await member.pressKey(key);
      await seen;
    }
    expect(keys).toEqual(['0:none', '3:none', '#:none']);
    expect(changes).toEqual([]);
    expect([member.state, member.mute, member.talkLevel]).toEqual(['active', false, 0]);
  });

  it('reports talking with the energy of the frame, on the conference and the member', async () => {
    const { engine, shard, eventsOf } = makeEngine();
    const conference = await engine.createConference();
    const member = await conference.addMember({ callId: 'c-t' });
    const onMember = next(member, 'talking');
    shard.push({ type: 'talking', conferenceId: conference.id, member: 1, status: 'start', energy: 912 });
    expect(await onMember).toMatchObject({ eventType: 'talking', status: 'start', energy: 912, memberId: member.id, callId: 'c-t' });
    expect(member.talking).toBe(true);
    shard.push({ type: 'talking', conferenceId: conference.id, member: 1, status: 'stop', energy: 12 });
    expect(member.talking).toBe(false);
    expect(eventsOf('talking').map((e) => [e.status, e.energy])).toEqual([['start', 912], ['stop', 12]]);
  });

  it('removes a member whose leg ended or timed out, with that reason', async () => {
    const { engine, shard } = makeEngine();
    const conference = await engine.createConference();
    const a = await conference.addMember();
    const b = await conference.addMember();
    const c = await conference.addMember();
    shard.push({ type: 'leg-timeout', conferenceId: conference.id, member: 1, reason: 'rtp-timeout' });
    shard.push({ type: 'leg-ended', conferenceId: conference.id, member: 2, reason: 'hangup' });
    expect([a.removedReason, b.removedReason]).toEqual(['leg-timeout', 'leg-ended']);
    const closed = next(c, 'close');
    c.leg.close();
    expect(await closed).toBe('leg-ended');
    expect(shard.callsOf('removeMember').map((p) => p.member)).toEqual([1, 2, 3]);
  });

  it('opens a plain RTP leg with the spec passed through, its local port on member.leg', async () => {
    const { engine, shard } = makeEngine();
    const conference = await engine.createConference();
    const member = await conference.addMember({
      leg: { kind: 'rtp', codec: 'pcma', remoteAddress: '127.0.0.1', remotePort: 6000, telephoneEventPayloadType: 101, symmetricLatching: true, timeoutMs: 4000 },
    });
    expect(shard.callsOf('addMember')[0].leg).toEqual({
      kind: 'rtp',
      codec: { name: 'pcma', payloadType: 8, clockRate: 8000, channels: 1 },
      remoteAddress: '127.0.0.1',
      remotePort: 6000,
      telephoneEventPayloadType: 101,
      symmetricLatching: true,
      timeoutMs: 4000,
    });
    expect(member.leg.kind).toBe('rtp');
    expect(member.toJSON().leg).toEqual({ kind: 'rtp', localAddress: '127.0.0.1', localPort: 40002 });
    await member.updateLeg({ remoteAddress: '127.0.0.2', remotePort: 7000 });
    expect(shard.callsOf('updateLeg')).toEqual([{ conferenceId: conference.id, member: 1, remoteAddress: '127.0.0.2', remotePort: 7000 }]);
    const leg = member.leg as import('../../src/legs/rtp/RtpLeg.ts').RtpLeg;
    expect([leg.remoteAddress, leg.remotePort]).toEqual(['127.0.0.2', 7000]);
    await expect(member.updateLeg({ remotePort: 0 })).rejects.toThrow(InvalidArgumentError);
  });

  it('keeps an app leg reusable when the shard refuses the join', async () => {
    const { engine, shard } = makeEngine();
    const conference = await engine.createConference();
    const leg = await engine.createAppLeg({ rate: 16000 });
    shard.failures.set('addMember', new InvalidStateError('no room on the shard'));
    await expect(conference.addMember({ leg })).rejects.toThrow('no room on the shard');
    expect(leg.state).toBe('new');
    expect(conference.activeMembers).toBe(0);
    const member: Member = await conference.addMember({ leg });
    expect(member.leg).toBe(leg);
    expect(leg.state).toBe('attached');
    await expect(conference.addMember({ leg })).rejects.toThrow(/joins one conference once/);
  });
});
