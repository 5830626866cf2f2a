// The public shape of a conference member: options, updates, state, events.
import type { AppLeg } from '../legs/app/AppLeg.ts';
import type { SdpCodecName, SdpOpusOptions } from '../legs/rtp/sdpTypes.ts';
import type { ShardConferenceRequests, ShardRtpCodec } from '../shard/conferenceProtocol.ts';
import type { ControlLeg } from './ControlLeg.ts';
import type {
  ConferenceMemberEventPayload,
  ConferencePlaybackEventPayload,
  ConferenceSpeakEventPayload,
  DtmfEventPayload,
  TalkingEventPayload,
} from './events.ts';
import type { MemberRole } from './profile.ts';
import type { Member } from './Member.ts';
import type { RtpLeg } from './RtpLeg.ts';

export type { MemberRole } from './profile.ts';

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
  | 'conference-completed' // the conference completed
  | 'shard-died' // the shard holding its conference died
  | 'engine-closed'; // the engine closed

/** A plain RTP leg to open for a member; its local port comes back on `member.leg`. */
export interface RtpLegOptions {
  kind: 'rtp';
  /** A preset ('pcmu', 'pcma', 'opus') or a full codec description. */
  codec: 'pcmu' | 'pcma' | 'opus' | ShardRtpCodec;
  /** RFC 4733 telephone-event payload type, if the peer sends DTMF that way. */
  telephoneEventPayloadType?: number;
  /** RFC 6464 ssrc-audio-level header extension id (1..255), if the peer sends levels: with a cap on active talkers, a member whose level misses the cut is not decoded. */
  audioLevelExtensionId?: number;
  /** The peer's numeric address (needed unless symmetricLatching learns it). */
  remoteAddress?: string;
  /** The peer's port. */
  remotePort?: number;
  /** Learn the peer from its first valid packet (NAT). */
  symmetricLatching?: boolean;
  /** Leave after this long without a packet, ms (default 30000, 0 = never). */
  timeoutMs?: number;
  /** Bind IPv6. */
  ipv6?: boolean;
  /** Packet duration, ms (default: the conference interval). */
  ptimeMs?: 10 | 20 | 40 | 60;
}

/** How a member's media arrives: an AppLeg, a new app leg at a rate, a plain RTP leg, or none. */
export type MemberLegOptions = AppLeg | { kind: 'app'; rate: number } | RtpLegOptions | { kind: 'none' };

/** The leg a member holds. */
export type MemberLeg = AppLeg | RtpLeg | ControlLeg;

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

/** A peer or codec change of a member's RTP leg. */
export interface RtpLegUpdate {
  remoteAddress?: string;
  remotePort?: number;
  codec?: 'pcmu' | 'pcma' | 'opus' | ShardRtpCodec;
  telephoneEventPayloadType?: number;
}

/** How an RTP leg joined by SDP is set up: `rtp` of addMember with `sdp` or `offer`. */
export interface SdpLegOptions {
  /** Answering: the codec to take when the offer has it (default: the offer's first we speak). */
  preferredCodec?: SdpCodecName;
  /** Offering: codecs in order of preference (default opus, pcmu, pcma). */
  codecs?: SdpCodecName[];
  /** Opus: bitrate (our cap and the peer's maxaveragebitrate), dtx, fec. */
  opus?: SdpOpusOptions;
  /** Learn the peer's address from its first valid packet instead of the SDP's (peers behind NAT). Default false. */
  symmetricLatching?: boolean;
  /** Leave after this long without a packet, ms (default 30000, 0 = never). */
  timeoutMs?: number;
  /** Offering: RTCP on the RTP port (a=rtcp-mux). Default true. */
  rtcpMux?: boolean;
  /** Offering: an IPv6 leg (the SDP names the engine's rtpAddress6). Answering follows the offer's c= line. */
  ipv6?: boolean;
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

/** What addMember with `sdp` or `offer` resolves to. */
export interface SdpJoin {
  /** The new member. */
  member: Member;
  /** Its leg (also `member.leg`), typed. */
  leg: RtpLeg;
  /** Our SDP: the answer to the peer's offer, or our offer. */
  sdp: string;
}

/** Where an RTP leg's SDP exchange stands: 'have-local-offer' until the answer to our offer is applied. */
export type SdpSignalingState = 'stable' | 'have-local-offer';

/**
 * An RTP member's media figures. Datagram counters (RTCP included) are always there; the RTCP
 * figures (RFC 3550) once the media thread has a snapshot; the peer's view of our stream once the
 * peer has reported on it.
 */
export interface RtpLegStats {
  /** The leg's local RTP port. */
  localPort: number;
  /** The separate RTCP socket's port, without rtcp-mux. */
  localRtcpPort?: number;
  /** Datagrams taken (RTP and RTCP). */
  packetsIn: number;
  /** Their bytes. */
  bytesIn: number;
  /** Datagrams sent. */
  packetsOut: number;
  /** Their bytes. */
  bytesOut: number;
  /** Datagrams from a source other than the peer, dropped. */
  droppedStranger: number;
  /** Datagrams from the peer that were not valid for the leg (malformed, wrong payload type), dropped. */
  droppedInvalid: number;
  /** RTP packets of the peer's stream received. */
  packetsReceived?: number;
  /** Their payload bytes. */
  bytesReceived?: number;
  /** RTP packets we sent. */
  packetsSent?: number;
  /** Their payload bytes. */
  bytesSent?: number;
  /** Loss of the peer's stream in our last report's interval, 0..1. */
  fractionLost?: number;
  /** Packets of the peer's stream lost so far (expected minus received). */
  cumulativeLost?: number;
  /** Interarrival jitter of the peer's stream, ms. */
  jitterMs?: number;
  /** Round trip from the peer's report on our stream (LSR/DLSR), ms; null until known. */
  rttMs?: number | null;
  /** RTCP reports we sent. */
  reportsSent?: number;
  /** RTCP reports received. */
  reportsReceived?: number;
  /** Malformed RTCP datagrams ignored. */
  rtcpMalformed?: number;
  /** The peer's loss of our stream in its last interval, 0..1. */
  remoteFractionLost?: number;
  /** The peer's cumulative loss of our stream. */
  remoteCumulativeLost?: number;
  /** The jitter the peer measured on our stream, ms. */
  remoteJitterMs?: number;
}

/** The member's live mixer state, from the shard. */
export type MemberMixerState = ShardConferenceRequests['getMember']['result'];

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
  leg: { kind: 'app' | 'rtp' | 'none'; localAddress?: string; localPort?: number };
}
