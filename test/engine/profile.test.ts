// The create/update/member/audio fields: seed names, Kazoo names and aliases, defaults, and a
// clear typed error for every bad value.
import { describe, expect, it } from 'vitest';
import { normalizeAudio, normalizePlay, normalizeSpeak } from '../../src/audio/requests.ts';
import { normalizeConferenceCreate, normalizeConferenceUpdate, parseConferenceFields, resolveConferenceConfig } from '../../src/engine/conferenceFields.ts';
import { normalizeMemberAdd, normalizeMemberUpdate } from '../../src/engine/memberFields.ts';
import { InvalidArgumentError, UnsupportedError } from '../../src/errors.ts';
import { comfortNoiseDbfsFromFreeswitch } from '../../src/audio/numbers.ts';
import { AppLeg } from '../../src/legs/app/AppLeg.ts';

describe('conference create fields', () => {
  it('applies confmix defaults when nothing is given', () => {
    const config = normalizeConferenceCreate({});
    expect(config).toEqual({
      profile: 'interpret_digits',
      callback: { callbackHttpMethod: 'POST' },
      mixer: { rate: 16000, interval: 20, energyLevel: 100, hangoverMs: 500, comfortNoiseDbfs: -60 },
      media: { adaptiveComplexity: true, parallelCodecs: true, skipUnvoiced: true, maxActiveTalkers: 4 },
      maxMembers: null,
      sounds: {},
      member: { joinMuted: false, joinDeaf: false },
      moderator: { joinMuted: false, joinDeaf: false },
      waitForModerator: false,
      playEntryTone: false,
      playExitTone: false,
    });
  });

  it("accepts the Conference API's fields, with string forms as its examples send them", () => {
    const config = normalizeConferenceCreate({
      from: '+1234567890',
      callbackUrl: 'http://my.callback.url',
      callbackHttpMethod: 'get',
      callbackTimeout: '2000',
      fallbackUrl: 'https://my.fallback.url/x',
      profile: 'passthru_digits',
      tag: 'my-tag',
    });
    expect(config.from).toBe('+1234567890');
    expect(config.callback).toEqual({
      callbackUrl: 'http://my.callback.url',
      callbackHttpMethod: 'GET',
      callbackTimeout: 2000,
      fallbackUrl: 'https://my.fallback.url/x',
    });
    expect(config.profile).toBe('passthru_digits');
    expect(config.tag).toBe('my-tag');
  });

  it('accepts the Kazoo profile fields at top level and inside a profile object, to the same result', () => {
    const kazoo = {
      rate: 48000,
      interval: 40,
      'energy-level': 300,
      'comfort-noise': 1400,
      'max-members': 5,
      'max-members-sound': '/s/full.wav',
      'enter-sound': '/s/enter.wav',
      'exit-sound': '/s/exit.wav',
      'moh-sound': '/s/moh.wav',
      'alone-sound': '/s/alone.wav',
      'muted-sound': '/s/muted.wav',
      'unmuted-sound': '/s/unmuted.wav',
      'locked-sound': '/s/locked.wav',
    };
    const top = normalizeConferenceCreate(kazoo);
    const nested = normalizeConferenceCreate({ profile: kazoo });
    expect(nested).toEqual(top);
    expect(top.mixer).toEqual({ rate: 48000, interval: 40, energyLevel: 300, hangoverMs: 500, comfortNoiseDbfs: comfortNoiseDbfsFromFreeswitch(1400) });
    expect(top.maxMembers).toBe(5);
    expect(top.sounds).toEqual({
      maxMembersSound: '/s/full.wav',
      enterSound: '/s/enter.wav',
      exitSound: '/s/exit.wav',
      mohSound: '/s/moh.wav',
      aloneSound: '/s/alone.wav',
      mutedSound: '/s/muted.wav',
      unmutedSound: '/s/unmuted.wav',
      lockedSound: '/s/locked.wav',
    });
  });

  it('accepts camelCase aliases to the same result as the seed names', () => {
    const seed = normalizeConferenceCreate({
      'energy-level': 50,
      'max-members': 3,
      max_participants: 4,
      wait_for_moderator: true,
      play_entry_tone: true,
      play_exit_tone: '/s/bye.wav',
      member: { join_muted: true, join_deaf: 'true' },
      moderator: { join_muted: false },
      'moh-sound': '/s/moh.wav',
    });
    const camel = normalizeConferenceCreate({
      energyLevel: 50,
      maxMembers: 3,
      maxParticipants: 4,
      waitForModerator: 'true',
      playEntryTone: true,
      playExitTone: '/s/bye.wav',
      member: { joinMuted: true, joinDeaf: true },
      moderator: { joinMuted: false },
      mohSound: '/s/moh.wav',
    });
    expect(camel).toEqual(seed);
    expect(seed.maxMembers).toBe(3);
    expect(seed.member).toEqual({ joinMuted: true, joinDeaf: true });
    expect(seed.waitForModerator).toBe(true);
    expect(seed.playEntryTone).toBe(true);
    expect(seed.playExitTone).toBe('/s/bye.wav');
  });

  it('takes the lower of max-members and max_participants, 0 meaning no limit', () => {
    expect(normalizeConferenceCreate({ 'max-members': 10, max_participants: 4 }).maxMembers).toBe(4);
    expect(normalizeConferenceCreate({ 'max-members': 0, max_participants: 6 }).maxMembers).toBe(6);
    expect(normalizeConferenceCreate({ 'max-members': 0 }).maxMembers).toBeNull();
  });

  it('converts comfort-noise as FreeSWITCH does: a divisor, true, or off', () => {
    expect(normalizeConferenceCreate({ 'comfort-noise': true }).mixer.comfortNoiseDbfs).toBe(comfortNoiseDbfsFromFreeswitch(1400));
    expect(normalizeConferenceCreate({ 'comfort-noise': false }).mixer.comfortNoiseDbfs).toBeNull();
    expect(normalizeConferenceCreate({ 'comfort-noise': 0 }).mixer.comfortNoiseDbfs).toBeNull();
    const quiet = normalizeConferenceCreate({ 'comfort-noise': 5000 }).mixer.comfortNoiseDbfs as number;
    const loud = normalizeConferenceCreate({ 'comfort-noise': 500 }).mixer.comfortNoiseDbfs as number;
    expect(quiet).toBeLessThan(loud);
    expect(normalizeConferenceCreate({ comfortNoiseDbfs: -45 }).mixer.comfortNoiseDbfs).toBe(-45);
    expect(normalizeConferenceCreate({ comfortNoiseDbfs: null }).mixer.comfortNoiseDbfs).toBeNull();
  });

  it('merges over engine defaults, the conference winning field by field', () => {
    const defaults = parseConferenceFields({ rate: 8000, 'energy-level': 200, member: { join_muted: true }, 'moh-sound': '/a.wav' }, 'defaults');
    const config = resolveConferenceConfig(parseConferenceFields({ 'energy-level': 20, member: { join_deaf: true } }), defaults);
    expect(config.mixer.rate).toBe(8000);
    expect(config.mixer.energyLevel).toBe(20);
    expect(config.member).toEqual({ joinMuted: true, joinDeaf: true });
    expect(config.sounds).toEqual({ mohSound: '/a.wav' });
  });

  it.each([
    [{ rate: 44100 }, /rate must be one of/],
    [{ rate: 'fast' }, /rate must be one of/],
    [{ interval: 25 }, /interval must be one of/],
    [{ 'energy-level': 40000 }, /energy-level must be an integer from 0 to 32767/],
    [{ 'energy-level': 1.5 }, /energy-level must be an integer/],
    [{ 'comfort-noise': -1 }, /comfort-noise must be an integer from 0/],
    [{ 'max-members': -2 }, /max-members must be an integer/],
    [{ max_participants: 'many' }, /max_participants must be an integer/],
    [{ callbackUrl: 'ftp://x' }, /callbackUrl must be an http\(s\) URL/],
    [{ callbackUrl: 'not a url' }, /callbackUrl must be an absolute http\(s\) URL/],
    [{ callbackHttpMethod: 'PUT' }, /callbackHttpMethod must be one of/],
    [{ callbackTimeout: 10001 }, /callbackTimeout must be an integer from 1 to 10000/],
    [{ profile: 'interpret' }, /profile must be one of/],
    [{ profile: 7 }, /profile must be 'interpret_digits', 'passthru_digits' or a Kazoo profile object/],
    [{ wait_for_moderator: 'yes' }, /wait_for_moderator must be a boolean/],
    [{ 'moh-sound': '' }, /moh-sound must be a string of 1 to 2048/],
    [{ member: { join_muted: 3 } }, /member.join_muted must be a boolean/],
    [{ member: { pins: [] } }, /unknown member field 'pins'/],
    [{ tag: 5 }, /tag must be a string/],
    [{ from: '' }, /from must be a string of 1 to 64/],
    [{ energy_level: 100 }, /unknown conference field 'energy_level'/],
    [{ 'energy-level': 100, energyLevel: 200 }, /'energy-level' and 'energyLevel' name the same field with different values/],
    [{ 'energy-level': 100, profile: { 'energy-level': 200 } }, /given both at top level and in profile/],
    [{ profile: { rate: 16000, 'caller-controls': 'x' } }, /unknown profile field 'caller-controls'/],
  ])('refuses %j with InvalidArgumentError', (fields, message) => {
    let caught: unknown;
    try {
      normalizeConferenceCreate(fields);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    expect((caught as InvalidArgumentError).code).toBe('ERR_INVALID_ARGUMENT');
    expect((caught as Error).message).toMatch(message);
  });
});

describe('conference update fields', () => {
  it('accepts the seed fields and locked, booleans as strings too, null clearing', () => {
    expect(
      normalizeConferenceUpdate({ state: 'completed', mute: 'true', hold: false, locked: true, callbackUrl: null, callbackTimeout: '500', tag: null }),
    ).toEqual({ state: 'completed', mute: true, hold: false, locked: true, callbackUrl: null, callbackTimeout: 500, tag: null });
  });

  it.each([
    [{ state: 'active' }, /state must be one of "completed"/],
    [{ mute: 1 }, /mute must be a boolean/],
    [{ hold: 'no' }, /hold must be a boolean/],
    [{ rate: 8000 }, /unknown conference update field 'rate'/],
    [null, /conference update must be an object/],
  ])('refuses %j', (fields, message) => {
    expect(() => normalizeConferenceUpdate(fields)).toThrow(message);
    expect(() => normalizeConferenceUpdate(fields)).toThrow(InvalidArgumentError);
  });
});

describe('member fields', () => {
  it('accepts the seed add fields and the levels', () => {
    expect(
      normalizeMemberAdd({ callId: 'c-1', joinTone: 'true', leavingTone: false, mute: true, hold: 'false', deaf: true, role: 'moderator', talkLevel: -4, listenLevel: 4, energyLevel: 0 }),
    ).toEqual({ leg: { kind: 'none' }, callId: 'c-1', joinTone: true, leavingTone: false, mute: true, hold: false, deaf: true, role: 'moderator', talkLevel: -4, listenLevel: 4, energyLevel: 0 });
  });

  it('accepts an AppLeg, an app rate, an RTP spec with a codec preset, and none', () => {
    const leg = new AppLeg({ rate: 8000 });
    expect(normalizeMemberAdd({ leg }).leg).toEqual({ kind: 'app', appLeg: leg });
    expect(normalizeMemberAdd({ leg: { kind: 'app', rate: 48000 } }).leg).toEqual({ kind: 'app', rate: 48000 });
    expect(normalizeMemberAdd({ leg: { kind: 'none' } }).leg).toEqual({ kind: 'none' });
    expect(
      normalizeMemberAdd({
        leg: { kind: 'rtp', codec: 'pcmu', remoteAddress: '127.0.0.1', remotePort: 5004, telephoneEventPayloadType: 101, symmetricLatching: true, timeoutMs: 5000 },
      }).leg,
    ).toEqual({
      kind: 'rtp',
      spec: {
        kind: 'rtp',
        codec: { name: 'pcmu', payloadType: 0, clockRate: 8000, channels: 1 },
        remoteAddress: '127.0.0.1',
        remotePort: 5004,
        telephoneEventPayloadType: 101,
        symmetricLatching: true,
        timeoutMs: 5000,
      },
    });
    const opus = normalizeMemberAdd({ leg: { kind: 'rtp', codec: { name: 'opus', payloadType: 111, clockRate: 48000, channels: 2, fec: true }, symmetricLatching: true } });
    expect(opus.leg.kind === 'rtp' && (opus.leg as unknown as { spec: { codec: unknown } }).spec.codec).toEqual({ name: 'opus', payloadType: 111, clockRate: 48000, channels: 2, fec: true });
  });

  it.each([
    [{ talkLevel: 5 }, /talkLevel must be an integer from -4 to 4/],
    [{ listenLevel: -5 }, /listenLevel must be an integer from -4 to 4/],
    [{ energyLevel: 32768 }, /energyLevel must be an integer from 0 to 32767/],
    [{ mute: 'yes' }, /mute must be a boolean/],
    [{ role: 'admin' }, /role must be one of/],
    [{ callId: 12 }, /callId must be a string/],
    [{ leg: { kind: 'app', rate: 11025 } }, /leg.rate must be one of/],
    [{ leg: { kind: 'sip' } }, /leg must be an AppLeg, or an object with kind/],
    [{ leg: { kind: 'rtp', codec: 'g729', symmetricLatching: true } }, /codec 'g729' has no preset/],
    [{ leg: { kind: 'rtp', codec: 'pcmu' } }, /needs remoteAddress and remotePort, or symmetricLatching/],
    [{ leg: { kind: 'rtp', codec: 'pcmu', remoteAddress: 'localhost', remotePort: 5000 } }, /remoteAddress must be a numeric/],
    [{ leg: { kind: 'rtp', codec: 'pcmu', remoteAddress: '127.0.0.1' } }, /must be given together/],
    [{ leg: { kind: 'rtp', codec: 'pcmu', remoteAddress: '127.0.0.1', remotePort: 70000 } }, /remotePort must be an integer from 1 to 65535/],
    [{ leg: { kind: 'rtp', codec: 'pcmu', symmetricLatching: true, telephoneEventPayloadType: 0 } }, /must differ from the codec payload type/],
    [{ leg: { kind: 'rtp', codec: { name: 'opus', payloadType: 111, clockRate: 8000, channels: 2 }, symmetricLatching: true } }, /codec.clockRate must be one of 48000/],
    [{ nickname: 'x' }, /unknown member field 'nickname'/],
  ])('refuses %j', (fields, message) => {
    expect(() => normalizeMemberAdd(fields)).toThrow(message);
    expect(() => normalizeMemberAdd(fields)).toThrow(InvalidArgumentError);
  });

  it('refuses leg kinds of later versions as unsupported', () => {
    expect(() => normalizeMemberAdd({ leg: { kind: 'mediasoup' } })).toThrow(UnsupportedError);
  });

  it('refuses a WebRTC leg without SDP: it joins by an offer', () => {
    expect(() => normalizeMemberAdd({ leg: { kind: 'webrtc' } })).toThrow(/joins by SDP/);
  });

  it('checks member updates', () => {
    expect(normalizeMemberUpdate({ state: 'completed', mute: 'false', deaf: true, talkLevel: '2' })).toEqual({ state: 'completed', mute: false, deaf: true, talkLevel: 2 });
    expect(() => normalizeMemberUpdate({ listenLevel: 9 })).toThrow(/listenLevel must be an integer from -4 to 4/);
    expect(() => normalizeMemberUpdate({ state: 'held' })).toThrow(InvalidArgumentError);
  });
});

describe('audio fields', () => {
  it('checks play, speak and the audio resource', () => {
    expect(normalizePlay({ fileUrl: '/a.wav', loopEnabled: 'true', tag: 't' })).toEqual({ fileUrl: '/a.wav', loopEnabled: true, tag: 't' });
    expect(normalizePlay({ fileUrl: '' })).toEqual({ fileUrl: '', loopEnabled: false });
    expect(normalizeSpeak({ sentence: 'hi', gender: 'male', locale: 'en_US', voice: 'en-us' })).toEqual({ sentence: 'hi', gender: 'male', locale: 'en_US', voice: 'en-us' });
    expect(normalizeAudio({ sentence: '' })).toEqual({ kind: 'speak', request: { sentence: '' } });
    expect(() => normalizePlay({ fileUrl: 3 })).toThrow(/fileUrl must be a string/);
    expect(() => normalizePlay({ fileUrl: '/a.wav', loopEnabled: 2 })).toThrow(/loopEnabled must be a boolean/);
    expect(() => normalizeSpeak({ sentence: 'x', gender: 'robot' })).toThrow(/gender must be one of/);
    expect(() => normalizeAudio({ fileUrl: '/a.wav', sentence: 'x' })).toThrow(/exactly one of fileUrl and sentence/);
    expect(() => normalizeAudio({})).toThrow(InvalidArgumentError);
  });
});
