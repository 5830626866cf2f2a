// JSON schemas of every route: requests are refused (400, naming the field) before a handler
// runs, responses are serialized from them, and the OpenAPI document is generated from them.
// Flags and numbers accept the string forms the seed's examples use ("mute": "true",
// "callbackTimeout": "2000").

/** A boolean, or "true"/"false". */
export const flag = { anyOf: [{ type: 'boolean' }, { type: 'string', enum: ['true', 'false'] }] } as const;

/** An integer in a range, or its decimal string (of at most as many digits; the engine checks its range). */
export function int(minimum: number, maximum: number, description?: string): Record<string, unknown> {
  const digits = String(Math.max(Math.abs(minimum), Math.abs(maximum))).length;
  return {
    anyOf: [{ type: 'integer', minimum, maximum }, { type: 'string', pattern: `^${minimum < 0 ? '-?' : ''}[0-9]{1,${digits}}$` }],
    ...(description ? { description } : {}),
  };
}

const text = (maxLength: number, description: string): Record<string, unknown> => ({ type: 'string', maxLength, description });
const url = (description: string): Record<string, unknown> => ({ type: 'string', maxLength: 2048, pattern: '^https?://', description });

/** The error shape of every failure. */
export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['code', 'message', 'details'],
  properties: {
    code: { type: 'string', description: 'stable, machine-readable code' },
    message: { type: 'string' },
    details: { type: 'object', additionalProperties: true, description: 'the field, the SDP reason, the limit' },
  },
} as const;

/** A conference resource. */
export const conferenceSchema = {
  $id: 'Conference',
  type: 'object',
  required: ['id', 'state', 'createdTime', 'activeMembers', 'hold', 'mute', 'locked', 'profile', 'callbackHttpMethod'],
  properties: {
    id: { type: 'string' },
    state: { type: 'string', enum: ['created', 'completed'] },
    from: { type: 'string' },
    name: { type: 'string' },
    createdTime: { type: 'string', format: 'date-time' },
    completedTime: { type: 'string', format: 'date-time' },
    activeMembers: { type: 'integer' },
    hold: { type: 'boolean' },
    mute: { type: 'boolean' },
    locked: { type: 'boolean' },
    profile: { type: 'string', enum: ['interpret_digits', 'passthru_digits'] },
    callbackUrl: { type: 'string' },
    callbackHttpMethod: { type: 'string', enum: ['GET', 'POST'] },
    callbackTimeout: { type: 'integer' },
    fallbackUrl: { type: 'string' },
    tag: { type: 'string' },
  },
} as const;

/** A member resource. */
export const memberSchema = {
  $id: 'Member',
  type: 'object',
  required: ['id', 'state', 'role', 'mute', 'hold', 'deaf', 'joinTone', 'leavingTone', 'talkLevel', 'listenLevel', 'energyLevel', 'talking', 'addedTime', 'leg'],
  properties: {
    id: { type: 'string' },
    state: { type: 'string', enum: ['active', 'completed'] },
    callId: { type: 'string' },
    role: { type: 'string', enum: ['member', 'moderator'] },
    mute: { type: 'boolean' },
    hold: { type: 'boolean' },
    deaf: { type: 'boolean' },
    joinTone: { type: 'boolean' },
    leavingTone: { type: 'boolean' },
    talkLevel: { type: 'integer' },
    listenLevel: { type: 'integer' },
    energyLevel: { type: 'integer' },
    talking: { type: 'boolean' },
    addedTime: { type: 'string', format: 'date-time' },
    removedTime: { type: 'string', format: 'date-time' },
    removedReason: { type: 'string' },
    leg: {
      type: 'object',
      required: ['kind'],
      properties: { kind: { type: 'string', enum: ['app', 'rtp', 'webrtc', 'none'] }, localAddress: { type: 'string' }, localPort: { type: 'integer' } },
    },
    sdp: { type: 'string', description: 'our SDP answer (or offer, with offer: true)' },
  },
} as const;

const callbackFields = {
  callbackUrl: url('where the conference\'s events are sent'),
  callbackHttpMethod: { type: 'string', enum: ['GET', 'POST', 'get', 'post'], description: 'default POST' },
  callbackTimeout: int(1, 10000, 'ms to wait for the callback\'s answer (maximum 10000; default 5000)'),
  fallbackUrl: url('where the event goes when callbackUrl fails'),
  tag: text(256, 'included in the conference\'s callback events'),
};

/** POST /conferences. The Kazoo profile fields (`energy-level`, `max-members`, `moh-sound`...) are accepted too and checked by the engine. */
export const createConferenceBody = {
  type: 'object',
  properties: {
    from: text(64, 'the phone number hosting the conference'),
    ...callbackFields,
    profile: {
      anyOf: [{ type: 'string', enum: ['interpret_digits', 'passthru_digits'] }, { type: 'object', additionalProperties: true }],
      description: 'interpret_digits (default) or passthru_digits, or a Kazoo profile object',
    },
    name: text(256, 'a friendly name'),
    rate: int(8000, 48000, 'sample rate, Hz'),
    interval: int(10, 60, 'ms per frame'),
  },
  additionalProperties: true,
} as const;

/** POST /conferences/{conferenceId}. */
export const updateConferenceBody = {
  type: 'object',
  properties: {
    state: { type: 'string', enum: ['completed'] },
    mute: flag,
    hold: flag,
    locked: flag,
    ...callbackFields,
  },
  additionalProperties: false,
} as const;

/** POST …/audio: a file or a sentence. */
export const audioBody = {
  type: 'object',
  properties: {
    fileUrl: { type: 'string', maxLength: 2048, description: 'a WAV to play; "" stops file playback' },
    loopEnabled: flag,
    sentence: { type: 'string', maxLength: 4096, description: 'text to speak; "" stops speech' },
    gender: { type: 'string', enum: ['male', 'female'] },
    locale: text(16, 'e.g. en_US'),
    voice: text(64, 'an espeak-ng voice'),
    tag: text(256, 'included in its started and done events'),
  },
  additionalProperties: false,
} as const;

const memberFlags = {
  callId: text(128, 'the call this member is'),
  joinTone: flag,
  leavingTone: flag,
  mute: flag,
  hold: flag,
  deaf: flag,
  role: { type: 'string', enum: ['member', 'moderator'] },
  talkLevel: int(-4, 4, 'talk volume level, 3 dB a step'),
  listenLevel: int(-4, 4, 'listen volume level'),
  energyLevel: int(0, 32767, 'gate threshold (0: off)'),
};

/** POST …/members (JSON): one way in, an SDP offer (`sdp`), `offer: true`, or an explicit `rtp` leg. */
export const addMemberBody = {
  type: 'object',
  properties: {
    ...memberFlags,
    sdp: { type: 'string', maxLength: 65536, description: "the peer's SDP offer; the answer comes back as sdp" },
    offer: { type: 'boolean', enum: [true], description: 'we offer; PUT …/members/{memberId}/sdp takes the answer' },
    leg: { type: 'string', enum: ['webrtc'], description: "'webrtc': sdp is a WebRTC (DTLS-SRTP) offer, answered by a werift peer" },
    rtp: {
      type: 'object',
      additionalProperties: true,
      description: 'with sdp or offer: the leg settings (preferredCodec, codecs, opus, symmetricLatching, timeoutMs); alone: an explicit RTP leg {codec, remoteAddress, remotePort, telephoneEventPayloadType, symmetricLatching, timeoutMs, ptimeMs}',
    },
  },
  additionalProperties: false,
} as const;

/** POST …/members/{memberId}. */
export const updateMemberBody = {
  type: 'object',
  properties: {
    state: { type: 'string', enum: ['completed'] },
    mute: flag,
    hold: flag,
    deaf: flag,
    joinTone: flag,
    leavingTone: flag,
    talkLevel: memberFlags.talkLevel,
    listenLevel: memberFlags.listenLevel,
    energyLevel: memberFlags.energyLevel,
  },
  additionalProperties: false,
} as const;

/** PUT …/members/{memberId}/sdp (JSON form). */
export const sdpBody = {
  type: 'object',
  required: ['sdp'],
  properties: { sdp: { type: 'string', maxLength: 65536 } },
  additionalProperties: false,
} as const;

/** An SDP as the whole body (application/sdp, as WHIP sends it). */
export const sdpText = { type: 'string', minLength: 1, maxLength: 65536 } as const;

const id = (description: string): Record<string, unknown> => ({ type: 'string', maxLength: 128, description });

/** Path parameters. */
export const userParams = { type: 'object', required: ['userId'], properties: { userId: id('the user') } } as const;
export const conferenceParams = { type: 'object', required: ['userId', 'conferenceId'], properties: { userId: id('the user'), conferenceId: id('the conference') } } as const;
export const memberParams = {
  type: 'object',
  required: ['userId', 'conferenceId', 'memberId'],
  properties: { userId: id('the user'), conferenceId: id('the conference'), memberId: id('the member') },
} as const;

/** GET /conferences query. */
export const listQuery = {
  type: 'object',
  properties: {
    state: { type: 'string', enum: ['created', 'completed'] },
    page: { type: 'string', pattern: '^[0-9]{1,6}$', description: 'page number, from 0 (default 0)' },
    size: { type: 'string', pattern: '^([1-9][0-9]{0,2}|1000)$', description: 'conferences per page, 1..1000 (default 25)' },
  },
  additionalProperties: false,
} as const;

/** GET …/events query. */
export const eventsQuery = {
  type: 'object',
  properties: { conferenceId: { type: 'string', maxLength: 128, description: 'only this conference\'s events' } },
  additionalProperties: false,
} as const;

const errorRef = { $ref: 'Error#' };

/** The error answers a route of the user API may give. */
export function errors(...statuses: number[]): Record<number, unknown> {
  const out: Record<number, unknown> = {};
  for (const status of statuses) out[status] = errorRef;
  return out;
}

/** An empty answer. */
export const empty = { type: 'null', description: 'no body' } as const;
