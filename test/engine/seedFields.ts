// The callback event fields of the Conference API (its conference, conference-member,
// conference-playback, conference-speak and dtmf events), plus what confmix adds to each.
import { expect } from 'vitest';

/** Fields the seed's events carry, by eventType. */
export const SEED_EVENT_FIELDS: Record<string, readonly string[]> = {
  conference: ['eventType', 'conferenceId', 'conferenceUri', 'status', 'createdTime', 'completedTime'],
  'conference-member': ['eventType', 'activeMembers', 'callId', 'conferenceId', 'hold', 'memberId', 'memberUri', 'mute', 'state', 'time'],
  'conference-playback': ['eventType', 'conferenceId', 'conferenceUri', 'status', 'time'],
  'conference-speak': ['eventType', 'conferenceId', 'conferenceUri', 'status', 'time'],
  dtmf: ['eventType', 'callId', 'callUri', 'dtmfDigit', 'time'],
  talking: [],
};

/** Fields confmix adds: `tag` everywhere, and the context a conference event needs. */
export const CONFMIX_EXTRA_FIELDS: Record<string, readonly string[]> = {
  conference: ['tag'],
  'conference-member': ['tag'],
  'conference-playback': ['tag', 'memberId'],
  'conference-speak': ['tag', 'memberId'],
  dtmf: ['tag', 'conferenceId', 'memberId', 'action'],
  talking: ['eventType', 'conferenceId', 'memberId', 'callId', 'status', 'energy', 'time', 'tag'],
};

/** Asserts every field of `payload` is a seed field of its eventType or a documented addition, and it is plain JSON. */
export function expectSeedShaped(payload: Record<string, unknown>): void {
  const type = payload.eventType as string;
  expect(Object.keys(SEED_EVENT_FIELDS)).toContain(type);
  const allowed = new Set([...SEED_EVENT_FIELDS[type], ...CONFMIX_EXTRA_FIELDS[type]]);
  for (const key of Object.keys(payload)) expect(allowed, `field '${key}' of ${type}`).toContain(key);
  expect(JSON.parse(JSON.stringify(payload))).toEqual(payload);
}
