// The public shape of a conference member: options, updates, state, events.
import type { MemberLeg, MemberLegOptions } from '../legs/registry.ts';
import type { RtpLeg } from '../legs/rtp/RtpLeg.ts';
import type { SdpLegOptions } from '../legs/rtp/RtpLegTypes.ts';
import type { WebrtcLeg } from '../legs/webrtc/WebrtcLeg.ts';
import type { WebrtcLegOptions } from '../legs/webrtc/WebrtcLegTypes.ts';
import type {
  ConferenceMemberEventPayload,
  ConferencePlaybackEventPayload,
  ConferenceSpeakEventPayload,
  DtmfEventPayload,
  TalkingEventPayload,
} from './events.ts';
import type { Member } from './Member.ts';

/** A member's role: moderators release members waiting for a moderator. */
export type MemberRole = 'member' | 'moderator';

/** Who does not hear whom (Kazoo's and FreeSWITCH's relate): 'deaf' (this member stops hearing the
 *  other), 'mute' (the other stops hearing this member), 'clear' (both undone for the pair). */
export type MemberRelationship = 'deaf' | 'mute' | 'clear';

/** A member is active until it leaves; completed is final. */
export type MemberState = 'active' | 'completed';

/** Why a member left. */
export type MemberRemovedReason =
  | 'api' // update({state: 'completed'}) or close()
  | 'dtmf-leave' // the member pressed '#'
  | 'leg-ended' // its leg closed (the app closed it, or the peer hung up)
  | 'leg-timeout' // its RTP leg received nothing for timeoutMs
  | 'rtcp-bye' // its RTP peer sent an RTCP BYE
  | 'webrtc-failed' // its WebRTC connection failed (ICE or DTLS)
  | 'webrtc-closed' // its WebRTC peer closed the connection
  | 'conference-completed' // the conference completed
  | 'shard-died' // the shard holding its conference died
  | 'engine-closed' // the engine closed
  | 'mediasoup-closed'; // its mediasoup producer, transport or router closed, or its bridge did


export type { MemberLeg, MemberLegOptions };

/** Fields of addMember (the Conference API's add-member fields, plus confmix's). */
export interface MemberOptions {
  /** The member's media (default: none). */
  leg?: MemberLegOptions;
  /** The call this member is (reported as `callId`). */
  callId?: string;
  /** 'member' (default) or 'moderator'. */
  role?: MemberRole;
  /** Play the entry tone to the conference when it joins (default: the profile's play_entry_tone). */
  joinTone?: boolean | 'true' | 'false';
  /** Play the exit tone to the conference when it leaves (default: the profile's play_exit_tone). */
  leavingTone?: boolean | 'true' | 'false';
  /** Nothing from it enters the mix (default: the role's join_muted). */
  mute?: boolean | 'true' | 'false';
  /** It neither hears nor is heard, and hears moh-sound if set. */
  hold?: boolean | 'true' | 'false';
  /** It hears nothing (default: the role's join_deaf). */
  deaf?: boolean | 'true' | 'false';
  /** Talk volume level, -4..4 (3 dB a step). */
  talkLevel?: number;
  /** Listen volume level, -4..4. */
  listenLevel?: number;
  /** Gate threshold, 0..32767 (default: the conference's energy-level; 0 turns the gate off). */
  energyLevel?: number;
  /** The user's own data. */
  appData?: Record<string, unknown>;
}

/** Fields of member.update(). */
export interface MemberUpdateFields {
  /** 'completed' removes the member. */
  state?: 'completed';
  mute?: boolean | 'true' | 'false';
  hold?: boolean | 'true' | 'false';
  deaf?: boolean | 'true' | 'false';
  joinTone?: boolean | 'true' | 'false';
  leavingTone?: boolean | 'true' | 'false';
  talkLevel?: number;
  listenLevel?: number;
  energyLevel?: number;
}

/** What changed on a member, and why. */
export interface MemberChange {
  mute?: boolean;
  hold?: boolean;
  deaf?: boolean;
  talkLevel?: number;
  listenLevel?: number;
  energyLevel?: number;
  /** 'api': an update call; 'dtmf': a key the member pressed; 'sdp': the peer's SDP direction (hold). */
  cause: 'api' | 'dtmf' | 'sdp';
}



/** addMember answering a peer's SDP offer; resolves to an SdpJoin with our answer. */
export interface SdpAnswerMemberOptions extends Omit<MemberOptions, 'leg'> {
  /** The peer's SDP offer (RFC 3264). */
  sdp: string;
  /** How the leg is set up. */
  rtp?: SdpLegOptions;
}

/** addMember making our SDP offer; resolves to an SdpJoin with it. `member.leg.applyAnswer()` completes the leg. */
export interface SdpOfferMemberOptions extends Omit<MemberOptions, 'leg'> {
  /** Make our offer. */
  offer: true;
  /** How the leg is set up. */
  rtp?: SdpLegOptions;
}

/** addMember answering a browser's (or any WebRTC peer's) offer with a WebRTC leg; resolves to our answer. */
export interface WebrtcAnswerMemberOptions extends Omit<MemberOptions, 'leg'> {
  /** `{kind: 'webrtc'}` and its options. */
  leg: WebrtcLegOptions;
  /** The peer's offer: DTLS-SRTP (UDP/TLS/RTP/SAVPF with a fingerprint), with Opus, PCMU or PCMA. */
  sdp: string;
}

/** addMember making our WebRTC offer; `leg.applyAnswer()` completes it. */
export interface WebrtcOfferMemberOptions extends Omit<MemberOptions, 'leg'> {
  /** `{kind: 'webrtc'}` and its options. */
  leg: WebrtcLegOptions;
  /** Make our offer. */
  offer: true;
}

/** What addMember with `sdp` or `offer` resolves to. */
export interface SdpJoin<Leg = RtpLeg> {
  /** The new member. */
  member: Member;
  /** Its leg (also `member.leg`), typed. */
  leg: Leg;
  /** Our SDP: the answer to the peer's offer, or our offer. */
  sdp: string;
}



/** A member's mixer state, as the shard's events last reported it. */
export interface MemberMixerState {
  /** Between a talking start and stop. */
  talking: boolean;
  /** Energy score of the frame of its last talking event. */
  energy: number;
  /** Muted. */
  mute: boolean;
  /** Deaf. */
  deaf: boolean;
  /** Held, or waiting for a moderator. */
  hold: boolean;
  /** Talk level -4..4. */
  talkLevel: number;
  /** Listen level -4..4. */
  listenLevel: number;
  /** Gate threshold. */
  energyLevel: number;
}

/** The events a Member emits (each callback payload concerning it, and its own changes). */
export interface MemberEvents {
  /** It joined, left, or its mute or hold changed. */
  'conference-member': [ConferenceMemberEventPayload];
  /** A file playing to it alone started or is done. */
  'conference-playback': [ConferencePlaybackEventPayload];
  /** A sentence spoken to it alone started or is done. */
  'conference-speak': [ConferenceSpeakEventPayload];
  /** It pressed a key. */
  dtmf: [DtmfEventPayload];
  /** It started or stopped talking. */
  talking: [TalkingEventPayload];
  /** Any of its flags or levels changed. */
  change: [MemberChange];
  /** Its RTP leg refused packets (stranger source, bad packets). */
  rtprejected: [{ reason: string; count: number }];
  /** It left; emitted once. */
  close: [reason: MemberRemovedReason];
}

/** Management events of a member. */
export interface MemberObserverEvents {
  /** It left. */
  close: [];
  /** Any of its flags or levels changed. */
  change: [MemberChange];
}

/** A member as JSON: the Conference API's member properties, plus confmix's. */
export interface MemberJson {
  id: string;
  state: MemberState;
  callId?: string;
  role: MemberRole;
  mute: boolean;
  hold: boolean;
  deaf: boolean;
  joinTone: boolean;
  leavingTone: boolean;
  talkLevel: number;
  listenLevel: number;
  energyLevel: number;
  talking: boolean;
  addedTime: string;
  removedTime?: string;
  removedReason?: MemberRemovedReason;
  leg: { kind: 'app' | 'rtp' | 'webrtc' | 'none'; localAddress?: string; localPort?: number };
}
