// Kazoo's conferences API under /v2/accounts/{accountId}/conferences (X-Auth-Token, Kazoo's
// envelope and error shapes) and its participant events over a WebSocket at /v2/websocket.
// Registered as its own Fastify plugin, so its error handler answers in Kazoo's shape only here.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Engine } from '../../index.ts';
import type { DocumentStore } from '../../store/DocumentStore.ts';
import { toErrorAnswer } from '../httpErrors.ts';
import type { AccountRegistry } from './accounts.ts';
import { failure, KazooError, newRequestId, requestData, success } from './envelope.ts';
import type { EnvelopeContext } from './envelope.ts';
import { KazooConferences } from './kazooConferences.ts';
import type { JoinRequest } from './kazooConferences.ts';
import type { ParticipantEvent } from './liveConference.ts';

/** What the Kazoo routes work with. */
export interface KazooContext {
  engine: Engine;
  store: DocumentStore;
  accounts: AccountRegistry;
  /** Where the record action writes (a folder per account); unset refuses it. */
  recordingsDir?: string;
}

type Params = { accountId: string; conferenceId: string; participantId: string };
type Req = FastifyRequest<{ Params: Params; Body: unknown }>;

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated account and envelope fields of a /v2 route. */
    kazoo?: EnvelopeContext & { accountId: string };
  }
}

const BASE = '/v2/accounts/:accountId/conferences';
const params = (...names: (keyof Params)[]): Record<string, unknown> => ({
  type: 'object',
  required: names,
  properties: Object.fromEntries(names.map((n) => [n, { type: 'string', pattern: '^[A-Za-z0-9._~-]{1,128}$' }])),
});
const anyBody = { description: 'Kazoo envelope: {"data": {...}}', type: 'object', additionalProperties: true };
const envelopeAnswer = { description: 'Kazoo envelope: {data, status, request_id, revision, auth_token, timestamp, version}', type: 'object', additionalProperties: true };
const route = (summary: string, names: (keyof Params)[], body = false): Record<string, unknown> => ({
  summary,
  tags: ['kazoo'],
  security: [{ kazooToken: [] }],
  params: params(...names),
  ...(body ? { body: anyBody } : {}),
  response: { 200: envelopeAnswer, 201: envelopeAnswer, '4xx': envelopeAnswer, '5xx': envelopeAnswer },
});

/** The service behind the routes, returned so the server can settle and close it. */
export interface KazooApi {
  /** The conferences service. */
  conferences: KazooConferences;
  /** Closes the WebSocket subscriptions. */
  close(): void;
}

/** Registers the Kazoo API's routes and WebSocket on `app`. */
export async function registerKazooRoutes(app: FastifyInstance, context: KazooContext): Promise<KazooApi> {
  const { accounts, store, engine } = context;
  const conferences = new KazooConferences(engine, store, context.recordingsDir);
  await conferences.recover();
  const sockets = new Set<() => void>();

  await app.register(async (api) => {
    api.setErrorHandler((error: FastifyError, request, reply) => {
      const envelope = request.kazoo ?? { requestId: requestIdOf(request) };
      let status: number;
      let message: string;
      let data: Record<string, unknown>;
      if (error instanceof KazooError) {
        ({ statusCode: status, message, data } = error);
      } else if (error.validation) {
        status = 400;
        message = 'invalid data';
        data = Object.fromEntries(error.validation.map((v) => [(v.instancePath || `/${v.params?.missingProperty ?? 'data'}`).slice(1).replace(/\//g, '.') || 'data', { [v.keyword]: { message: v.message ?? 'is invalid' } }]));
      } else if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        status = 413;
        message = 'request too large';
        data = { message: error.message };
      } else if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || error.statusCode === 415) {
        status = 415;
        message = 'unsupported media type';
        data = { message: 'send application/json: {"data": {...}}' };
      } else if (error.code?.startsWith('FST_ERR_CTP_')) {
        status = 400;
        message = 'invalid json';
        data = { message: error.message };
      } else {
        const answer = toErrorAnswer(error);
        status = answer.statusCode;
        message = answer.statusCode >= 500 ? 'internal error' : answer.body.message;
        data = { code: answer.body.code, message: answer.body.message, ...answer.body.details };
        if (status >= 500) request.log.error({ err: error }, 'kazoo request failed');
      }
      return reply.code(status).type('application/json').serializer(JSON.stringify).send(failure(envelope, status, message, data));
    });

    api.addHook('onRequest', async (request: FastifyRequest) => {
      const { accountId } = request.params as { accountId?: string };
      if (accountId === undefined) return;
      const token = request.headers['x-auth-token'];
      const requestId = requestIdOf(request);
      // Only a token that authenticated is echoed back in the envelope.
      request.kazoo = { requestId, authToken: '', accountId: '' };
      request.kazoo.accountId = accounts.authenticate(token, accountId);
      request.kazoo.authToken = token as string;
    });

    const ok = (request: Req, reply: FastifyReply, data: unknown, revision?: string, status = 200): FastifyReply =>
      reply.code(status).type('application/json').serializer(JSON.stringify).send(success(request.kazoo!, data, revision));
    const accountOf = (request: Req): string => request.kazoo!.accountId;

    api.get(BASE, { schema: route('Conference documents, each with _read_only live figures', ['accountId']) }, async (request: Req, reply) =>
      ok(request, reply, await conferences.list(accountOf(request))),
    );
    api.put(BASE, { schema: route('Create a conference document', ['accountId'], true) }, async (request: Req, reply) => {
      const stored = await conferences.create(accountOf(request), requestData(request.body));
      return ok(request, reply, { ...stored.data, id: stored.id }, stored.revision, 201);
    });
    api.get(`${BASE}/:conferenceId`, { schema: route('A conference document with _read_only and its live participants', ['accountId', 'conferenceId']) }, async (request: Req, reply) => {
      const { document, revision } = await conferences.read(accountOf(request), request.params.conferenceId);
      return ok(request, reply, document, revision);
    });
    api.post(`${BASE}/:conferenceId`, { schema: route('Replace a conference document', ['accountId', 'conferenceId'], true) }, async (request: Req, reply) => {
      const stored = await conferences.replace(accountOf(request), request.params.conferenceId, requestData(request.body));
      return ok(request, reply, { ...stored.data, id: stored.id }, stored.revision);
    });
    api.patch(`${BASE}/:conferenceId`, { schema: route('Merge fields into a conference document', ['accountId', 'conferenceId'], true) }, async (request: Req, reply) => {
      const stored = await conferences.patch(accountOf(request), request.params.conferenceId, requestData(request.body));
      return ok(request, reply, { ...stored.data, id: stored.id }, stored.revision);
    });
    api.delete(`${BASE}/:conferenceId`, { schema: route('Delete a conference document; its live conference completes', ['accountId', 'conferenceId']) }, async (request: Req, reply) => {
      await conferences.delete(accountOf(request), request.params.conferenceId);
      return ok(request, reply, { id: request.params.conferenceId, _read_only: { deleted: true } });
    });
    api.put(`${BASE}/:conferenceId`, { schema: route('A conference action: lock, unlock, play (media_id), record (data.action start or stop); dial is unsupported', ['accountId', 'conferenceId'], true) }, async (request: Req, reply) => {
      const data = requestData(request.body);
      return ok(request, reply, await conferences.conferenceAction(accountOf(request), request.params.conferenceId, data.action, actionData(data)));
    });
    api.get(`${BASE}/:conferenceId/participants`, { schema: route('Live participants', ['accountId', 'conferenceId']) }, async (request: Req, reply) =>
      ok(request, reply, await conferences.participants(accountOf(request), request.params.conferenceId)),
    );
    api.put(`${BASE}/:conferenceId/participants`, {
      schema: route('Join a participant (sdp or rtp, optional pin), or an action on all: mute, unmute, deaf, undeaf (moderators skipped), kick, relate', ['accountId', 'conferenceId'], true),
    }, async (request: Req, reply) => {
      const data = requestData(request.body);
      const { conferenceId } = request.params;
      if (data.action !== undefined) return ok(request, reply, await conferences.participantsAction(accountOf(request), conferenceId, data.action, actionData(data)));
      const joined = await conferences.join(accountOf(request), conferenceId, joinRequest(data));
      return ok(request, reply, { ...joined.participant, ...(joined.sdp !== undefined ? { sdp: joined.sdp } : {}) }, undefined, 201);
    });
    api.get(`${BASE}/:conferenceId/participants/:participantId`, { schema: route('One live participant', ['accountId', 'conferenceId', 'participantId']) }, async (request: Req, reply) =>
      ok(request, reply, await conferences.participant(accountOf(request), request.params.conferenceId, request.params.participantId)),
    );
    api.put(`${BASE}/:conferenceId/participants/:participantId`, {
      schema: route('An action on one participant: mute, unmute, deaf, undeaf, kick, play (media_id)', ['accountId', 'conferenceId', 'participantId'], true),
    }, async (request: Req, reply) => {
      const data = requestData(request.body);
      const { conferenceId, participantId } = request.params;
      return ok(request, reply, await conferences.participantAction(accountOf(request), conferenceId, participantId, data.action, actionData(data)));
    });

    // Participant events, as Kazoo's websocket gateway sends them: subscribe with a token, an
    // account and the binding `conference.event.{conferenceId}.*`.
    api.get('/v2/websocket', { websocket: true, schema: { summary: 'Kazoo participant events: send {"action":"subscribe","auth_token","data":{"account_id","binding":"conference.event.{conferenceId}.*"}}', tags: ['kazoo'] } }, (socket) => {
      const subscriptions = new Map<string, { accountId: string; conferenceId: string }>();
      const send = (message: Record<string, unknown>): void => {
        if (socket.readyState === socket.OPEN && socket.bufferedAmount < 1 << 20) socket.send(JSON.stringify(message));
      };
      const remove = conferences.onEvent((event: ParticipantEvent) => {
        for (const [binding, s] of subscriptions) {
          if (s.accountId !== event.accountId || s.conferenceId !== event.conferenceId) continue;
          send(eventMessage(binding, event));
        }
      });
      socket.on('message', (raw) => void handle(String(raw)));
      const handle = async (text: string): Promise<void> => {
        let message: Record<string, unknown>;
        try {
          message = JSON.parse(text) as Record<string, unknown>;
        } catch {
          send({ action: 'reply', status: 'error', data: { message: 'messages are JSON objects' } });
          return;
        }
        const requestId = typeof message.request_id === 'string' ? message.request_id : newRequestId();
        const reply = (status: 'success' | 'error', data: Record<string, unknown>): void => send({ action: 'reply', request_id: requestId, status, data });
        const data = (message.data ?? {}) as Record<string, unknown>;
        const binding = typeof data.binding === 'string' ? data.binding : '';
        const match = /^conference\.event\.([A-Za-z0-9._~-]{1,128})\.\*$/.exec(binding);
        if (message.action !== 'subscribe' && message.action !== 'unsubscribe') return reply('error', { message: 'action must be subscribe or unsubscribe' });
        if (!match) return reply('error', { binding: { pattern: { message: 'binding must be conference.event.{conference_id}.*' } } });
        if (message.action === 'unsubscribe') {
          subscriptions.delete(binding);
          return reply('success', { unsubscribed: [binding] });
        }
        const accountId = typeof data.account_id === 'string' ? data.account_id : '';
        try {
          accounts.authenticate(typeof message.auth_token === 'string' ? message.auth_token : undefined, accountId);
          await conferences.read(accountId, match[1]);
        } catch (error) {
          return reply('error', error instanceof KazooError ? { error: String(error.statusCode), message: error.message, ...error.data } : { message: String(error) });
        }
        subscriptions.set(binding, { accountId, conferenceId: match[1] });
        reply('success', { subscribed: [binding] });
      };
      const end = (): void => {
        remove();
        sockets.delete(end);
      };
      sockets.add(end);
      socket.on('close', end);
    });
  });

  return {
    conferences,
    close() {
      for (const end of [...sockets]) end();
    },
  };
}

function requestIdOf(request: FastifyRequest): string {
  const header = request.headers['x-request-id'];
  return typeof header === 'string' && /^[A-Za-z0-9._~-]{1,64}$/.test(header) ? header : newRequestId();
}

// An action's own `data` object (Kazoo nests it: {"data": {"action": "play", "data": {...}}}).
function actionData(data: Record<string, unknown>): Record<string, unknown> {
  const inner = data.data;
  if (inner === undefined) return {};
  if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) throw KazooError.invalid({ 'data.data': { type: { message: 'Value is not of type object', target: 'object' } } });
  return inner as Record<string, unknown>;
}

// A join's fields, checked one by one.
function joinRequest(data: Record<string, unknown>): JoinRequest {
  const errors: Record<string, Record<string, { message: string; target?: unknown }>> = {};
  const request: JoinRequest = {};
  const text = (key: 'sdp' | 'pin' | 'call_id', max: number): void => {
    const v = data[key];
    if (v === undefined) return;
    if (typeof v !== 'string' || v.length === 0 || v.length > max) errors[key] = { type: { message: `Value must be a string of 1..${max} characters`, target: 'string' } };
    else request[key] = v;
  };
  text('sdp', 64 * 1024);
  text('pin', 64);
  text('call_id', 256);
  if (data.rtp !== undefined) {
    if (typeof data.rtp !== 'object' || data.rtp === null || Array.isArray(data.rtp)) errors.rtp = { type: { message: 'Value is not of type object', target: 'object' } };
    else request.rtp = data.rtp as Record<string, unknown>;
  }
  if (data.moderator !== undefined) {
    if (typeof data.moderator !== 'boolean') errors.moderator = { type: { message: 'Value is not of type boolean', target: 'boolean' } };
    else request.moderator = data.moderator;
  }
  if (data.sdp === undefined && data.rtp === undefined) errors.sdp = { required: { message: 'a participant joins with media here: give sdp (an SDP offer) or rtp (a plain RTP leg)' } };
  for (const key of Object.keys(data)) if (!['sdp', 'pin', 'call_id', 'rtp', 'moderator'].includes(key)) errors[key] = { unknown: { message: 'not a join field: sdp, rtp, pin, call_id, moderator (or give an action)' } };
  if (Object.keys(errors).length > 0) throw KazooError.invalid(errors);
  return request;
}

function eventMessage(binding: string, event: ParticipantEvent): Record<string, unknown> {
  const routingKey = `conference.event.${event.conferenceId}.${event.participant.call_id}`;
  return {
    action: 'event',
    subscribed_key: binding,
    subscription_key: routingKey,
    name: event.event,
    routing_key: routingKey,
    data: { ...event.participant, event: event.event, event_name: 'participant_event', event_category: 'conference', account_id: event.accountId },
  };
}

