// The callback payload builders: the seed's field names, plus tag, as plain JSON.
import { describe, expect, it } from 'vitest';
import {
  conferenceAudioPayload,
  conferenceMemberPayload,
  conferencePayload,
  dtmfPayload,
  talkingPayload,
} from '../../src/engine/events.ts';
import { DTMF_KEY_MAP } from '../../src/engine/dtmf.ts';
import { DTMF_KEYS } from '../../src/audio/numbers.ts';
import { expectSeedShaped } from './seedFields.ts';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('callback payloads', () => {
  it('builds a conference event with the seed fields, leaving out what is unknown', () => {
    const created = conferencePayload({ conferenceId: 'conf-1' }, 'created', '2024-01-01T00:00:00.000Z');
    expect(created).toEqual({ eventType: 'conference', conferenceId: 'conf-1', status: 'created', createdTime: '2024-01-01T00:00:00.000Z' });
    const completed = conferencePayload({ conferenceId: 'conf-1', uriBase: 'http://h/v1', tag: 't' }, 'completed', 'a', 'b');
    expect(completed).toEqual({
      eventType: 'conference',
      conferenceId: 'conf-1',
      conferenceUri: 'http://h/v1/conferences/conf-1',
      status: 'completed',
      createdTime: 'a',
      completedTime: 'b',
      tag: 't',
    });
    expectSeedShaped({ ...created });
    expectSeedShaped({ ...completed });
  });

  it('builds a conference-member event with activeMembers, mute, hold, state and time', () => {
    const payload = conferenceMemberPayload(
      { conferenceId: 'conf-1', uriBase: 'http://h/v1', tag: 'x' },
      { memberId: 'member-1', callId: 'c-1', state: 'active', mute: true, hold: false },
      2,
    );
    expect(payload).toMatchObject({
      eventType: 'conference-member',
      activeMembers: 2,
      callId: 'c-1',
      conferenceId: 'conf-1',
      hold: false,
      memberId: 'member-1',
      memberUri: 'http://h/v1/conferences/conf-1/members/member-1',
      mute: true,
      state: 'active',
      tag: 'x',
    });
    expect(payload.time).toMatch(ISO);
    expectSeedShaped({ ...payload });
    expect('callId' in conferenceMemberPayload({ conferenceId: 'c' }, { memberId: 'm', state: 'completed', mute: false, hold: false }, 0)).toBe(false);
  });

  it('builds playback and speak events, to the conference or to one member', () => {
    for (const type of ['conference-playback', 'conference-speak'] as const) {
      const all = conferenceAudioPayload({ conferenceId: 'conf-1', tag: 'p' }, type, 'started');
      expect(all).toMatchObject({ eventType: type, conferenceId: 'conf-1', status: 'started', tag: 'p' });
      expect('memberId' in all).toBe(false);
      const one = conferenceAudioPayload({ conferenceId: 'conf-1' }, type, 'done', 'member-2');
      expect(one).toMatchObject({ eventType: type, status: 'done', memberId: 'member-2' });
      expectSeedShaped({ ...all });
      expectSeedShaped({ ...one });
    }
  });

  it('builds dtmf and talking events', () => {
    const dtmf = dtmfPayload({ conferenceId: 'conf-1', tag: 't' }, { memberId: 'm', callId: 'c' }, '5', 'listen-reset');
    expect(dtmf).toMatchObject({ eventType: 'dtmf', dtmfDigit: '5', action: 'listen-reset', callId: 'c', memberId: 'm', conferenceId: 'conf-1', tag: 't' });
    expectSeedShaped({ ...dtmf });
    const talking = talkingPayload({ conferenceId: 'conf-1' }, { memberId: 'm' }, 'start', 812);
    expect(talking).toMatchObject({ eventType: 'talking', status: 'start', energy: 812, memberId: 'm' });
    expectSeedShaped({ ...talking });
  });
});

describe('DTMF key map', () => {
  it('binds every keypad key to the action the mixer reports, as DESIGN.md lists them', () => {
    expect(Object.keys(DTMF_KEY_MAP).sort()).toEqual([...DTMF_KEYS].sort());
    const actions = Object.fromEntries(Object.entries(DTMF_KEY_MAP).map(([key, binding]) => [key, binding.action]));
    expect(actions).toEqual({
      '1': 'talk-down',
      '2': 'talk-reset',
      '3': 'talk-up',
      '4': 'listen-down',
      '5': 'listen-reset',
      '6': 'listen-up',
      '7': 'energy-down',
      '8': 'energy-reset',
      '9': 'energy-up',
      '0': 'toggle-mute',
      '*': 'toggle-deaf-mute',
      '#': 'leave',
    });
  });
});
