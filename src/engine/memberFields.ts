// Checks of a member's add and update fields (the Conference API's add-member and update-member
// fields, plus confmix's levels), and a new member's record. Every check runs before anything changes.
import { randomUUID } from 'node:crypto';
import { ENERGY_LEVEL_MAX, LEVEL_MAX, LEVEL_MIN } from '../audio/numbers.ts';
import { checkFields, refuseUnknownFields, toBoolean, toInteger, toOneOf, toText } from '../fields.ts';
import type { Fields } from '../fields.ts';
import type { LegRequest } from '../legs/LegKind.ts';
import { normalizeLeg } from '../legs/registry.ts';
import type { MemberWireSettings } from '../legs/LegKind.ts';
import type { ConferenceConfig } from './conferenceFields.ts';
import type { MemberRecord } from './Member.ts';
import type { MemberRole } from './MemberTypes.ts';

/** A member add, checked (defaults of the role not yet applied). */
export interface MemberAdd {
  leg: LegRequest;
  callId?: string;
  role: MemberRole;
  joinTone?: boolean;
  leavingTone?: boolean;
  mute?: boolean;
  hold?: boolean;
  deaf?: boolean;
  talkLevel?: number;
  listenLevel?: number;
  energyLevel?: number;
  trunk?: boolean;
}

/** A member update, checked. */
export interface MemberUpdate {
  state?: 'completed';
  mute?: boolean;
  hold?: boolean;
  deaf?: boolean;
  joinTone?: boolean;
  leavingTone?: boolean;
  talkLevel?: number;
  listenLevel?: number;
  energyLevel?: number;
}

const MEMBER_ADD_KEYS = new Set([
  'leg', 'callId', 'role', 'joinTone', 'leavingTone', 'mute', 'hold', 'deaf', 'talkLevel', 'listenLevel', 'energyLevel', 'trunk', 'appData',
]);

function levels(fields: Fields, out: { talkLevel?: number; listenLevel?: number; energyLevel?: number }): void {
  if (fields.talkLevel !== undefined) out.talkLevel = toInteger(fields.talkLevel, 'talkLevel', LEVEL_MIN, LEVEL_MAX);
  if (fields.listenLevel !== undefined) out.listenLevel = toInteger(fields.listenLevel, 'listenLevel', LEVEL_MIN, LEVEL_MAX);
  if (fields.energyLevel !== undefined) out.energyLevel = toInteger(fields.energyLevel, 'energyLevel', 0, ENERGY_LEVEL_MAX);
}

/** Checks a member add (seed fields `callId`, `joinTone`, `leavingTone`, `mute`, `hold`, plus confmix's). */
export function normalizeMemberAdd(input: unknown): MemberAdd {
  const fields = checkFields(input ?? {}, 'member');
  refuseUnknownFields(fields, MEMBER_ADD_KEYS, 'member');
  const out: MemberAdd = {
    leg: normalizeLeg(fields.leg),
    role: fields.role === undefined ? 'member' : toOneOf(fields.role, 'role', ['member', 'moderator'] as const),
  };
  if (fields.callId !== undefined) out.callId = toText(fields.callId, 'callId', 1, 128);
  if (fields.joinTone !== undefined) out.joinTone = toBoolean(fields.joinTone, 'joinTone');
  if (fields.leavingTone !== undefined) out.leavingTone = toBoolean(fields.leavingTone, 'leavingTone');
  if (fields.mute !== undefined) out.mute = toBoolean(fields.mute, 'mute');
  if (fields.hold !== undefined) out.hold = toBoolean(fields.hold, 'hold');
  if (fields.deaf !== undefined) out.deaf = toBoolean(fields.deaf, 'deaf');
  if (fields.trunk !== undefined) out.trunk = toBoolean(fields.trunk, 'trunk');
  levels(fields, out);
  return out;
}

const MEMBER_UPDATE_KEYS = new Set(['state', 'mute', 'hold', 'deaf', 'joinTone', 'leavingTone', 'talkLevel', 'listenLevel', 'energyLevel']);

/** Checks a member update. */
export function normalizeMemberUpdate(input: unknown): MemberUpdate {
  const fields = checkFields(input, 'member update');
  refuseUnknownFields(fields, MEMBER_UPDATE_KEYS, 'member update');
  const out: MemberUpdate = {};
  if (fields.state !== undefined) out.state = toOneOf(fields.state, 'state', ['completed'] as const);
  if (fields.mute !== undefined) out.mute = toBoolean(fields.mute, 'mute');
  if (fields.hold !== undefined) out.hold = toBoolean(fields.hold, 'hold');
  if (fields.deaf !== undefined) out.deaf = toBoolean(fields.deaf, 'deaf');
  if (fields.joinTone !== undefined) out.joinTone = toBoolean(fields.joinTone, 'joinTone');
  if (fields.leavingTone !== undefined) out.leavingTone = toBoolean(fields.leavingTone, 'leavingTone');
  levels(fields, out);
  return out;
}

/** A new member's record: the add's fields over its role's and its conference's defaults. */
export function newMemberRecord(add: MemberAdd, config: ConferenceConfig, number: number, hasModerator: boolean): MemberRecord {
  const defaults = add.role === 'moderator' ? config.moderator : config.member;
  const record: MemberRecord = {
    id: `member-${randomUUID()}`,
    number,
    role: add.role,
    state: 'active',
    addedTime: '',
    mute: add.mute ?? defaults.joinMuted,
    hold: add.hold ?? false,
    deaf: add.deaf ?? defaults.joinDeaf,
    talkLevel: add.talkLevel ?? 0,
    listenLevel: add.listenLevel ?? 0,
    energyLevel: add.energyLevel ?? config.mixer.energyLevel,
    joinTone: add.joinTone ?? config.playEntryTone !== false,
    leavingTone: add.leavingTone ?? config.playExitTone !== false,
    talking: false,
    energy: 0,
    waiting: config.waitForModerator && add.role === 'member' && !hasModerator && add.trunk !== true,
    trunk: add.trunk ?? false,
  };
  if (add.callId !== undefined) record.callId = add.callId;
  return record;
}

/** The settings a member joins the shard with: a member waiting for a moderator is held; `trunk` only for a trunk. */
export function memberWireSettings(record: MemberRecord): Required<Omit<MemberWireSettings, 'trunk'>> & Pick<MemberWireSettings, 'trunk'> {
  return {
    mute: record.mute,
    deaf: record.deaf,
    hold: record.hold || record.waiting,
    talkLevel: record.talkLevel,
    listenLevel: record.listenLevel,
    energyLevel: record.energyLevel,
    ...(record.trunk ? { trunk: true } : {}),
  };
}
