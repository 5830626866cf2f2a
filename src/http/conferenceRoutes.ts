// The Conference API (Catapult v1 paths) under /v1/users/{userId}: conferences, their audio,
// their members and the members' SDP. Every route is a thin call into the engine's public API.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AudioOptions, Conference, Engine, Member, MemberOptions, SdpAnswerMemberOptions, SdpOfferMemberOptions } from '../index.ts';
import { JoinRefusedError, WebrtcLeg } from '../index.ts';
import { HttpError } from './httpErrors.ts';
import type { ServerMetrics } from './metrics.ts';
import {
  addMemberBody,
  audioBody,
  conferenceParams,
  createConferenceBody,
  empty,
  errors,
  listQuery,
  memberParams,
  sdpBody,
  sdpText,
  updateConferenceBody,
  updateMemberBody,
  userParams,
} from './schemas.ts';
import type { User, UserRegistry } from './users.ts';

/** What the routes work with. */
export interface RouteContext {
  engine: Engine;
  users: UserRegistry;
  metrics: ServerMetrics;
}

type Params = { userId: string; conferenceId: string; memberId: string };
/** A request of the user API. */
export type Req = FastifyRequest<{ Params: Params; Body: unknown; Querystring: Record<string, unknown> }>;

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated user of a /v1/users route. */
    user?: User;
  }
}

const CONFERENCE_REF = { $ref: 'Conference#' };
const MEMBER_REF = { $ref: 'Member#' };

/** The path of a conference. */
export function conferencePath(userId: string, conferenceId: string): string {
  return `/v1/users/${userId}/conferences/${conferenceId}`;
}

/** A WHIP-style offer: DTLS-SRTP audio, or a fingerprint (a plain RTP peer has neither). */
function isWebrtcOffer(sdp: string): boolean {
  return /^m=audio \d+ UDP\/TLS\/RTP\/SAVPF?/m.test(sdp) || /^a=fingerprint:/m.test(sdp);
}

/** Finds a request's conference and member, as its user may see them. */
export function resourceLookup(
  engine: Engine,
  users: UserRegistry,
): { conferenceOf: (request: Req) => Conference; memberOf: (request: Req) => { conference: Conference; member: Member } } {
  // Another user's conference is "not found", exactly like one that never existed.
  const conferenceOf = (request: Req): Conference => {
    const user = request.user!;
    const { conferenceId } = request.params;
    if (users.ownerOf(conferenceId) !== user) throw new HttpError(404, 'ERR_NOT_FOUND', `no conference ${conferenceId}`);
    try {
      return engine.getConference(conferenceId);
    } catch {
      users.forget(conferenceId);
      throw new HttpError(404, 'ERR_NOT_FOUND', `no conference ${conferenceId}`);
    }
  };
  const memberOf = (request: Req): { conference: Conference; member: Member } => {
    const conference = conferenceOf(request);
    try {
      return { conference, member: conference.getMember(request.params.memberId) };
    } catch {
      throw new HttpError(404, 'ERR_NOT_FOUND', `no member ${request.params.memberId} in conference ${conference.id}`);
    }
  };
  return { conferenceOf, memberOf };
}

/** Registers the user API's routes (auth is the caller's onRequest hook). */
export function registerConferenceRoutes(app: FastifyInstance, context: RouteContext): void {
  const { engine, users, metrics } = context;

  const userOf = (request: Req): User => request.user!;

  const { conferenceOf, memberOf } = resourceLookup(engine, users);
  const activeMembersOf = (user: User): number =>
    user.conferenceIds.reduce((n, id) => {
      try {
        return n + engine.getConference(id).activeMembers;
      } catch {
        return n;
      }
    }, 0);

  app.post('/v1/users/:userId/conferences', {
    schema: {
      summary: 'Create a conference',
      tags: ['conferences'],
      params: userParams,
      body: createConferenceBody,
      response: { 201: { ...empty, description: 'Created; Location names the conference' }, ...errors(400, 401, 404, 413, 415, 429) },
    },
  }, async (request: Req, reply: FastifyReply) => {
    const user = userOf(request);
    // Counted only under a limit: a user's ids include up to the engine's completed history.
    if (user.limits.conferences > 0) {
      const active = user.conferenceIds.filter((id) => {
        const conference = safeConference(engine, id);
        return conference !== undefined && !conference.closed;
      }).length;
      if (active >= user.limits.conferences) {
        throw new HttpError(429, 'ERR_USER_LIMIT', `user ${user.userId} has ${active} conferences, its limit`, { limit: 'conferences', value: user.limits.conferences });
      }
    }
    const body = { ...(request.body as Record<string, unknown>), appData: { userId: user.userId } };
    const conference = await engine.createConference(body);
    users.own(user, conference);
    request.log.info({ conferenceId: conference.id }, 'conference created');
    return reply.code(201).header('location', conferencePath(user.userId, conference.id)).send();
  });

  app.get('/v1/users/:userId/conferences', {
    schema: {
      summary: "The user's conferences, newest first",
      tags: ['conferences'],
      params: userParams,
      querystring: listQuery,
      response: { 200: { type: 'array', items: CONFERENCE_REF }, ...errors(400, 401, 404, 429) },
    },
  }, async (request: Req, reply: FastifyReply) => {
    const user = userOf(request);
    const query = request.query as { state?: string; page?: string; size?: string };
    const { state } = query;
    const page = Number(query.page ?? 0);
    const size = Number(query.size ?? 25);
    const all: Conference[] = [];
    for (const id of [...user.conferenceIds].reverse()) {
      const conference = safeConference(engine, id);
      if (!conference) {
        users.forget(id);
        continue;
      }
      if (state === undefined || conference.state === state) all.push(conference);
    }
    const slice = all.slice(page * size, (page + 1) * size);
    if ((page + 1) * size < all.length) {
      const next = new URLSearchParams({ ...(state ? { state } : {}), page: String(page + 1), size: String(size) });
      reply.header('link', `</v1/users/${user.userId}/conferences?${next.toString()}>; rel="next"`);
    }
    return slice.map((c) => c.toJSON());
  });

  app.get('/v1/users/:userId/conferences/:conferenceId', {
    schema: {
      summary: 'A conference, created or completed',
      tags: ['conferences'],
      params: conferenceParams,
      response: { 200: CONFERENCE_REF, ...errors(401, 404, 429) },
    },
  }, async (request: Req) => conferenceOf(request).toJSON());

  app.post('/v1/users/:userId/conferences/:conferenceId', {
    schema: {
      summary: 'Update a conference: state completed, mute, hold, callback fields, tag',
      tags: ['conferences'],
      params: conferenceParams,
      body: updateConferenceBody,
      response: { 200: empty, ...errors(400, 401, 404, 409, 413, 415, 429) },
    },
  }, async (request: Req, reply: FastifyReply) => {
    const conference = conferenceOf(request);
    await conference.update(request.body as Parameters<Conference['update']>[0]);
    return reply.code(200).send();
  });

  app.post('/v1/users/:userId/conferences/:conferenceId/audio', {
    schema: {
      summary: 'Play a file or speak a sentence to the conference',
      tags: ['audio'],
      params: conferenceParams,
      body: audioBody,
      response: { 200: empty, ...errors(400, 401, 404, 409, 413, 415, 429) },
    },
  }, async (request: Req, reply: FastifyReply) => {
    await conferenceOf(request).audio(request.body as AudioOptions);
    return reply.code(200).send();
  });

  app.post('/v1/users/:userId/conferences/:conferenceId/members', {
    schema: {
      summary: 'Add a member: an SDP offer (JSON sdp, or an application/sdp body), offer: true, or an explicit rtp leg',
      tags: ['members'],
      params: conferenceParams,
      body: { content: { 'application/json': { schema: addMemberBody }, 'application/sdp': { schema: sdpText } } },
      response: {
        201: { description: 'Created; Location names the member. The SDP answer as JSON sdp, or as the body when the request was application/sdp', ...MEMBER_REF },
        ...errors(400, 401, 404, 409, 413, 415, 429),
      },
    },
  }, async (request: Req, reply: FastifyReply) => {
    const user = userOf(request);
    const conference = conferenceOf(request);
    const sdpRequest = typeof request.body === 'string';
    const fields: Record<string, unknown> = sdpRequest ? { sdp: request.body as string } : { ...(request.body as Record<string, unknown>) };
    // A WebRTC peer: JSON leg 'webrtc', or (WHIP-style, RFC 9725) an application/sdp offer with DTLS-SRTP or ?leg=webrtc.
    if (fields.leg === 'webrtc' || (sdpRequest && (request.query.leg === 'webrtc' || isWebrtcOffer(fields.sdp as string)))) fields.leg = { kind: 'webrtc' };
    if (fields.sdp === undefined && fields.offer === undefined && fields.rtp === undefined) {
      throw new HttpError(400, 'ERR_VALIDATION', 'a member needs media: give sdp (an offer), offer: true, or an rtp leg', { field: 'sdp' });
    }
    // Counted only under a limit (it walks every conference of the user).
    if (user.limits.members > 0) {
      const members = activeMembersOf(user);
      if (members >= user.limits.members) {
        metrics.joins.inc({ result: 'refused-limit' });
        throw new HttpError(429, 'ERR_USER_LIMIT', `user ${user.userId} has ${members} active members, its limit`, { limit: 'members', value: user.limits.members });
      }
    }
    let member: Member;
    let sdp: string | undefined;
    try {
      if (fields.sdp !== undefined || fields.offer !== undefined) {
        const joined = await conference.addMember(fields as unknown as SdpAnswerMemberOptions | SdpOfferMemberOptions);
        member = joined.member;
        sdp = joined.sdp;
      } else {
        const { rtp, ...rest } = fields as { rtp: Record<string, unknown> } & Record<string, unknown>;
        member = await conference.addMember({ ...rest, leg: { ...rtp, kind: 'rtp' } } as MemberOptions);
      }
    } catch (error) {
      metrics.joins.inc({ result: error instanceof JoinRefusedError ? `refused-${error.reason}` : 'failed' });
      throw error;
    }
    metrics.joins.inc({ result: 'joined' });
    request.log.info({ conferenceId: conference.id, memberId: member.id }, 'member joined');
    reply.code(201).header('location', `${conferencePath(user.userId, conference.id)}/members/${member.id}`);
    if (sdpRequest) return reply.type('application/sdp').serializer((s: string) => s).send(sdp);
    return sdp === undefined ? member.toJSON() : { ...member.toJSON(), sdp };
  });

  app.get('/v1/users/:userId/conferences/:conferenceId/members', {
    schema: {
      summary: "A conference's members, active and completed",
      tags: ['members'],
      params: conferenceParams,
      response: { 200: { type: 'array', items: MEMBER_REF }, ...errors(401, 404, 429) },
    },
  }, async (request: Req) => conferenceOf(request).listMembers().map((m) => m.toJSON()));

  app.get('/v1/users/:userId/conferences/:conferenceId/members/:memberId', {
    schema: {
      summary: 'One member',
      tags: ['members'],
      params: memberParams,
      response: { 200: MEMBER_REF, ...errors(401, 404, 429) },
    },
  }, async (request: Req) => memberOf(request).member.toJSON());

  app.post('/v1/users/:userId/conferences/:conferenceId/members/:memberId', {
    schema: {
      summary: 'Update a member: state completed, mute, hold, deaf, levels, energy level',
      tags: ['members'],
      params: memberParams,
      body: updateMemberBody,
      response: { 200: empty, ...errors(400, 401, 404, 409, 413, 415, 429) },
    },
  }, async (request: Req, reply: FastifyReply) => {
    const { member } = memberOf(request);
    member.assertActive();
    await member.update(request.body as Parameters<Member['update']>[0]);
    return reply.code(200).send();
  });

  app.delete('/v1/users/:userId/conferences/:conferenceId/members/:memberId', {
    schema: {
      summary: 'Remove a member (as WHIP clients end a session)',
      tags: ['members'],
      params: memberParams,
      response: { 200: empty, ...errors(401, 404, 409, 429) },
    },
  }, async (request: Req, reply: FastifyReply) => {
    const { member } = memberOf(request);
    member.assertActive();
    await member.update({ state: 'completed' });
    return reply.code(200).send();
  });

  app.patch('/v1/users/:userId/conferences/:conferenceId/members/:memberId', {
    schema: {
      summary: "Trickle ICE candidates to a WebRTC member (WHIP's PATCH, an application/trickle-ice-sdpfrag body)",
      tags: ['members'],
      params: memberParams,
      body: { content: { 'application/trickle-ice-sdpfrag': { schema: sdpText } } },
      response: { 204: { description: 'Candidates added', type: 'null' }, ...errors(400, 401, 404, 409, 413, 415, 429) },
    },
  }, async (request: Req, reply: FastifyReply) => {
    const { member } = memberOf(request);
    member.assertActive();
    const leg = member.leg;
    if (!(leg instanceof WebrtcLeg)) throw new HttpError(409, 'ERR_INVALID_STATE', `member ${member.id} is not a WebRTC member`);
    await leg.addIceCandidates(request.body as string);
    return reply.code(204).send();
  });

  app.post('/v1/users/:userId/conferences/:conferenceId/members/:memberId/audio', {
    schema: {
      summary: 'Play a file or speak a sentence to one member only',
      tags: ['audio'],
      params: memberParams,
      body: audioBody,
      response: { 200: empty, ...errors(400, 401, 404, 409, 413, 415, 429) },
    },
  }, async (request: Req, reply: FastifyReply) => {
    const { member } = memberOf(request);
    member.assertActive();
    await member.audio(request.body as AudioOptions);
    return reply.code(200).send();
  });

  app.put('/v1/users/:userId/conferences/:conferenceId/members/:memberId/sdp', {
    schema: {
      summary: "The peer's answer to our offer, or its new offer (re-INVITE); a new offer gets our answer",
      tags: ['members'],
      params: memberParams,
      body: { content: { 'application/json': { schema: sdpBody }, 'application/sdp': { schema: sdpText } } },
      response: {
        200: { type: 'object', properties: { sdp: { type: 'string', description: 'our answer to a new offer' } } },
        ...errors(400, 401, 404, 409, 413, 415, 429),
      },
    },
  }, async (request: Req, reply: FastifyReply) => {
    const { member } = memberOf(request);
    member.assertActive();
    const leg = member.leg;
    if (leg.kind !== 'rtp' || !leg.sdpNegotiated) throw new HttpError(409, 'ERR_INVALID_STATE', `member ${member.id} did not join by SDP`);
    const sdpRequest = typeof request.body === 'string';
    const sdp = sdpRequest ? (request.body as string) : (request.body as { sdp: string }).sdp;
    if (leg.signalingState === 'have-local-offer') {
      await leg.applyAnswer(sdp);
      return sdpRequest ? reply.code(200).type('application/sdp').serializer((s: string) => s).send('') : {};
    }
    const answer = await leg.reoffer(sdp);
    return sdpRequest ? reply.code(200).type('application/sdp').serializer((s: string) => s).send(answer) : { sdp: answer };
  });
}

function safeConference(engine: Engine, id: string): Conference | undefined {
  try {
    return engine.getConference(id);
  } catch {
    return undefined;
  }
}
