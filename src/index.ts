// confmix: a conference audio mixer engine for Node.js. Everything a user imports comes from here.

// Engine, conferences, members, legs.
export { createEngine, Engine, DEFAULT_RTP_ADDRESS, DEFAULT_RTP_ADDRESS6 } from './engine/Engine.ts';
export type { ConferenceDefaults, EngineCallbackEvent, EngineEvents, EngineObserverEvents, EngineOptions, EngineShardStats, TickLateness } from './engine/EngineTypes.ts';
export { Conference } from './engine/Conference.ts';
export type {
  AudioOptions,
  CallbackHttpMethod,
  ConferenceClockStats,
  LatenessFigures,
  ConferenceCompletedReason,
  ConferenceEvents,
  ConferenceJson,
  ConferenceMediaOptions,
  ConferenceObserverEvents,
  ConferenceOptions,
  ConferenceState,
  ConferenceUpdateFields,
  DigitsProfile,
  KazooProfileOptions,
  PlayOptions,
  RoleDefaultsOptions,
  SpeakOptions,
} from './engine/ConferenceTypes.ts';
export { Member } from './engine/Member.ts';
export type {
  MemberChange,
  MemberEvents,
  MemberJson,
  MemberLeg,
  MemberLegOptions,
  MemberMixerState,
  MemberObserverEvents,
  MemberOptions,
  MemberRelationship,
  MemberRemovedReason,
  MemberRole,
  MemberState,
  MemberUpdateFields,
  SdpAnswerMemberOptions,
  SdpJoin,
  SdpOfferMemberOptions,
  WebrtcAnswerMemberOptions,
  WebrtcOfferMemberOptions,
} from './engine/MemberTypes.ts';
export type { RtpCodec, RtpLegEvents, RtpLegOptions, RtpLegStats, RtpLegUpdate, SdpLegOptions, SdpSignalingState } from './legs/rtp/RtpLegTypes.ts';
export { Playback } from './engine/Playback.ts';
export type { PlaybackDoneReason, PlaybackEvents, PlaybackKind, PlaybackStatus } from './engine/PlaybackTypes.ts';
export { Recording } from './engine/Recording.ts';
export type { VoiceProcessingOptions } from './engine/voiceProcessing.ts';
export type {
  MemberRecordOptions,
  RecordOptions,
  RecordingEvents,
  RecordingFailureReason,
  RecordingFormat,
  RecordingJson,
  RecordingState,
  RecordingTrackJson,
} from './engine/RecordingTypes.ts';
export { AppLeg, APP_LEG_RATES } from './legs/app/AppLeg.ts';
export type { AppLegEvents, AppLegMessage, AppLegOptions, AppLegState } from './legs/app/AppLegTypes.ts';
export { RtpLeg } from './legs/rtp/RtpLeg.ts';
export { MediasoupBridge, MEDIASOUP_PACKAGE, loadMediasoup } from './legs/mediasoup/MediasoupBridge.ts';
export type {
  BridgedProducer,
  MediasoupBridgeEvents,
  MediasoupBridgeOptions,
  SfuConsumer,
  SfuPlainTransport,
  SfuProducer,
  SfuRouter,
} from './legs/mediasoup/MediasoupBridgeTypes.ts';
export { WebrtcLeg } from './legs/webrtc/WebrtcLeg.ts';
export type { WebrtcIceServer, WebrtcLegEvents, WebrtcLegOptions, WebrtcLegStats } from './legs/webrtc/WebrtcLegTypes.ts';

// SDP offer/answer of plain RTP legs (RFC 3264), usable on their own too.
export { answerOffer, applyAnswer, createOffer, negotiateOffer, writeAnswer, SdpError, SDP_CODECS, MAX_SDP_BYTES } from './legs/rtp/sdp.ts';
export type {
  AnswerOfferOptions,
  AnswerOfferResult,
  CreateOfferOptions,
  CreateOfferResult,
  NegotiateOfferOptions,
  NegotiatedCodec,
  NegotiatedMedia,
  NegotiatedTelephoneEvent,
  OfferNegotiation,
  SdpCodecName,
  SdpDirection,
  SdpErrorReason,
  SdpOfferState,
  SdpOpusOptions,
  SdpPtimeMs,
  SdpSessionState,
  WriteAnswerOptions,
} from './legs/rtp/sdpTypes.ts';
export { ControlLeg } from './legs/none/ControlLeg.ts';

// Callback event payloads, the DTMF key map and the profile's normalised form.
export type {
  CallbackEventPayload,
  CallbackEventType,
  ConferenceEventPayload,
  ConferenceMemberEventPayload,
  ConferencePlaybackEventPayload,
  ConferenceSpeakEventPayload,
  ConferenceRecordingEventPayload,
  DtmfEventPayload,
  TalkingEventPayload,
} from './engine/events.ts';
export { DTMF_KEY_MAP } from './engine/dtmf.ts';
export type { DtmfKeyBinding } from './engine/dtmf.ts';
export { normalizeConferenceCreate, normalizeConferenceUpdate } from './engine/conferenceFields.ts';
export { normalizeMemberAdd, normalizeMemberUpdate } from './engine/memberFields.ts';
export type { CallbackSettings, ConferenceConfig, MediaProfile, MixerProfile, RoleDefaults, SoundName } from './engine/conferenceFields.ts';

// Errors.
export {
  ConfmixError,
  ErrorCode,
  InvalidArgumentError,
  InvalidStateError,
  NotFoundError,
  UnsupportedError,
} from './errors.ts';
export { JoinRefusedError } from './engine/JoinRefusedError.ts';
export type { JoinRefusal } from './engine/JoinRefusedError.ts';
export { AudioSourceError, AUDIO_SOURCE_ERROR_CODE } from './audio/AudioSourceError.ts';
export type { AudioSourceFailure } from './audio/AudioSourceError.ts';
export { ShardTimeoutError } from './shard/Shard.ts';

// Audio constants.
export {
  DTMF_KEYS,
  ENERGY_LEVEL_MAX,
  ENERGY_LEVEL_STEPS,
  LEVEL_MAX,
  LEVEL_MIN,
  FREESWITCH_DEFAULT_COMFORT_NOISE,
  MIXER_INTERVALS_MS,
  MIXER_RATES,
  comfortNoiseDbfsFromFreeswitch,
} from './audio/numbers.ts';
export type { DtmfAction, DtmfKey, DigitsMode, MixerIntervalMs, MixerRate } from './audio/numbers.ts';
/** @deprecated The codec of an RTP leg: use RtpCodec. */
export type { RtpCodec as ShardRtpCodec } from './legs/rtp/RtpLegTypes.ts';
